"""One customer's numbers in plain Python: numpy's cost per call is most of a one-row prediction.

Each form here is built from a serving model (``fast_model.py``, ``intervals.py``, ``segments.py``) and
gives for one row exactly what that model gives for a one-row matrix, or None where it cannot promise
that (a tie at the k-th neighbour that numpy breaks its own way, a probability too near a rounding
boundary); the predictor then answers through the numpy models. A model with no form here (a linear
model: a matrix product may sum in another order, or fused, than plain Python) always goes through numpy.
"""

import bisect
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from inference_service.fast_model import (
    AverageFastModel,
    FastModel,
    NeighboursFastModel,
    SoftmaxFastModel,
    ThresholdGridFastModel,
)
from inference_service.intervals import (
    AGE,
    INCOME,
    TABLE_AGES,
    TABLE_INCOMES,
    ConditionalInterval,
    TwoPeaks,
    WholeNumberTable,
)
from inference_service.model_store import LoadedModel

Row = tuple[float, float, float]  # gender code, age, annual income
# Plain Python and numpy (in whatever order it sums, fused or not) each compute a linear score within
# a few units of 2**-53 of the sum of its terms' magnitudes, and a softmax probability within a few
# times that: a margin of 1e-12 of that sum is thousands of times more than the two can differ by.
SOFTMAX_MARGIN = 1e-12
# The neighbours' grid, in standard deviations of each column (its scaled units): the cells' width
# at most, and how far around the training points it reaches (requests farther out measure every
# point); and the relative margin on a cell's bound (millions of times what rounding can move).
GRID_CELL_WIDTH = 0.1
GRID_PADDING = 3.0
CELL_MARGIN = 1e-9


def table_cell(row: Row) -> tuple[int, int]:
    """The row's cell in a whole-number table, as ``intervals.table_cells`` finds it."""
    # round() rounds halves to even, as np.rint does.
    age = min(max(round(row[AGE]), 0), TABLE_AGES - 1)
    income = min(max(round(row[INCOME]), 0), TABLE_INCOMES - 1)
    return age, income


class RowRegressor(Protocol):
    def value(self, row: Row) -> float | None:
        """The model's number for this row, or None when it cannot promise numpy's number."""
        ...


class RowClassifier(Protocol):
    def most_likely(self, row: Row) -> tuple[int, float] | None:
        """The most likely class and its probability rounded as the predictor rounds it, or None."""
        ...


class GridRow:
    """``ThresholdGridFastModel`` for one row: three bisections and one look-up."""

    def __init__(self, model: ThresholdGridFastModel):
        self._thresholds = tuple(thresholds.tolist() for thresholds in model.thresholds)
        self._table = model.table

    def cell(self, row: Row) -> tuple[int, ...]:
        # Trees compare float32 inputs with ``x <= threshold``, as in ``predict``; array("f") rounds
        # to float32 as astype(np.float32) does (the C cast).
        return tuple(map(bisect.bisect_left, self._thresholds, array("f", row).tolist()))

    def value(self, row: Row) -> float:
        return float(self._table.item(self.cell(row)))

    def values(self, row: Row) -> list[float]:
        probabilities: list[float] = self._table[self.cell(row)].tolist()
        return probabilities


class Candidates(NamedTuple):
    """Training points (scaled) and their targets, in the model's order."""

    points: tuple[tuple[float, float], ...]
    targets: tuple[float, ...]

    def only(self, indices: list[int]) -> "Candidates":
        return Candidates(tuple([self.points[i] for i in indices]), tuple([self.targets[i] for i in indices]))


