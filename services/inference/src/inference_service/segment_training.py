"""Training-time only: the segmentation of the training customers (k-means on standardised annual income
and spending score, k by silhouette) and the classifier of segment from (gender, age, income), chosen
and scored on the regressor's repeated CV folds, converted to numpy for serving."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, silhouette_score
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.parallel import Parallel, delayed

from inference_service.dataset import TrainingData
from inference_service.fast_model import FastModel
from inference_service.model_conversion import convert
from inference_service.segments import Segmentation, describe_position

INCOME = 2
K_RANGE = range(3, 9)
KMEANS_SEED, KMEANS_INITS = 0, 10
CV_SPLITS, CV_REPEATS, CV_SEED = 5, 5, 42
PROBABILITY_TOLERANCE = 1e-9
THREADS = 2


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # segment index of every training row (in the order of ``segments``)
    segments: list[dict[str, Any]]
    scale: dict[str, dict[str, float]]
    silhouette: dict[int, float]


def cluster(data: TrainingData) -> Clustering:
    """k-means on standardised (income, score), k in 3-8 by silhouette; segments ordered by centroid
    (income, then spending) so that labels do not depend on k-means' own numbering."""
    points = np.column_stack([data.features[:, INCOME], data.target])
    mean, std = points.mean(axis=0), points.std(axis=0)
    standardised = (points - mean) / std
    fits = {
        k: KMeans(n_clusters=k, n_init=KMEANS_INITS, random_state=KMEANS_SEED).fit(standardised)
        for k in K_RANGE
    }
    silhouette = {k: round(float(silhouette_score(standardised, fit.labels_)), 4) for k, fit in fits.items()}
    best = fits[max(silhouette, key=lambda k: silhouette[k])]
    centroids = np.asarray(best.cluster_centers_)
    order = sorted(
        range(len(centroids)),
        key=lambda index: (round(centroids[index, 0], 6), round(centroids[index, 1], 6)),
    )
    relabel = np.empty(len(order), dtype=int)
    relabel[order] = np.arange(len(order))
    labels = relabel[best.labels_]
    segments, seen = [], dict[str, int]()
    for position, index in enumerate(order):
        z_income, z_spending = (float(value) for value in centroids[index])
        words = describe_position(z_income, z_spending)
        seen[words["id"]] = seen.get(words["id"], 0) + 1
        if seen[words["id"]] > 1:  # two centroids in the same cell (k > 5): keep ids unique
            words["id"] = f"{words['id']}-{seen[words['id']]}"
        size = int(np.sum(labels == position))
        segments.append(
            {
                **words,
                "centroid": {
                    "annual_income": round(float(z_income * std[0] + mean[0]), 2),
                    "spending_score": round(float(z_spending * std[1] + mean[1]), 2),
                },
                "standardised_centroid": [z_income, z_spending],
                "size": size,
                "share": round(size / len(labels), 4),
            }
        )
    scale = {
        "annual_income": {"mean": float(mean[0]), "std": float(std[0])},
        "spending_score": {"mean": float(mean[1]), "std": float(std[1])},
    }
    return Clustering(labels, segments, scale, silhouette)


@dataclass(frozen=True)
class ClassifierCandidate:
    name: str
    description: str
    make: Callable[[], Any]


CLASSIFIERS = (
    ClassifierCandidate(
        "logistic",
        "multinomial logistic regression on scaled gender, age and income (C = 10)",
        lambda: Pipeline(
            [("scale", StandardScaler()), ("logistic", LogisticRegression(C=10.0, max_iter=2000))]
        ),
    ),
    ClassifierCandidate(
        "random_forest",
        "random forest classifier (40 trees, leaves of at least 5)",
        lambda: RandomForestClassifier(n_estimators=40, min_samples_leaf=5, random_state=0),
    ),
)


def _probabilities(model: Any, features: np.ndarray, classes: int) -> np.ndarray:
    """(n, classes) even when a training fold lacked a class (its column is 0)."""
    full = np.zeros((len(features), classes))
    full[:, model.classes_] = model.predict_proba(features)
    return full


def _split_scores(
    candidate: ClassifierCandidate,
    features: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
) -> tuple[float, float, float, float]:
    classes = int(labels.max()) + 1
    model = clone(candidate.make()).fit(features[train], labels[train])
    probabilities = np.clip(_probabilities(model, features[test], classes), 1e-15, 1.0)
    frequencies = np.bincount(labels[train], minlength=classes) / len(train)
    baseline = np.clip(np.tile(frequencies, (len(test), 1)), 1e-15, 1.0)
    all_classes = list(range(classes))
    return (
        float(np.mean(np.argmax(probabilities, axis=1) == labels[test])),
        float(log_loss(labels[test], probabilities, labels=all_classes)),
        float(np.mean(labels[test] == np.argmax(frequencies))),
        float(log_loss(labels[test], baseline, labels=all_classes)),
    )


def _figure(values: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4)}


def check_classifier(fast: FastModel, estimator: Any, probe: np.ndarray) -> None:
    """Refuse a serving classifier whose probabilities differ from scikit-learn's on any probe row."""
    gap = float(np.max(np.abs(fast.predict(probe) - estimator.predict_proba(probe))))
    if gap > PROBABILITY_TOLERANCE:
        raise RuntimeError(f"the serving classifier differs from scikit-learn by {gap}: not saving it")


def train_segmentation(data: TrainingData, probe: np.ndarray) -> tuple[Segmentation, dict[str, Any], Any]:
    """Segments, the chosen classifier (served form, checked against ``probe``), the card's figures and
    the fitted scikit-learn classifier."""
    clustering = cluster(data)
    splits = list(
        RepeatedKFold(n_splits=CV_SPLITS, n_repeats=CV_REPEATS, random_state=CV_SEED).split(data.features)
    )
    results = {}
    for candidate in CLASSIFIERS:
        scores = Parallel(n_jobs=THREADS, prefer="threads")(
            delayed(_split_scores)(candidate, data.features, clustering.labels, train, test)
            for train, test in splits
        )
        results[candidate.name] = scores
    chosen = min(CLASSIFIERS, key=lambda candidate: np.mean([s[1] for s in results[candidate.name]]))
    estimator = clone(chosen.make()).fit(data.features, clustering.labels)
    fast = convert(estimator, data.features.shape[1])
    check_classifier(fast, estimator, probe)
    first = results[chosen.name]
    metadata = {
        "k": len(clustering.segments),
        "k_range": [K_RANGE.start, K_RANGE.stop - 1],
        "silhouette": {str(k): value for k, value in clustering.silhouette.items()},
        "seed": KMEANS_SEED,
        "scale": clustering.scale,
        "segments": [
            {key: value for key, value in segment.items() if key != "standardised_centroid"}
            for segment in clustering.segments
        ],
        "classifier": {
            "candidate": chosen.name,
            "description": chosen.description,
            "cv": {"accuracy": _figure([s[0] for s in first]), "log_loss": _figure([s[1] for s in first])},
            "baseline_cv": {
                "accuracy": _figure([s[2] for s in first]),
                "log_loss": _figure([s[3] for s in first]),
            },
            "candidates": {
                name: {
                    "accuracy": _figure([s[0] for s in scores]),
                    "log_loss": _figure([s[1] for s in scores]),
                }
                for name, scores in results.items()
            },
        },
        "training_points": [
            {"annual_income": float(income), "spending_score": float(score), "segment": int(label)}
            for income, score, label in zip(
                data.features[:, INCOME], data.target, clustering.labels, strict=True
            )
        ],
    }
    return Segmentation(clustering.segments, clustering.scale, fast), metadata, estimator
