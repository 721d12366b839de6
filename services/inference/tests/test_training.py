"""Training: the baseline as the original, the selection bar, determinism, the fast model's exactness."""

from pathlib import Path

import numpy as np

from inference_service.dataset import load_training_data
from inference_service.fast_model import AverageFastModel, convert
from inference_service.model_card import render_model_card
from inference_service.model_store import LoadedModel, load_model
from inference_service.training import MIN_SELECTED_CV_R2, baseline_holdout, save_artifact, train


def probe_inputs(rows: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(123)
    return np.column_stack(
        [rng.integers(0, 2, rows), rng.uniform(0, 120, rows), rng.uniform(0, 200, rows)]
    ).astype(np.float64)


def test_baseline_is_the_original_model_and_selected_model_beats_it(loaded_model: LoadedModel) -> None:
    metadata = loaded_model.metadata
    assert metadata["baseline"]["holdout"] == baseline_holdout(load_training_data())
    assert 0.0 < metadata["baseline"]["cv"]["r2"]["mean"] < 0.15
    assert metadata["metrics"]["cv"]["r2"]["mean"] >= MIN_SELECTED_CV_R2
    assert 0.7 <= metadata["interval"]["cv_coverage"] <= 0.9
    assert metadata["data"]["sha256"] == load_training_data().sha256


def test_training_twice_gives_the_same_predictions(loaded_model: LoadedModel, tmp_path: Path) -> None:
    # The session's model was trained by the CLI in another process; train again here.
    artifact_path = tmp_path / "again.joblib"
    save_artifact(train(), artifact_path)
    again = load_model(artifact_path)
    inputs = probe_inputs()
    assert np.array_equal(again.fast_model.predict(inputs), loaded_model.fast_model.predict(inputs))
    assert np.array_equal(again.estimator.predict(inputs), loaded_model.estimator.predict(inputs))
    assert again.version == loaded_model.version


def test_fast_model_equals_scikit_learn(loaded_model: LoadedModel) -> None:
    inputs = np.vstack([probe_inputs(), load_training_data().features])
    expected = loaded_model.estimator.predict(inputs)
    assert np.max(np.abs(loaded_model.fast_model.predict(inputs) - expected)) <= 1e-9
    if isinstance(loaded_model.fast_model, AverageFastModel):  # and each part on its own
        for fast_part, part in zip(
            loaded_model.fast_model.parts, loaded_model.estimator.estimators_, strict=True
        ):
            assert np.max(np.abs(fast_part.predict(inputs) - part.predict(inputs))) <= 1e-9


def test_both_tree_ensemble_kinds_convert_exactly() -> None:
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

    data = load_training_data()
    inputs = np.vstack([probe_inputs(), data.features])
    for ensemble in (
        RandomForestRegressor(n_estimators=20, random_state=1),
        GradientBoostingRegressor(n_estimators=30, random_state=1),
    ):
        ensemble.fit(data.features, data.target)
        gap = np.max(np.abs(convert(ensemble, 3).predict(inputs) - ensemble.predict(inputs)))
        assert gap <= 1e-9, type(ensemble).__name__


def test_model_card_says_the_limits_plainly(loaded_model: LoadedModel) -> None:
    card = render_model_card(loaded_model.metadata)
    assert "explain only part of the spending score" in card
    assert "Original model (baseline)" in card
    assert loaded_model.metadata["selected"]["candidate"] in card