@dataclass(frozen=True)
class NeighbourGrid:
    """The grid over the scaled plane of a two-column neighbours model, and each cell's candidates:
    why they are enough is told in ``NeighboursRow``; ``batch_model`` measures them for many rows."""

    first_edges: np.ndarray
    second_edges: np.ndarray
    kept: list[np.ndarray]  # per column of cells, (lines, points): the points each cell keeps

    @classmethod
    def of(cls, model: NeighboursFastModel) -> "NeighbourGrid":
        points, k = model.training_points, model.k
        first_edges, first_near, first_far = _cells_along(points[:, 0])
        second_edges, second_near, second_far = _cells_along(points[:, 1])
        # One column of cells at a time, (cells, points): each point's nearest and farthest squared
        # distance to each cell, then the cell's bound D and the points it keeps.
        kept = []
        for near, far in zip(first_near, first_far, strict=True):
            farthest = far + second_far
            bound = np.partition(farthest, k, axis=1)[:, k]
            kept.append(near + second_near <= bound[:, np.newaxis] * (1 + CELL_MARGIN))
        return cls(first_edges, second_edges, kept)

    @staticmethod
    def usable(model: NeighboursFastModel) -> bool:
        """Two search columns, whole-number targets (their sum is exact in any order), k < points."""
        targets = model.targets.tolist()
        whole = all(float(target).is_integer() and abs(target) < 2**40 for target in targets)
        return len(model.columns) == 2 and whole and model.k < len(targets)


class NeighboursRow:
    """``NeighboursFastModel`` for one row, when its targets are whole numbers and it searches on two
    columns: the sum of whole-number targets is exact in any order, so the mean equals numpy's as long
    as the set of the k nearest is the same, which it is unless the k-th and the next tie.

    A query measures only the candidates of its cell in a grid over the scaled plane, in plain Python
    (numpy's calls on all the points cost more than the arithmetic, most of all between requests).
    Why the candidates are enough: for a query q in a cell C (bisection on the very edges the cell's
    bounds come from puts it there exactly), at least k + 1 points lie within their farthest distance
    to C of q, so the (k+1)-th smallest distance from q is at most D, the (k+1)-th smallest of those
    farthest distances; a point as near to q as that is no farther than D from C, and is kept. In
    floats, every distance (of a query or from a cell) comes of two subtractions, two squares and a sum
    of non-negative terms, so it is within a few units of 2**-53 (relative) of the exact one, and a
    margin of ``CELL_MARGIN`` on D covers them all. So a cell's candidates hold every point whose
    computed distance is at most the (k+1)-th smallest computed distance over all points, ties
    included: the k + 1 smallest distances among the candidates are those over all points, and with
    them the tie test and the k nearest. A query outside the grid measures every point.
    """

    def __init__(self, model: NeighboursFastModel):
        (self._first, self._second), (self._mean_first, self._mean_second) = (
            model.columns.tolist(),
            model.mean.tolist(),
        )
        self._scale_first, self._scale_second = model.scale.tolist()
        self._k = model.k
        points = model.training_points
        self._everyone = Candidates(tuple((p, q) for p, q in points.tolist()), tuple(model.targets.tolist()))
        grid = NeighbourGrid.of(model)
        self._first_edges: list[float] = grid.first_edges.tolist()
        self._second_edges: list[float] = grid.second_edges.tolist()
        self._columns, self._lines = len(grid.first_edges) - 1, len(grid.second_edges) - 1
        # Neighbouring cells often keep the same points: one tuple each.
        shared: dict[bytes, Candidates] = {}
        self._cells: list[list[Candidates]] = []
        for column in grid.kept:
            self._cells.append([])
            for mask in column:
                key = mask.tobytes()
                if key not in shared:
                    shared[key] = self._everyone.only(np.flatnonzero(mask).tolist())
                self._cells[-1].append(shared[key])

    @classmethod
    def of(cls, model: NeighboursFastModel) -> "NeighboursRow | None":
        return cls(model) if NeighbourGrid.usable(model) else None

    @property
    def edges(self) -> tuple[list[float], list[float]]:
        """The grid's cell edges along each scaled column."""
        return self._first_edges, self._second_edges

    def candidates(self, first: float, second: float) -> Candidates:
        """The candidates of the cell of a scaled query (everyone outside the grid)."""
        column = bisect.bisect_right(self._first_edges, first) - 1
        line = bisect.bisect_right(self._second_edges, second) - 1
        if 0 <= column < self._columns and 0 <= line < self._lines:
            return self._cells[column][line]
        return self._everyone

    def value(self, row: Row) -> float | None:
        # The same float operations, in the same order, as ``squared_distances`` on one row.
        first = (row[self._first] - self._mean_first) / self._scale_first
        second = (row[self._second] - self._mean_second) / self._scale_second
        points, targets = self.candidates(first, second)
        distances = [(a := first - p) * a + (b := second - q) * b for p, q in points]
        k = self._k
        ordered = sorted(distances)
        kth = ordered[k - 1]
        if kth == ordered[k]:
            return None  # a tie at the k-th place: which points numpy keeps is its own affair
        # Without a tie, exactly the k nearest are no farther than the k-th.
        return sum([t for d, t in zip(distances, targets, strict=True) if d <= kth]) / k


