"""The plain-Python one-row path: byte for byte the answer the numpy models give for a one-row matrix."""

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import orjson
import pytest

from inference_service.fast_model import (
    AverageFastModel,
    FastModel,
    LinearFastModel,
    ThresholdGridFastModel,
)
from inference_service.intervals import AGE, INCOME, ConditionalInterval
from inference_service.model_store import LoadedModel
from inference_service.one_row import Row, one_row_model
from inference_service.predictor import PROBABILITY_DECIMALS, SpendingScorePredictor
from inference_service.schemas import CustomerFeatures

MAX_AGE, MAX_INCOME = 120.0, 300.0  # incomes past the tables' 200 k$ too


def _grids(model: FastModel) -> Iterator[ThresholdGridFastModel]:
    if isinstance(model, ThresholdGridFastModel):
        yield model
    if isinstance(model, AverageFastModel):
        for part in model.parts:
            yield from _grids(part)


def _around(value: float) -> list[float]:
    """The value and its neighbours in float64 and in float32 (where trees and ranges cut)."""
    as_float32 = np.float32(value)
    return [
        value,
        float(np.nextafter(value, np.inf)),
        float(np.nextafter(value, -np.inf)),
        float(np.nextafter(as_float32, np.float32(np.inf))),
        float(np.nextafter(as_float32, np.float32(-np.inf))),
    ]


def probe_rows(model: LoadedModel) -> list[Row]:
    """Both genders over a grid of ages and incomes (whole and half numbers, where neighbours tie and
    table cells round), the training ranges' edges, the trees' thresholds and random floats."""
    rows: list[Row] = []
    genders = (0.0, 1.0)
    incomes = np.arange(0.0, MAX_INCOME + 1, 2.5).tolist()
    rows += [(g, a, i) for g in genders for a in np.arange(1.0, MAX_AGE + 1).tolist() for i in incomes]
    some_ages, some_incomes = [18.5, 25.0, 31.0, 44.5, 60.0, 90.0], [10.0, 39.5, 70.0, 100.0, 140.5]
    ranges = model.metadata["training_ranges"]
    edge_ages = [a for edge in ranges["age"].values() for a in _around(float(edge))]
    edge_incomes = [i for edge in ranges["annual_income"].values() for i in _around(float(edge))]
    for grid in _grids(model.fast_model):
        edge_ages += [a for t in grid.thresholds[AGE].tolist() for a in _around(t)]
        edge_incomes += [i for t in grid.thresholds[INCOME].tolist() for i in _around(t)]
    rows += [(g, a, i) for g in genders for a in edge_ages for i in some_incomes]
    rows += [(g, a, i) for g in genders for a in some_ages for i in edge_incomes]
    rng = np.random.default_rng(17)
    random_rows = np.column_stack(
        [rng.integers(0, 2, 5000), rng.uniform(0, MAX_AGE, 5000), rng.uniform(0, MAX_INCOME, 5000)]
    )
    rows += [(float(g), a, i) for g, a, i in random_rows.tolist()]
    return [row for row in rows if 0 <= row[1] <= MAX_AGE and 0 <= row[2] <= MAX_INCOME]


def mismatches(model: LoadedModel, rows: list[Row]) -> tuple[list[Row], int]:
    """The rows whose one-row answer differs from the numpy one (as bytes), and how many rows the
    plain-Python forms answered themselves (the rest fell back to numpy)."""
    predictor = SpendingScorePredictor(model)
    forms = one_row_model(model, probability_decimals=PROBABILITY_DECIMALS)
    assert forms is not None
    wrong, answered = [], 0
    for row in rows:
        gender, age, income = row
        item = CustomerFeatures(gender="male" if gender else "female", age=age, annual_income=income)
        expected = orjson.dumps(predictor.predict(predictor.to_matrix([item]))[0])
        if orjson.dumps(predictor.predict_one(item)) != expected:
            wrong.append(row)
        answered += forms.numbers(row) is not None
    return wrong, answered


def test_the_one_row_path_answers_as_the_numpy_path(loaded_model: LoadedModel) -> None:
    rows = probe_rows(loaded_model)
    wrong, answered = mismatches(loaded_model, rows)
    assert wrong == [], wrong[:10]
    assert answered > 0.9 * len(rows)  # ties at the k-th neighbour and near-ties fall back to numpy


def test_other_kinds_of_parts_answer_as_the_numpy_path(loaded_model: LoadedModel) -> None:
    """A forest's table as the segment classifier (ties included), income groups, a spread of 1 and
    no two peaks."""
    grid = next(_grids(loaded_model.fast_model))
    rng = np.random.default_rng(3)
    segments = len(loaded_model.segmentation.segments)
    probabilities = rng.choice([0.1, 0.2, 0.35, 0.4], size=(*grid.table.shape, segments))
    classifier = ThresholdGridFastModel(
        grid.thresholds, probabilities / probabilities.sum(axis=-1)[..., None]
    )
    interval = ConditionalInterval(
        income_cuts=np.array([40.0, 80.0]),
        low=np.array([-12.5, -10.0, -20.25]),
        high=np.array([11.0, 9.75, 18.5]),
        spread=None,
    )
    other = replace(
        loaded_model,
        interval=interval,
        two_peaks=None,
        segmentation=replace(loaded_model.segmentation, classifier=classifier),
    )
    rows = probe_rows(other)[::4]
    wrong, answered = mismatches(other, rows)
    assert wrong == [], wrong[:10]
    assert answered > 0.9 * len(rows)


def test_a_model_without_a_one_row_form_answers_through_numpy(loaded_model: LoadedModel) -> None:
    linear = replace(loaded_model, fast_model=LinearFastModel(np.array([0.5, -0.25, 0.125]), 40.0))
    assert one_row_model(linear, probability_decimals=PROBABILITY_DECIMALS) is None
    predictor = SpendingScorePredictor(linear)
    item = CustomerFeatures(gender="male", age=40, annual_income=55.5)
    assert predictor.predict_one(item) == predictor.predict(predictor.to_matrix([item]))[0]


@pytest.mark.parametrize("row", [(0.0, 31.0, 70.0), (1.0, 45.5, 123.25)])
def test_typical_requests_take_the_plain_python_path(loaded_model: LoadedModel, row: Row) -> None:
    forms = one_row_model(loaded_model, probability_decimals=PROBABILITY_DECIMALS)
    assert forms is not None and forms.numbers(row) is not None
