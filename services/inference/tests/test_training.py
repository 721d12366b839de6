"""Training: the baseline as the original, the selection bar, determinism, the fast model's exactness."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference_service.dataset import load_training_data
from inference_service.fast_model import AverageFastModel, from_spec
from inference_service.model_card import render_model_card
from inference_service.model_conversion import convert, neighbours_pipeline
from inference_service.model_store import LoadedModel, load_model
from inference_service.training import (
    MIN_SELECTED_CV_R2,
    TrainingResult,
    baseline_holdout,
    check_fast_model,
    exactness_probe,
    save_artifact,
)


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


def test_training_twice_gives_the_same_predictions(
    loaded_model: LoadedModel, retrained: TrainingResult, tmp_path: Path
) -> None:
    artifact_path = tmp_path / "again.joblib"
    save_artifact(retrained.artifact, artifact_path)
    again = load_model(artifact_path)
    inputs = exactness_probe(load_training_data())
    assert np.array_equal(again.fast_model.predict(inputs), loaded_model.fast_model.predict(inputs))
    assert again.version == loaded_model.version


def test_serving_model_equals_scikit_learn(retrained: TrainingResult) -> None:
    serving = from_spec(retrained.artifact["serving_model"])
    inputs = np.vstack([probe_inputs(), exactness_probe(load_training_data())])
    expected = retrained.estimator.predict(inputs)
    assert np.max(np.abs(serving.predict(inputs) - expected)) <= 1e-9
    if isinstance(serving, AverageFastModel):  # and each part on its own
        for fast_part, part in zip(serving.parts, retrained.estimator.estimators_, strict=True):
            assert np.max(np.abs(fast_part.predict(inputs) - part.predict(inputs))) <= 1e-9


def test_neighbour_ties_are_broken_as_scikit_learn_breaks_them() -> None:
    from sklearn.pipeline import Pipeline

    data = load_training_data()
    pipeline = neighbours_pipeline([1, 2], k=10).fit(data.features, data.target)
    assert isinstance(pipeline, Pipeline)
    ages, incomes = np.meshgrid(np.arange(15.0, 76.0), np.arange(0.0, 151.0))
    whole = np.column_stack([np.zeros(ages.size), ages.ravel(), incomes.ravel()])
    distances = pipeline[:-1].transform(whole)
    ordered = np.sort(distances, axis=1)
    assert np.sum(ordered[:, 9] == ordered[:, 10]) > 100  # whole numbers do tie at the k-th neighbour
    assert np.array_equal(convert(pipeline, 3).predict(whole), pipeline.predict(whole))


def test_training_refuses_a_serving_model_that_differs() -> None:
    data = load_training_data()
    pipeline = neighbours_pipeline([1, 2], k=10).fit(data.features, data.target)
    wrong = replace(convert(pipeline, 3), k=9)
    with pytest.raises(RuntimeError, match="differs from scikit-learn"):
        check_fast_model(wrong, pipeline, data)


def test_the_serving_process_imports_neither_scikit_learn_nor_scipy(model_path: Path) -> None:
    script = (
        "import sys\n"
        "from inference_service.main import create_app\n"
        "from inference_service.model_store import load_model\n"
        f"load_model(__import__('pathlib').Path({str(model_path)!r})).fast_model.predict("
        "__import__('numpy').array([[0.0, 31.0, 70.0]]))\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'sklearn', 'scipy', 'pandas'}))\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert finished.stdout.strip() == "[]"


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