def _cells_along(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid's edges along one scaled column, and each point's nearest and farthest squared
    distance to each cell along it, (cells, points)."""
    start, stop = points.min() - GRID_PADDING, points.max() + GRID_PADDING
    edges = np.linspace(start, stop, math.ceil((stop - start) / GRID_CELL_WIDTH) + 1)
    low, high = edges[:-1, np.newaxis], edges[1:, np.newaxis]
    near = np.maximum(np.maximum(low - points, points - high), 0.0)
    far = np.maximum(np.abs(points - low), np.abs(points - high))
    return edges, near * near, far * far


class AverageRow:
    """``AverageFastModel`` for one row: its parts' numbers added in the same order."""

    def __init__(self, parts: Sequence[RowRegressor]):
        self._parts = tuple(parts)

    def value(self, row: Row) -> float | None:
        total = 0.0
        for number, part in enumerate(self._parts):
            value = part.value(row)
            if value is None:
                return None
            total = value if number == 0 else total + value
        return total / len(self._parts)


def row_regressor(model: FastModel) -> RowRegressor | None:
    """The one-row form of a serving regressor, or None for a kind that has none."""
    if isinstance(model, ThresholdGridFastModel):
        return GridRow(model)
    if isinstance(model, NeighboursFastModel):
        return NeighboursRow.of(model)
    if isinstance(model, AverageFastModel):
        parts = [row_regressor(part) for part in model.parts]
        if any(part is None for part in parts):
            return None
        return AverageRow([part for part in parts if part is not None])
    return None


class GridClassifierRow:
    """A forest classifier's table for one row: its probabilities are looked up, hence exact."""

    def __init__(self, model: ThresholdGridFastModel, decimals: int):
        self._grid = GridRow(model)
        self._decimals = decimals

    def most_likely(self, row: Row) -> tuple[int, float]:
        probabilities = self._grid.values(row)
        best = max(probabilities)
        return probabilities.index(best), round(best, self._decimals)  # the first largest, as np.argmax


class SoftmaxRow:
    """``SoftmaxFastModel`` for one row. Its sums may differ from numpy's in the last bits, so it
    answers only when the most likely class leads by more than both can err and the rounded
    probability is the same anywhere within that error."""

    def __init__(self, model: SoftmaxFastModel, decimals: int):
        self._classes = [
            (*coefficients, intercept)
            for coefficients, intercept in zip(
                model.coefficients.tolist(), model.intercepts.tolist(), strict=True
            )
        ]
        self._largest_coefficient = float(np.max(np.abs(model.coefficients)))
        self._largest_intercept = float(np.max(np.abs(model.intercepts)))
        self._decimals = decimals

    def most_likely(self, row: Row) -> tuple[int, float] | None:
        gender, age, income = row
        scores = [gender * g + age * a + income * i + b for g, a, i, b in self._classes]
        # No more than the largest magnitude of a score's terms, summed.
        magnitude = (abs(gender) + abs(age) + abs(income)) * self._largest_coefficient
        margin = SOFTMAX_MARGIN * (1.0 + magnitude + self._largest_intercept)
        top = max(scores)
        if len(scores) > 1 and top - sorted(scores)[-2] <= 2 * margin:
            return None  # a near tie: numpy's scores may order them the other way
        # exp(top - top) is 1: the best class's probability is 1 over the sum.
        probability = 1.0 / sum([math.exp(score - top) for score in scores])
        rounded = round(probability, self._decimals)
        if (
            not round(probability - margin, self._decimals)
            == rounded
            == round(probability + margin, self._decimals)
        ):
            return None  # too near a rounding boundary
        return scores.index(top), rounded  # the first largest, as np.argmax


def row_classifier(model: FastModel, decimals: int) -> RowClassifier | None:
    """The one-row form of a segment classifier, or None for a kind that has none."""
    if isinstance(model, ThresholdGridFastModel):
        return GridClassifierRow(model, decimals)
    if isinstance(model, SoftmaxFastModel):
        return SoftmaxRow(model, decimals)
    return None


class IntervalRow:
    """``ConditionalInterval`` for one row, when its spread is a whole-number table or none."""

    def __init__(self, interval: ConditionalInterval, spread_table: np.ndarray | None):
        self._income_cuts: list[float] = interval.income_cuts.tolist()
        self._low: list[float] = interval.low.tolist()
        self._high: list[float] = interval.high.tolist()
        self._spread = spread_table

    @classmethod
    def of(cls, interval: ConditionalInterval) -> "IntervalRow | None":
        if interval.spread is None:
            return cls(interval, None)
        if isinstance(interval.spread, WholeNumberTable):
            return cls(interval, interval.spread.values)
        return None  # a neighbour model (training time): no table to look up

    def offsets(self, row: Row) -> tuple[float, float]:
        group = bisect.bisect_left(self._income_cuts, row[INCOME])  # np.searchsorted, side="left"
        if self._spread is None:
            return self._low[group], self._high[group]  # numpy multiplies by 1.0: the same number
        scale = float(self._spread.item(table_cell(row)))
        return self._low[group] * scale, self._high[group] * scale


class TwoPeaksRow:
    """``TwoPeaks`` from its whole-number table, for one row: a look-up."""

    def __init__(self, modes_table: np.ndarray):
        self._modes = modes_table

    @classmethod
    def of(cls, two_peaks: TwoPeaks) -> "TwoPeaksRow | None":
        if isinstance(two_peaks.rule, WholeNumberTable):
            return cls(two_peaks.rule.values)
        return None

    def modes(self, row: Row) -> tuple[float, float] | None:
        """The low and high modes, or None where the neighbours' scores have one peak."""
        age, income = table_cell(row)
        low = float(self._modes.item(age, income, 0))
        if math.isnan(low):
            return None
        return low, float(self._modes.item(age, income, 1))


@dataclass(frozen=True)
class RowNumbers:
    raw: float  # the regressor's number, before clipping
    offset_low: float
    offset_high: float
    modes: tuple[float, float] | None
    segment: int
    probability: float  # rounded


@dataclass(frozen=True)
class OneRowModel:
    regressor: RowRegressor
    interval: IntervalRow
    two_peaks: TwoPeaksRow | None
    classifier: RowClassifier

    def numbers(self, row: Row) -> RowNumbers | None:
        """What the numpy models give for this row, or None when one of the forms cannot promise it."""
        raw = self.regressor.value(row)
        if raw is None:
            return None
        segment = self.classifier.most_likely(row)
        if segment is None:
            return None
        offset_low, offset_high = self.interval.offsets(row)
        modes = None if self.two_peaks is None else self.two_peaks.modes(row)
        return RowNumbers(raw, offset_low, offset_high, modes, *segment)


def one_row_model(model: LoadedModel, *, probability_decimals: int) -> OneRowModel | None:
    """The one-row forms of a loaded model's parts, or None when one of them has no such form."""
    regressor = row_regressor(model.fast_model)
    interval = IntervalRow.of(model.interval)
    two_peaks = None if model.two_peaks is None else TwoPeaksRow.of(model.two_peaks)
    classifier = row_classifier(model.segmentation.classifier, probability_decimals)
    if regressor is None or interval is None or classifier is None:
        return None
    if model.two_peaks is not None and two_peaks is None:
        return None
    return OneRowModel(regressor, interval, two_peaks, classifier)
