"""The prediction interval that depends on the customer, and the two-peaked answers, in numpy only.

Both are fitted at training (``interval_training.py``) from neighbourhoods of training customers, and
served from tables over every whole age 0-120 and income 0-200 k$ computed from them at training (the
input is rounded to the nearest whole age and income, and clipped to the table, for the look-up): a few
array look-ups instead of a neighbour search per request.

- ``ConditionalInterval``: interval = prediction + (low, high) x spread, where the spread is the mean
  absolute cross-validated residual of the k training customers nearest in (age, income) (locally
  normalised conformal), and (low, high) are quantiles of the residuals divided by their spread,
  optionally one pair per income group (Mondrian). No spread model means a spread of 1: plain residual
  quantiles, the same width for everyone.
- ``TwoPeaks``: the scores of the k training customers nearest in (age, income) are split in two where
  the split explains most of their spread; when the two groups are far apart for their own spread, the
  answer has two modes (the groups' means).
"""

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from inference_service.fast_model import NeighboursFastModel

AGE, INCOME = 1, 2  # columns of the feature matrix
TABLE_AGES, TABLE_INCOMES = 121, 201  # whole ages 0-120, incomes 0-200


class RowValues(Protocol):
    def predict(self, features: np.ndarray) -> np.ndarray:
        """One value (or one row of values) per input row."""
        ...


def table_cells(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cell in a whole-number table: age and income rounded, clipped to the table."""
    ages = np.clip(np.rint(features[:, AGE]), 0, TABLE_AGES - 1).astype(np.intp)
    incomes = np.clip(np.rint(features[:, INCOME]), 0, TABLE_INCOMES - 1).astype(np.intp)
    return ages, incomes


def table_points() -> np.ndarray:
    """(ages x incomes, 3) rows, one per table cell (gender 0: the tables do not depend on it)."""
    ages, incomes = np.meshgrid(np.arange(TABLE_AGES), np.arange(TABLE_INCOMES), indexing="ij")
    return np.column_stack([np.zeros(ages.size), ages.ravel(), incomes.ravel()]).astype(np.float64)


@dataclass(frozen=True)
class WholeNumberTable:
    values: np.ndarray  # (ages, incomes) or (ages, incomes, k)

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.values[table_cells(features)])

    @classmethod
    def of(cls, model: RowValues) -> "WholeNumberTable":
        values = np.asarray(model.predict(table_points()))
        return cls(values.reshape((TABLE_AGES, TABLE_INCOMES, *values.shape[1:])))


@dataclass(frozen=True)
class ConditionalInterval:
    income_cuts: np.ndarray  # group g holds cuts[g-1] < income <= cuts[g]; empty: one group
    low: np.ndarray  # one scaled residual quantile per group
    high: np.ndarray
    spread: RowValues | None  # the local residual scale (a neighbour model, or its table); None: 1

    def offsets(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What to add to each row's prediction for the interval's two ends."""
        group = np.searchsorted(self.income_cuts, features[:, INCOME], side="left")
        scale = self.spread.predict(features) if self.spread is not None else np.ones(len(features))
        return self.low[group] * scale, self.high[group] * scale

    def to_spec(self) -> dict[str, Any]:
        return {
            "income_cuts": self.income_cuts,
            "low": self.low,
            "high": self.high,
            "spread": None if self.spread is None else WholeNumberTable.of(self.spread).values,
        }


def two_group_split(values: np.ndarray, min_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``values`` (n, k): the best split of its sorted values into a low and a high group
    (each at least ``min_share`` of k), as (low mean, high mean, separation), where separation is the
    gap between the means over the pooled within-group standard deviation."""
    ordered = np.sort(values, axis=1)
    count = ordered.shape[1]
    smallest = max(1, int(np.ceil(min_share * count)))
    sums, squares = np.cumsum(ordered, axis=1), np.cumsum(ordered * ordered, axis=1)
    sizes = np.arange(smallest, count - smallest + 1)  # rows in the low group
    low_sum, low_squares = sums[:, sizes - 1], squares[:, sizes - 1]
    high_sum, high_squares = sums[:, -1:] - low_sum, squares[:, -1:] - low_squares
    low_mean, high_mean = low_sum / sizes, high_sum / (count - sizes)
    between = sizes * (count - sizes) * (high_mean - low_mean) ** 2
    best = np.argmax(between, axis=1)[:, np.newaxis]  # the 1-D two-means split
    within = (low_squares - sizes * low_mean**2) + (high_squares - (count - sizes) * high_mean**2)
    low_best = np.take_along_axis(low_mean, best, axis=1)[:, 0]
    high_best = np.take_along_axis(high_mean, best, axis=1)[:, 0]
    spread = np.sqrt(np.maximum(np.take_along_axis(within, best, axis=1)[:, 0] / count, 1e-12))
    return low_best, high_best, (high_best - low_best) / spread


@dataclass(frozen=True)
class NeighbourModes:
    """Training-time form of the rule: the two modes of each row's neighbours, NaN where one peak."""

    neighbours: NeighboursFastModel  # its targets are the training customers' scores
    min_share: float
    min_separation: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        scores = self.neighbours.targets[self.neighbours.nearest(features)]
        low, high, separation = two_group_split(scores, self.min_share)
        two_peaked = separation >= self.min_separation
        return np.where(two_peaked[:, np.newaxis], np.column_stack([low, high]), np.nan)


@dataclass(frozen=True)
class TwoPeaks:
    rule: RowValues  # (n, 2) low and high modes, NaN on one-peaked rows

    def modes(self, features: np.ndarray) -> np.ndarray:
        """(n, 2) low and high modes; NaN on rows whose neighbours' scores have one peak."""
        return np.asarray(self.rule.predict(features))

    def to_spec(self) -> dict[str, Any]:
        return {"modes_table": WholeNumberTable.of(self.rule).values}


def interval_from_spec(spec: dict[str, Any]) -> ConditionalInterval:
    spread = spec["spread"]
    return ConditionalInterval(
        income_cuts=np.asarray(spec["income_cuts"], dtype=np.float64),
        low=np.asarray(spec["low"], dtype=np.float64),
        high=np.asarray(spec["high"], dtype=np.float64),
        spread=None if spread is None else WholeNumberTable(np.asarray(spread, dtype=np.float64)),
    )


def two_peaks_from_spec(spec: dict[str, Any] | None) -> TwoPeaks | None:
    if spec is None:
        return None
    return TwoPeaks(WholeNumberTable(np.asarray(spec["modes_table"], dtype=np.float64)))
