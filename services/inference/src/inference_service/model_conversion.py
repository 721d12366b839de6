"""Training-time only: the neighbour search scikit-learn is trained with, and the conversion of fitted
scikit-learn estimators into the serving forms of ``fast_model.py`` (the service never imports this)."""

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    VotingRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from inference_service.fast_model import (
    AverageFastModel,
    FastModel,
    LinearFastModel,
    NeighboursFastModel,
    SoftmaxFastModel,
    ThresholdGridFastModel,
    squared_distances,
)

# Trees split on observed values: 2 genders x ~50 ages x ~65 incomes here. Refuse what would not fit.
MAX_GRID_CELLS = 1_000_000


class DistancesToTrainingPoints(TransformerMixin, BaseEstimator):
    """Rows in, squared distances to the rows seen in ``fit`` out, for a ``metric="precomputed"`` k-NN.

    Integer ages and incomes put many training points at exactly the same distance from a query, and
    which of them a k-NN keeps depends on its search (KD-tree and brute force disagree). With the
    distances computed here by ``fast_model.squared_distances`` and the choice made by scikit-learn's
    precomputed brute search, the serving model can make the very same choice (``nearest_indices``).
    """

    def fit(self, points: np.ndarray, _target: Any = None) -> "DistancesToTrainingPoints":
        self.training_points_ = np.array(points, dtype=np.float64)
        return self

    def transform(self, points: np.ndarray) -> np.ndarray:
        return squared_distances(np.asarray(points, dtype=np.float64), self.training_points_)


def neighbours_pipeline(columns: list[int], k: int = 10) -> Pipeline:
    """Scale ``columns``, then the k nearest neighbours (uniform weights) by euclidean distance."""
    return Pipeline(
        [
            ("scale", ColumnTransformer([("scaled", StandardScaler(), columns)])),
            ("distances", DistancesToTrainingPoints()),
            ("knn", KNeighborsRegressor(n_neighbors=k, metric="precomputed", algorithm="brute")),
        ]
    )


def _threshold_grid(ensemble: Any, n_features: int) -> ThresholdGridFastModel:
    trees = list(np.ravel(ensemble.estimators_))
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
    # A classifier's table holds its class probabilities: one more axis, of one value per class.
    values = (
        ensemble.predict_proba(points) if hasattr(ensemble, "predict_proba") else ensemble.predict(points)
    )
    table = np.asarray(values).reshape(mesh[0].shape + np.shape(values)[1:])
    return ThresholdGridFastModel(thresholds, table)


def _neighbours(pipeline: Pipeline) -> NeighboursFastModel:
    steps = dict(pipeline.steps)
    preprocess, distances, knn = steps.get("scale"), steps.get("distances"), steps.get("knn")
    if (
        not isinstance(preprocess, ColumnTransformer)
        or not isinstance(distances, DistancesToTrainingPoints)
        or not isinstance(knn, KNeighborsRegressor)
        or knn.weights != "uniform"
    ):
        raise TypeError("only pipelines made by neighbours_pipeline() can be converted")
    _, scaler, columns = preprocess.transformers_[0]
    if not isinstance(scaler, StandardScaler):
        raise TypeError("the neighbours pipeline must scale with a StandardScaler")
    return NeighboursFastModel(
        columns=np.asarray(columns, dtype=np.intp),
        mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.asarray(scaler.scale_, dtype=np.float64),
        training_points=distances.training_points_,
        targets=np.asarray(knn._y, dtype=np.float64),
        k=int(knn.n_neighbors),
    )


def _softmax(pipeline: Pipeline) -> SoftmaxFastModel:
    """Scaling then a multinomial logistic regression, folded into one linear score per class."""
    steps = dict(pipeline.steps)
    scaler, logistic = steps.get("scale"), steps.get("logistic")
    if not isinstance(scaler, StandardScaler) or not isinstance(logistic, LogisticRegression):
        raise TypeError("only StandardScaler + LogisticRegression pipelines convert to a softmax")
    if len(logistic.classes_) < 3:
        raise TypeError("a two-class logistic regression has one score, not one per class")
    weights = np.asarray(logistic.coef_, dtype=np.float64) / scaler.scale_
    intercepts = np.asarray(logistic.intercept_, dtype=np.float64) - weights @ scaler.mean_
    return SoftmaxFastModel(weights, intercepts)


def convert(estimator: Any, n_features: int) -> FastModel:
    """The serving form of a fitted estimator; raises TypeError for a kind it does not know."""
    if isinstance(estimator, LinearRegression | Ridge):
        return LinearFastModel(np.asarray(estimator.coef_, dtype=np.float64), float(estimator.intercept_))
    if isinstance(estimator, RandomForestRegressor | GradientBoostingRegressor | RandomForestClassifier):
        return _threshold_grid(estimator, n_features)
    if isinstance(estimator, Pipeline) and "logistic" in dict(estimator.steps):
        return _softmax(estimator)
    if isinstance(estimator, Pipeline):
        return _neighbours(estimator)
    if isinstance(estimator, VotingRegressor) and estimator.weights is None:
        return AverageFastModel(tuple(convert(part, n_features) for part in estimator.estimators_))
    raise TypeError(f"no serving form for {type(estimator).__name__}")
