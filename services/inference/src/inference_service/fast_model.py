"""The serving forms of the model: plain numpy arrays that predict in microseconds, without scikit-learn.

Training converts the fitted scikit-learn estimator into these (``model_conversion.py``) and checks that
they give the same numbers; the artifact stores them as a spec of arrays and plain values, so the
serving process imports numpy only:

- a tree ensemble over three features is piecewise constant on the grid cut by all of its split
  thresholds, so it becomes a 3-D table of cell values plus one sorted threshold array per feature;
  predicting is three ``searchsorted`` calls and one lookup (exact, whatever the number of trees);
- k nearest neighbours keeps the scaled training points; the neighbours of a row are chosen by the
  same numpy calls scikit-learn's brute search makes on a precomputed distance matrix (see
  ``nearest_indices``), so that ties are broken identically;
- a linear model is its coefficients; an average of models is the average of their conversions;
- a classifier's probabilities come the same ways: a forest's table holds one probability per class in
  each cell, a multinomial logistic regression is one linear score per class and a softmax.
"""

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

# Rows per distance matrix in the neighbour search: 2,000 x 200 training points is 3 MB at a time.
NEIGHBOUR_CHUNK_ROWS = 2000


class FastModel(Protocol):
    def predict(self, features: np.ndarray) -> np.ndarray:
        """Raw predictions for an (n, 3) float64 array ((n, classes) probabilities for a classifier)."""
        ...

    def to_spec(self) -> dict[str, Any]:
        """Arrays and plain values only: what the artifact stores."""
        ...


def squared_distances(points: np.ndarray, training_points: np.ndarray) -> np.ndarray:
    """(n, m) squared euclidean distances; training and serving both use this one function."""
    # Column by column, in a fixed order: each value does not depend on how many rows come along,
    # and no (n, m, columns) temporary is made.
    total = np.zeros((len(points), len(training_points)))
    for column in range(points.shape[1]):
        differences = points[:, column, np.newaxis] - training_points[np.newaxis, :, column]
        total += differences * differences
    return total


def nearest_indices(distances: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of the k nearest training points of each row, nearest first.

    The same calls as scikit-learn's ``KNeighborsRegressor`` on a precomputed matrix (argpartition,
    then argsort of the k kept), so that among points at the same distance the same ones are kept.
    """
    kept = np.argpartition(distances, k - 1, axis=1)[:, :k]
    rows = np.arange(len(distances))[:, np.newaxis]
    return np.asarray(kept[rows, np.argsort(distances[rows, kept])])


@dataclass(frozen=True)
class LinearFastModel:
    coefficients: np.ndarray
    intercept: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features @ self.coefficients + self.intercept)

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "linear", "coefficients": self.coefficients, "intercept": self.intercept}


@dataclass(frozen=True)
class ThresholdGridFastModel:
    """A tree ensemble as a table over the cells between its split thresholds."""

    thresholds: tuple[np.ndarray, ...]  # one sorted array per feature
    table: np.ndarray  # shape (len(thresholds[0]) + 1, ...), the ensemble's value in each cell

    def predict(self, features: np.ndarray) -> np.ndarray:
        # Trees compare float32 inputs with ``x <= threshold``: cell i holds t[i-1] < x <= t[i].
        as_float32 = features.astype(np.float32).astype(np.float64)
        cells = tuple(
            np.searchsorted(thresholds, as_float32[:, column], side="left")
            for column, thresholds in enumerate(self.thresholds)
        )
        return np.asarray(self.table[cells])

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "threshold_grid", "thresholds": list(self.thresholds), "table": self.table}


@dataclass(frozen=True)
class NeighboursFastModel:
    columns: np.ndarray  # which input columns the neighbours are searched on
    mean: np.ndarray
    scale: np.ndarray
    training_points: np.ndarray  # scaled, in the order scikit-learn was fitted on
    targets: np.ndarray
    k: int

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(np.mean(self.targets[self.nearest(features)], axis=1))

    def nearest(self, features: np.ndarray) -> np.ndarray:
        """(n, k) indices of each row's k nearest training points, nearest first."""
        scaled = (features[:, self.columns] - self.mean) / self.scale
        return np.concatenate(
            [
                nearest_indices(
                    squared_distances(scaled[start : start + NEIGHBOUR_CHUNK_ROWS], self.training_points),
                    self.k,
                )
                for start in range(0, len(scaled), NEIGHBOUR_CHUNK_ROWS)
            ]
        )

    def to_spec(self) -> dict[str, Any]:
        return {
            "kind": "neighbours",
            "columns": self.columns,
            "mean": self.mean,
            "scale": self.scale,
            "training_points": self.training_points,
            "targets": self.targets,
            "k": self.k,
        }


@dataclass(frozen=True)
class SoftmaxFastModel:
    """A multinomial logistic regression: class probabilities from one linear score per class."""

    coefficients: np.ndarray  # (classes, features)
    intercepts: np.ndarray

    def predict(self, features: np.ndarray) -> np.ndarray:
        scores = features @ self.coefficients.T + self.intercepts
        scores = scores - scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True))

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "softmax", "coefficients": self.coefficients, "intercepts": self.intercepts}


@dataclass(frozen=True)
class AverageFastModel:
    parts: tuple[FastModel, ...]

    def predict(self, features: np.ndarray) -> np.ndarray:
        total = self.parts[0].predict(features)
        for part in self.parts[1:]:
            total = total + part.predict(features)
        return total / len(self.parts)

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "average", "parts": [part.to_spec() for part in self.parts]}


def neighbours_from_spec(spec: dict[str, Any]) -> NeighboursFastModel:
    return NeighboursFastModel(
        columns=np.asarray(spec["columns"], dtype=np.intp),
        mean=np.asarray(spec["mean"], dtype=np.float64),
        scale=np.asarray(spec["scale"], dtype=np.float64),
        training_points=np.asarray(spec["training_points"], dtype=np.float64),
        targets=np.asarray(spec["targets"], dtype=np.float64),
        k=int(spec["k"]),
    )


def from_spec(spec: dict[str, Any]) -> FastModel:
    """The serving model described by ``to_spec``; raises ValueError for an unknown kind."""
    kind = spec.get("kind")
    if kind == "linear":
        return LinearFastModel(np.asarray(spec["coefficients"], dtype=np.float64), float(spec["intercept"]))
    if kind == "threshold_grid":
        thresholds = tuple(np.asarray(t, dtype=np.float64) for t in spec["thresholds"])
        return ThresholdGridFastModel(thresholds, np.asarray(spec["table"], dtype=np.float64))
    if kind == "neighbours":
        return neighbours_from_spec(spec)
    if kind == "softmax":
        return SoftmaxFastModel(
            np.asarray(spec["coefficients"], dtype=np.float64),
            np.asarray(spec["intercepts"], dtype=np.float64),
        )
    if kind == "average":
        return AverageFastModel(tuple(from_spec(part) for part in spec["parts"]))
    raise ValueError(f"unknown serving model kind {kind!r}")
