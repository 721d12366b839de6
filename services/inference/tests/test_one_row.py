"""The plain-Python one-row path: byte for byte the answer the numpy models give for a one-row matrix."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import TypeVar

import numpy as np
import orjson
import pytest

from inference_service.fast_model import (
    AverageFastModel,
    FastModel,
    LinearFastModel,
    NeighboursFastModel,
    ThresholdGridFastModel,
    squared_distances,
)
from inference_service.intervals import AGE, INCOME, ConditionalInterval
from inference_service.model_store import LoadedModel
from inference_service.one_row import NeighboursRow, Row, one_row_model
from inference_service.predictor import PROBABILITY_DECIMALS, SpendingScorePredictor
from inference_service.schemas import CustomerFeatures

PartT = TypeVar("PartT")
MAX_AGE, MAX_INCOME = 120.0, 300.0  # incomes past the tables' 200 k$ too


def _parts(model: FastModel, kind: type[PartT]) -> Iterator[PartT]:
    """The model's parts of this kind, the model itself included, through averages."""
    if isinstance(model, kind):
        yield model
    if isinstance(model, AverageFastModel):
        for part in model.parts:
            yield from _parts(part, kind)


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
    for grid in _parts(model.fast_model, ThresholdGridFastModel):
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
    grid = next(_parts(loaded_model.fast_model, ThresholdGridFastModel))
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


def numpy_neighbours_value(model: NeighboursFastModel, row: Row) -> float | None:
    """The numpy model's number for one row, or None where its k-th and (k+1)-th distances tie."""
    features = np.array([row])
    scaled = (features[:, model.columns] - model.mean) / model.scale
    ordered = np.sort(squared_distances(scaled, model.training_points)[0])
    if ordered[model.k - 1] == ordered[model.k]:
        return None
    return float(model.predict(features)[0])


def _unscaled(model: NeighboursFastModel, scaled: float, column: int) -> list[float]:
    """Inputs whose scaled value is at (or next to) ``scaled`` in one of the model's columns."""
    value = scaled * float(model.scale[column]) + float(model.mean[column])
    return [*_around(value)[:3], float(round(value))]


def grid_probe_rows(model: NeighboursFastModel, form: NeighboursRow) -> list[Row]:
    """Rows on the grid's cell borders and corners, at and next to every training point, at the
    midpoints of near pairs of points (ties), and outside the grid (negative, far, huge)."""
    first_edges, second_edges = form.edges
    firsts = [x for edge in first_edges for x in _unscaled(model, edge, 0)]
    seconds = [y for edge in second_edges for y in _unscaled(model, edge, 1)]
    pairs = [(x, y) for x in firsts[::2] for y in seconds[::2]]  # the corners
    pairs += [(x, y) for x in firsts for y in seconds[1::9]]  # the borders across one column
    pairs += [(x, y) for x in firsts[1::9] for y in seconds]  # and across the other
    points = model.training_points.tolist()
    for p, q in points:
        pairs += [(x, y) for x in _unscaled(model, p, 0) for y in _unscaled(model, q, 1)]
    distances = squared_distances(model.training_points, model.training_points)
    np.fill_diagonal(distances, np.inf)
    for (p, q), nearest in zip(points, np.argmin(distances, axis=1).tolist(), strict=True):
        r, s = points[nearest]
        pairs += [(x, y) for x in _unscaled(model, (p + r) / 2, 0) for y in _unscaled(model, (q + s) / 2, 1)]
    low_first, high_first = first_edges[0], first_edges[-1]
    low_second, high_second = second_edges[0], second_edges[-1]
    outside_firsts = [low_first - 3, low_first - 0.01, high_first + 0.01, high_first + 3, 1e3]
    outside_seconds = [low_second - 3, low_second - 0.01, high_second + 0.01, high_second + 3, 1e5]
    middle_first, middle_second = (low_first + high_first) / 2, (low_second + high_second) / 2
    for a in outside_firsts:
        pairs += [(x, y) for x in _unscaled(model, a, 0) for y in _unscaled(model, middle_second, 1)]
    for b in outside_seconds:
        pairs += [(x, y) for x in _unscaled(model, middle_first, 0) for y in _unscaled(model, b, 1)]
    pairs += [
        (x, y)
        for a in outside_firsts
        for b in outside_seconds
        for x in _unscaled(model, a, 0)[:1]
        for y in _unscaled(model, b, 1)[:1]
    ]
    first_column, second_column = model.columns.tolist()
    rows = []
    for x, y in pairs:
        row = [0.0, 0.0, 0.0]
        row[first_column], row[second_column] = x, y
        rows.append((row[0], row[1], row[2]))
    return rows


def _exactly(value: float | None) -> str | None:
    """The float's bits, as text."""
    return None if value is None else value.hex()


def test_the_neighbours_grid_answers_as_the_numpy_model(loaded_model: LoadedModel) -> None:
    """Where the candidates of a cell are tested hardest: its borders and corners, training points,
    ties and queries outside the grid. The grid answers None exactly where numpy has a tie."""
    for model in _parts(loaded_model.fast_model, NeighboursFastModel):
        form = NeighboursRow.of(model)
        assert form is not None
        rows = grid_probe_rows(model, form)
        answers = [(_exactly(form.value(row)), _exactly(numpy_neighbours_value(model, row))) for row in rows]
        wrong = [(row, answer) for row, answer in zip(rows, answers, strict=True) if answer[0] != answer[1]]
        assert wrong == [], wrong[:10]
        ties = sum(expected is None for _, expected in answers)
        assert 0 < ties < len(rows) / 2  # the probes do reach ties, and mostly answer


def test_a_typical_query_measures_a_few_candidates(loaded_model: LoadedModel) -> None:
    for model in _parts(loaded_model.fast_model, NeighboursFastModel):
        form = NeighboursRow.of(model)
        assert form is not None
        scaled = ((np.array([31.0, 70.0]) - model.mean) / model.scale).tolist()
        assert model.k < len(form.candidates(*scaled).points) < len(model.training_points) / 4


def test_a_cell_keeps_every_point_as_near_as_the_next_after_the_k_nearest(
    loaded_model: LoadedModel,
) -> None:
    """The grid's promise itself, at each cell's corners and at random points inside every cell:
    the candidates hold every point (duplicates too) no farther than the (k+1)-th nearest."""
    rng = np.random.default_rng(11)
    for model in _parts(loaded_model.fast_model, NeighboursFastModel):
        form = NeighboursRow.of(model)
        assert form is not None
        first_edges, second_edges = form.edges
        corners = [(u, v) for u in first_edges for v in second_edges]
        cell_firsts, cell_seconds = np.meshgrid(first_edges[:-1], second_edges[:-1], indexing="ij")
        widths = (first_edges[1] - first_edges[0], second_edges[1] - second_edges[0])
        inside = [
            (u + rng.uniform() * widths[0], v + rng.uniform() * widths[1])
            for u, v in zip(cell_firsts.ravel().tolist(), cell_seconds.ravel().tolist(), strict=True)
            for _ in range(2)
        ]
        queries = np.array(corners + inside)
        distances = squared_distances(queries, model.training_points)
        next_after_k = np.partition(distances, model.k, axis=1)[:, model.k]
        points = model.training_points.tolist()
        for (u, v), row_distances, bound in zip(queries.tolist(), distances, next_after_k, strict=True):
            needed = Counter(tuple(points[i]) for i in np.flatnonzero(row_distances <= bound).tolist())
            kept = Counter(form.candidates(u, v).points)
            assert needed - kept == Counter(), (u, v)
