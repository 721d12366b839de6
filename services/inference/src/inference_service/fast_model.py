"""Scikit-learn models converted at training time into plain arrays that predict in microseconds.

scikit-learn's own ``predict`` costs 0.1 to several milliseconds per call in input validation and
per-tree Python overhead. The converted forms compute the same numbers with a few numpy operations:

- a tree ensemble over three features is piecewise constant on the grid cut by all of its split
  thresholds, so it becomes a 3-D table of cell values plus one sorted threshold array per feature;
  predicting is three ``searchsorted`` calls and one lookup (exact, whatever the number of trees);
- k nearest neighbours keeps the scaled training points in the same ``KDTree`` scikit-learn uses;
- a linear model is its coefficients; an average of models is the average of their conversions.
"""

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    RandomForestRegressor,
    VotingRegressor,
)
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.neighbors import KDTree, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

# Trees split on observed values: 2 genders x ~50 ages x ~65 incomes here. Refuse what would not fit.
MAX_GRID_CELLS = 1_000_000


class FastModel(Protocol):
    def predict(self, features: np.ndarray) -> np.ndarray:
        """Raw predictions for an (n, 3) float64 array."""
        ...


@dataclass(frozen=True)
class LinearFastModel:
    coefficients: np.ndarray
    intercept: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features @ self.coefficients + self.intercept)


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


@dataclass(frozen=True)
class NeighboursFastModel:
    columns: np.ndarray  # which input columns the neighbours are searched on
    mean: np.ndarray
    scale: np.ndarray
    tree: KDTree
    targets: np.ndarray
    k: int

    def predict(self, features: np.ndarray) -> np.ndarray:
        scaled = (features[:, self.columns] - self.mean) / self.scale
        neighbours = self.tree.query(scaled, k=self.k, return_distance=False)
        return np.asarray(self.targets[neighbours].mean(axis=1))


@dataclass(frozen=True)
class AverageFastModel:
    parts: tuple[FastModel, ...]

    def predict(self, features: np.ndarray) -> np.ndarray:
        total = self.parts[0].predict(features)
        for part in self.parts[1:]:
            total = total + part.predict(features)
        return total / len(self.parts)


def _threshold_grid(ensemble: object, n_features: int) -> ThresholdGridFastModel:
    estimators = getattr(ensemble, "estimators_")  # noqa: B009 - fitted attribute, differs by class
    trees = list(np.ravel(estimators))
    cuts: list[set[float]] = [set() for _ in range(n_features)]
    for tree in trees:
        structure = tree.tree_
        split_nodes = structure.children_left >= 0
        for feature, threshold in zip(
            structure.feature[split_nodes], structure.threshold[split_nodes], strict=True
        ):
            cuts[feature].add(float(threshold))
    thresholds = tuple(np.array(sorted(values)) for values in cuts)
    cells = int(np.prod([len(t) + 1 for t in thresholds]))
    if cells > MAX_GRID_CELLS:  # e.g. extremely randomised trees: every split is a new threshold
        raise TypeError(f"tree ensemble has {cells} threshold cells, more than {MAX_GRID_CELLS}")
    # One representative point per cell: below the first cut, between cuts, above the last.
    representatives = [
        np.concatenate([[t[0] - 1.0], (t[:-1] + t[1:]) / 2, [t[-1] + 1.0]]) if len(t) else np.zeros(1)
        for t in thresholds
    ]
    mesh = np.meshgrid(*representatives, indexing="ij")
    points = np.column_stack([axis.ravel() for axis in mesh])
    table = np.asarray(getattr(ensemble, "predict")(points)).reshape(mesh[0].shape)  # noqa: B009
    return ThresholdGridFastModel(thresholds, table)


def _neighbours(pipeline: Pipeline, n_features: int) -> NeighboursFastModel:
    preprocess, knn = pipeline.steps[0][1], pipeline.steps[-1][1]
    if not isinstance(knn, KNeighborsRegressor) or knn.weights != "uniform":
        raise TypeError("only uniform-weight KNeighborsRegressor pipelines can be converted")
    if isinstance(preprocess, ColumnTransformer):
        name, scaler, columns = preprocess.transformers_[0]
        columns_array = np.asarray(columns)
    else:
        scaler, columns_array = preprocess, np.arange(n_features)
    if not isinstance(scaler, StandardScaler):
        raise TypeError("the neighbours pipeline must scale with a StandardScaler")
    training_points = knn._fit_X  # the scaled points scikit-learn searches
    return NeighboursFastModel(
        columns=columns_array,
        mean=np.asarray(scaler.mean_),
        scale=np.asarray(scaler.scale_),
        tree=KDTree(training_points, leaf_size=knn.leaf_size),
        targets=np.asarray(knn._y, dtype=np.float64),
        k=int(knn.n_neighbors),
    )


def convert(estimator: object, n_features: int) -> FastModel:
    """The fast form of a fitted estimator; raises TypeError for a kind it does not know."""
    if isinstance(estimator, LinearRegression | Ridge):
        return LinearFastModel(np.asarray(estimator.coef_, dtype=np.float64), float(estimator.intercept_))
    if isinstance(estimator, RandomForestRegressor | GradientBoostingRegressor):
        return _threshold_grid(estimator, n_features)
    if isinstance(estimator, Pipeline):
        return _neighbours(estimator, n_features)
    if isinstance(estimator, VotingRegressor) and estimator.weights is None:
        return AverageFastModel(tuple(convert(part, n_features) for part in estimator.estimators_))
    raise TypeError(f"no fast form for {type(estimator).__name__}")
