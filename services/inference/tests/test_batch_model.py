"""The batch regressor and the columnar core give the numbers of the plain numpy models, to the bit."""

import numpy as np

from inference_service.batch_model import NeighboursBatch, batch_regressor
from inference_service.fast_model import AverageFastModel, NeighboursFastModel
from inference_service.model_store import LoadedModel
from inference_service.predictor import SpendingScorePredictor, _rounded


def neighbours_of(model: LoadedModel) -> NeighboursFastModel:
    assert isinstance(model.fast_model, AverageFastModel)
    (neighbours,) = [part for part in model.fast_model.parts if isinstance(part, NeighboursFastModel)]
    return neighbours


def rows(rng: np.random.Generator, n: int, *, whole: bool, income_to: float) -> np.ndarray:
    gender = rng.integers(0, 2, n).astype(float)
    if whole:
        return np.column_stack([gender, rng.integers(0, 121, n), rng.integers(0, int(income_to), n)])
    return np.column_stack([gender, rng.uniform(0, 120, n), rng.uniform(0, income_to, n)])


def test_batch_regressor_equals_the_numpy_model_bit_for_bit(loaded_model: LoadedModel) -> None:
    regressor = batch_regressor(loaded_model.fast_model)
    rng = np.random.default_rng(29)
    # Whole numbers (many ties at the k-th neighbour), fractions, and incomes far outside the grid.
    for whole, income_to in ((True, 200.0), (False, 150.0), (False, 100_000.0)):
        features = rows(rng, 5000, whole=whole, income_to=income_to)
        assert np.array_equal(regressor(features), loaded_model.fast_model.predict(features))
    training = loaded_model.fast_model.predict(np.array([[1.0, 19.0, 15.0], [0.0, 31.0, 70.0]]))
    assert np.array_equal(regressor(np.array([[1.0, 19.0, 15.0], [0.0, 31.0, 70.0]])), training)


def test_neighbours_batch_measures_only_a_cell_and_falls_back_where_it_must(
    loaded_model: LoadedModel,
) -> None:
    neighbours = neighbours_of(loaded_model)
    batch = NeighboursBatch.of(neighbours)
    assert batch is not None
    # A cell keeps far fewer points than the 200 a full search measures.
    assert batch._candidates.shape[-1] < len(neighbours.training_points) // 4
    # A row outside the grid and the training rows themselves (ties): still numpy's numbers.
    features = np.array([[0.0, 0.0, 100_000.0], [1.0, 120.0, 0.0], [1.0, 19.0, 15.0], [0.0, 35.0, 18.0]])
    assert np.array_equal(batch.predict(features), neighbours.predict(features))


def test_columns_hold_the_same_answers_as_the_rows(loaded_model: LoadedModel) -> None:
    predictor = SpendingScorePredictor(loaded_model)
    features = rows(np.random.default_rng(7), 300, whole=True, income_to=160.0)
    columns = predictor.predict_columns(features)
    answers = predictor.predict(features)
    assert [answer["spending_score"] for answer in answers] == columns.spending_score
    assert [answer["band"] for answer in answers] == columns.band
    assert [answer["interval"]["low"] for answer in answers] == columns.interval_low
    assert [answer["modes"] for answer in answers] == columns.modes
    assert [answer["segment"]["id"] for answer in answers] == [
        predictor.segment_id(segment) for segment in columns.segment
    ]
    assert [answer["warnings"] for answer in answers] == columns.warnings
    assert any(columns.warnings), "incomes up to 160 k$ lie outside the training range"


def test_vectorised_rounding_is_pythons_round() -> None:
    rng = np.random.default_rng(3)
    halves = (np.arange(0, 10_000) + 0.5) / 100  # exactly on, just below and just above each half
    values = np.concatenate(
        [rng.uniform(0, 100, 200_000), halves, np.nextafter(halves, 0), np.nextafter(halves, 200)]
    )
    assert _rounded(values) == [round(value, 2) for value in values.tolist()]
    probabilities = rng.uniform(0, 1, 100_000)
    assert _rounded(probabilities, 4) == [round(value, 4) for value in probabilities.tolist()]
