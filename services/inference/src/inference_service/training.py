"""Train the spending-score model: reproduce the original baseline, select a better model by nested
repeated cross-validation, choose and fit an 80% interval that depends on the customer and the two-peak
rule, segment the training customers and fit the segment classifier, save the artifact and write the
model card with its scatter plot.

Usage: ``python -m inference_service.training [--output PATH] [--card PATH] [--no-card]``
"""

import argparse
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor, VotingRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, KFold, RepeatedKFold, train_test_split
from sklearn.utils.parallel import Parallel, delayed

from inference_service.dataset import FEATURES, GENDER_CODES, TARGET, TrainingData, load_training_data
from inference_service.fast_model import FastModel
from inference_service.interval_training import select_interval, select_two_peaks
from inference_service.model_card import render_model_card
from inference_service.model_conversion import convert, neighbours_pipeline
from inference_service.segment_chart import render_segment_chart
from inference_service.segment_training import train_segmentation

logger = logging.getLogger(__name__)

MODEL_NAME = "spendscore-regressor"
# 2: the artifact holds the serving model as arrays only, no scikit-learn objects;
# 3: plus the conditional interval, the two-peak rule and the segments (still arrays and plain values).
MODEL_FORMAT = 3
REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_CARD_PATH = REPO_ROOT / "docs" / "model-card.md"
SEGMENT_CHART_NAME = "model-card-segments.svg"  # written beside the card
CV_SPLITS, CV_REPEATS, CV_SEED = 5, 5, 42
INNER_SPLITS, INNER_SEED = 3, 7
INTERVAL_LEVEL = 0.8
MIN_SELECTED_CV_R2 = 0.30
FAST_MODEL_TOLERANCE = 1e-9
TRAINING_THREADS = 2
AGE, INCOME = 1, 2  # columns of the feature matrix


def _neighbours(k: int = 10) -> Any:
    # Gender is left out: the neighbourhood is "customers of about the same age and income".
    return neighbours_pipeline([AGE, INCOME], k)


def _forest(min_samples_leaf: int = 5) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=40, min_samples_leaf=min_samples_leaf, random_state=0)


def _inner_search(estimator: Any, grid: dict[str, list[Any]]) -> GridSearchCV:
    """Hyper-parameters chosen by an inner CV on the training rows only (nested inside the outer CV)."""
    return GridSearchCV(
        estimator, grid, cv=KFold(INNER_SPLITS, shuffle=True, random_state=INNER_SEED), scoring="r2"
    )


@dataclass(frozen=True)
class Candidate:
    name: str
    description: str
    make: Callable[[], Any]


CANDIDATES = (
    Candidate("linear", "ordinary least squares (the original model's kind)", LinearRegression),
    Candidate(
        "ridge",
        "ridge regression, alpha tuned",
        lambda: _inner_search(Ridge(), {"alpha": [0.1, 10.0, 100.0]}),
    ),
    Candidate(
        "knn",
        "k nearest neighbours on scaled age and income, k tuned",
        lambda: _inner_search(_neighbours(), {"knn__n_neighbors": [7, 10, 15]}),
    ),
    Candidate(
        "random_forest",
        "random forest (40 trees), leaf size tuned",
        lambda: _inner_search(_forest(), {"min_samples_leaf": [3, 5]}),
    ),
    Candidate(
        "gradient_boosting",
        "gradient boosting (60 trees of depth 3), learning rate tuned",
        lambda: _inner_search(
            GradientBoostingRegressor(
                n_estimators=60, max_depth=3, subsample=0.8, min_samples_leaf=5, random_state=0
            ),
            {"learning_rate": [0.05, 0.1]},
        ),
    ),
    Candidate(
        "forest_knn_average",
        "average of a random forest (leaf 5) and k nearest neighbours, k tuned",
        lambda: _inner_search(
            VotingRegressor([("forest", _forest()), ("neighbours", _neighbours())]),
            {"neighbours__knn__n_neighbors": [7, 10]},
        ),
    ),
)


@dataclass
class CvResult:
    name: str
    r2: list[float] = field(default_factory=list)
    rmse: list[float] = field(default_factory=list)
    mae: list[float] = field(default_factory=list)
    # Out-of-fold residuals (actual - predicted) per repeat, each with the fold index of every row.
    residuals: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            metric: {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4)}
            for metric, values in (("r2", self.r2), ("rmse", self.rmse), ("mae", self.mae))
        }


def _score_split(candidate: Candidate, data: TrainingData, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    model = clone(candidate.make()).fit(data.features[train], data.target[train])
    return np.asarray(model.predict(data.features[test]))


def cross_validate(candidate: Candidate, data: TrainingData) -> CvResult:
    """Repeated k-fold CV; a candidate that tunes does so inside each training fold only.

    Splits run on two threads (tree fitting releases the GIL); each split's result does not depend
    on the order, so the figures are the same as a sequential run.
    """
    result = CvResult(candidate.name)
    splitter = RepeatedKFold(n_splits=CV_SPLITS, n_repeats=CV_REPEATS, random_state=CV_SEED)
    splits = list(splitter.split(data.features))
    predictions = Parallel(n_jobs=TRAINING_THREADS, prefer="threads")(
        delayed(_score_split)(candidate, data, train, test) for train, test in splits
    )
    n_rows = len(data.target)
    residuals, fold_of_row = np.empty(n_rows), np.empty(n_rows, dtype=int)
    for split_number, ((_, test), predicted) in enumerate(zip(splits, predictions, strict=True)):
        actual = data.target[test]
        result.r2.append(float(r2_score(actual, predicted)))
        result.rmse.append(float(np.sqrt(mean_squared_error(actual, predicted))))
        result.mae.append(float(mean_absolute_error(actual, predicted)))
        fold = split_number % CV_SPLITS
        residuals[test], fold_of_row[test] = actual - predicted, fold
        if fold == CV_SPLITS - 1:
            result.residuals.append((residuals.copy(), fold_of_row.copy()))
    return result


def _inner_r2(candidate: Candidate, data: TrainingData, train: np.ndarray) -> float:
    """R² of a candidate (its grid's defaults, no tuning) by an inner 3-fold CV on these rows only."""
    made = candidate.make()
    estimator = made.estimator if isinstance(made, GridSearchCV) else made
    predicted = np.empty(len(train))
    for inner_train, inner_test in KFold(INNER_SPLITS, shuffle=True, random_state=INNER_SEED).split(train):
        model = clone(estimator).fit(data.features[train[inner_train]], data.target[train[inner_train]])
        predicted[inner_test] = model.predict(data.features[train[inner_test]])
    return float(r2_score(data.target[train], predicted))


def _repeat_range(per_split: list[float]) -> list[float]:
    """Min and max over the repeats of the per-repeat mean (splits are in repeat order)."""
    means = np.asarray(per_split).reshape(-1, CV_SPLITS).mean(axis=1)
    return [round(float(means.min()), 4), round(float(means.max()), 4)]


def nested_selection(results: list[CvResult], data: TrainingData) -> dict[str, Any]:
    """The choice among candidates nested too, on every outer fold of every repeat: each fold's
    candidate is chosen by an inner CV on its training rows, then scored on the fold (its score there
    is the one the outer CV already measured). Against it, the winner-on-all-folds on the same folds."""
    # The same splits, in the same order, as cross_validate's.
    splits = list(
        RepeatedKFold(n_splits=CV_SPLITS, n_repeats=CV_REPEATS, random_state=CV_SEED).split(data.features)
    )
    inner = Parallel(n_jobs=TRAINING_THREADS, prefer="threads")(
        delayed(_inner_r2)(candidate, data, train) for train, _ in splits for candidate in CANDIDATES
    )
    chosen, nested, winner = [], [], max(results, key=lambda result: float(np.mean(result.r2)))
    by_name = {result.name: result for result in results}
    for split in range(len(splits)):
        scores = inner[split * len(CANDIDATES) : (split + 1) * len(CANDIDATES)]
        name = CANDIDATES[int(np.argmax(scores))].name
        chosen.append(name)
        nested.append(by_name[name].r2[split])
    return {
        "r2": {"mean": round(float(np.mean(nested)), 4), "std": round(float(np.std(nested)), 4)},
        "r2_repeat_range": _repeat_range(nested),
        "folds": len(splits),
        "selected_on_same_folds_r2": round(float(np.mean(winner.r2)), 4),
        "chosen": {name: chosen.count(name) for name in sorted(set(chosen))},
    }


def _fixed(estimator: Any) -> Candidate:
    return Candidate("fixed", "the selected model with its parameters on all rows", lambda: clone(estimator))


def _r2_figure(values: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4)}


def gender_effect(estimator: Any, data: TrainingData) -> dict[str, Any]:
    """The selected model (its parameters fixed as chosen on all rows, so that the comparison costs one
    fit per fold) on the same folds, with gender and with gender blanked out (a constant column: no tree
    splits on it, the neighbours never used it), paired fold by fold."""
    blanked = data.features.copy()
    blanked[:, 0] = 0.0
    with_gender = cross_validate(_fixed(estimator), data)
    without = cross_validate(_fixed(estimator), TrainingData(blanked, data.target, data.sha256, data.path))
    gain = np.asarray(with_gender.r2) - np.asarray(without.r2)
    return {
        "r2_with": _r2_figure(with_gender.r2),
        "r2_without": _r2_figure(without.r2),
        "r2_gain": _r2_figure(list(gain)),
        "folds_where_gender_helps": int(np.sum(gain > 0)),
        "folds": len(gain),
        "helps": bool(np.mean(gain) > 0),
    }


def training_distribution(data: TrainingData) -> dict[str, dict[str, float]]:
    """Age and income of the training customers: what a store's customers are compared with (drift)."""
    return {
        name: {
            "count": len(values),
            "mean": round(float(np.mean(values)), 1),
            "p25": round(float(np.quantile(values, 0.25)), 1),
            "median": round(float(np.median(values)), 1),
            "p75": round(float(np.quantile(values, 0.75)), 1),
        }
        for name, values in (("age", data.features[:, AGE]), ("annual_income", data.features[:, INCOME]))
    }


def baseline_holdout(data: TrainingData) -> dict[str, float]:
    """The original model exactly: LinearRegression on a 80/20 split with random_state=42."""
    x_train, x_test, y_train, y_test = train_test_split(
        data.features, data.target, test_size=0.2, random_state=42
    )
    predicted = LinearRegression().fit(x_train, y_train).predict(x_test)
    return {
        "mse": round(float(mean_squared_error(y_test, predicted)), 4),
        "r2": round(float(r2_score(y_test, predicted)), 4),
    }


def _final_estimator(fitted: Any) -> Any:
    return fitted.best_estimator_ if isinstance(fitted, GridSearchCV) else fitted


def exactness_probe(data: TrainingData) -> np.ndarray:
    """Inputs the serving model must answer exactly as scikit-learn does: random ones, the training
    rows, and every whole age 15-75 x income 0-150 of both genders (whole numbers are what callers
    send, and where nearest neighbours tie)."""
    rng = np.random.default_rng(0)
    random_rows = np.column_stack(
        [rng.integers(0, 2, 2000), rng.uniform(0, 120, 2000), rng.uniform(0, 200, 2000)]
    )
    genders, ages, incomes = np.meshgrid([0.0, 1.0], np.arange(15.0, 76.0), np.arange(0.0, 151.0))
    whole_rows = np.column_stack([genders.ravel(), ages.ravel(), incomes.ravel()])
    return np.vstack([random_rows, data.features, whole_rows]).astype(np.float64)


def check_fast_model(fast_model: FastModel, estimator: Any, data: TrainingData) -> None:
    """Refuse a serving model that answers any probe input differently from scikit-learn."""
    probe = exactness_probe(data)
    gap = float(np.max(np.abs(fast_model.predict(probe) - estimator.predict(probe))))
    if gap > FAST_MODEL_TOLERANCE:
        raise RuntimeError(f"the serving model differs from scikit-learn by {gap}: not saving it")


@dataclass(frozen=True)
class TrainingResult:
    artifact: dict[str, Any]  # what is saved: metadata and the serving model as plain arrays
    estimator: Any  # the fitted scikit-learn model the serving model was checked against


def train(data: TrainingData | None = None) -> TrainingResult:
    """Run the whole selection; the artifact is a dict ready for joblib."""
    data = data or load_training_data()
    started = time.perf_counter()
    results = [cross_validate(candidate, data) for candidate in CANDIDATES]
    by_name = {result.name: result for result in results}
    selected = max(results, key=lambda result: float(np.mean(result.r2)))
    candidate = next(c for c in CANDIDATES if c.name == selected.name)
    fitted = clone(candidate.make()).fit(data.features, data.target)
    estimator = _final_estimator(fitted)
    fast_model = convert(estimator, len(FEATURES))
    check_fast_model(fast_model, estimator, data)
    ranges = {
        "age": {"min": float(data.features[:, AGE].min()), "max": float(data.features[:, AGE].max())},
        "annual_income": {
            "min": float(data.features[:, INCOME].min()),
            "max": float(data.features[:, INCOME].max()),
        },
    }
    interval_model, interval = select_interval(data.features, data.target, selected.residuals, INTERVAL_LEVEL)
    two_peaks, modes = select_two_peaks(data.features, data.target, selected.residuals)
    segmentation, segments_metadata, _ = train_segmentation(data, exactness_probe(data))
    metadata = {
        "name": MODEL_NAME,
        "version": f"{MODEL_FORMAT}.0.0+{selected.name}.{data.sha256[:8]}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(time.perf_counter() - started, 2),
        "data": {"file": data.path.name, "sha256": data.sha256, "rows": len(data.target), "target": TARGET},
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "joblib": joblib.__version__,
        },
        "features": [
            {"name": "gender", "type": "category", "encoding": GENDER_CODES},
            {"name": "age", "type": "number", "unit": "years"},
            {"name": "annual_income", "type": "number", "unit": "k$ per year"},
        ],
        "training_ranges": ranges,
        "training_distribution": training_distribution(data),
        "selected": {
            "candidate": selected.name,
            "description": candidate.description,
            "params": dict(getattr(fitted, "best_params_", {})),
        },
        "metrics": {
            "cv": selected.summary(),
            "cv_repeat_range": {"r2": _repeat_range(selected.r2)},
            "honest_selection": nested_selection(results, data),
            "gender_effect": gender_effect(estimator, data),
        },
        "candidates": {result.name: result.summary() for result in results},
        "cv_scheme": {
            "outer": f"{CV_SPLITS}-fold x {CV_REPEATS} repeats (seed {CV_SEED})",
            "inner": f"{INNER_SPLITS}-fold on the training rows only (seed {INNER_SEED})",
        },
        "baseline": {"holdout": baseline_holdout(data), "cv": by_name["linear"].summary()},
        "interval": {"level": INTERVAL_LEVEL, **interval},
        "modes": modes,
        "segmentation": segments_metadata,
    }
    artifact = {
        "format": MODEL_FORMAT,
        "metadata": metadata,
        "serving_model": fast_model.to_spec(),
        "interval_model": interval_model.to_spec(),
        "two_peaks": None if two_peaks is None else two_peaks.to_spec(),
        "segmentation": segmentation.to_spec(),
    }
    return TrainingResult(artifact, estimator)


def save_artifact(artifact: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    joblib.dump(artifact, partial)
    os.replace(partial, path)  # readers never see a half-written file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference_service.training", description=__doc__)
    parser.add_argument("--output", type=Path, default=None, help="artifact path (default: from settings)")
    parser.add_argument("--card", type=Path, default=DEFAULT_CARD_PATH, help="model card to write")
    parser.add_argument("--no-card", action="store_true", help="do not write the model card")
    args = parser.parse_args(argv)
    if args.output is None:
        from inference_service.config import default_model_path

        args.output = default_model_path()
    artifact = train().artifact
    metadata = artifact["metadata"]
    if metadata["metrics"]["cv"]["r2"]["mean"] < MIN_SELECTED_CV_R2:
        sys.exit(f"selected model's CV R2 is below {MIN_SELECTED_CV_R2}: refusing to save it")
    save_artifact(artifact, args.output)
    if not args.no_card:
        args.card.parent.mkdir(parents=True, exist_ok=True)
        chart_path = args.card.parent / SEGMENT_CHART_NAME
        chart_path.write_text(render_segment_chart(metadata["segmentation"]))
        args.card.write_text(render_model_card(metadata, chart_path.name))
    report = describe(metadata) + [f"model saved to {args.output}"]
    if not args.no_card:
        report.append(f"model card written to {args.card}")
    sys.stdout.write("\n".join(report) + "\n")
    return 0


def _figure(summary: dict[str, dict[str, float]]) -> str:
    return ", ".join(
        f"{metric.upper()} {summary[metric]['mean']:.3f} ± {summary[metric]['std']:.3f}"
        for metric in ("r2", "rmse", "mae")
    )


def describe(metadata: dict[str, Any]) -> list[str]:
    baseline = metadata["baseline"]
    return [
        f"baseline (original linear model), 80/20 holdout: MSE {baseline['holdout']['mse']:.2f}, "
        f"R2 {baseline['holdout']['r2']:.3f}",
        f"baseline, repeated CV: {_figure(baseline['cv'])}",
        *(f"  candidate {name:20s} {_figure(summary)}" for name, summary in metadata["candidates"].items()),
        f"selected {metadata['selected']['candidate']} {metadata['selected']['params']}: "
        f"{_figure(metadata['metrics']['cv'])}",
        _honest_line(metadata["metrics"]["honest_selection"]),
        *_interval_lines(metadata["interval"]),
        _modes_line(metadata["modes"]),
        _segments_line(metadata["segmentation"]),
        f"trained in {metadata['training_seconds']} s",
    ]


def _honest_line(honest: dict[str, Any]) -> str:
    low, high = honest["r2_repeat_range"]
    return (
        f"choice nested too ({honest['folds']} folds): R2 {honest['r2']['mean']:.3f} ± "
        f"{honest['r2']['std']:.3f} (repeats {low:.3f}-{high:.3f}; chosen {honest['chosen']}); "
        f"the overall winner on the same folds: {honest['selected_on_same_folds_r2']:.3f}"
    )


def _interval_lines(interval: dict[str, Any]) -> list[str]:
    groups = "; ".join(
        f"{name} " + ", ".join(f"{label}: {coverage:.1%}" for label, coverage in by_label.items())
        for name, by_label in interval["cv_coverage_by_group"].items()
    )
    return [
        f"{interval['level']:.0%} interval: {interval['method']} ({interval['method_description']}); "
        f"nested CV coverage {interval['cv_coverage']:.1%}, mean width {interval['mean_width']:.1f} "
        f"(fixed width was {interval['fixed_width']:.1f})",
        f"  coverage by group: {groups}",
    ]


def _modes_line(modes: dict[str, Any]) -> str:
    if not modes["enabled"]:
        return "two-peaked answers: no rule passed the CV check; modes are always null"
    return (
        f"two-peaked answers: k={modes['k']}, separation >= {modes['min_separation']:g}; flags "
        f"{modes['cv_share_flagged']:.1%} of held-out customers, {modes['cv_within_15_of_a_mode']:.0%} of "
        f"them within 15 of a mode vs {modes['cv_within_30_of_prediction']:.0%} within 30 of the prediction"
    )


def _segments_line(segmentation: dict[str, Any]) -> str:
    classifier = segmentation["classifier"]
    return (
        f"segments: k={segmentation['k']} by silhouette "
        f"({', '.join(segment['id'] for segment in segmentation['segments'])}); "
        f"classifier {classifier['candidate']}: accuracy {classifier['cv']['accuracy']['mean']:.3f}, "
        f"log-loss {classifier['cv']['log_loss']['mean']:.3f} (majority baseline "
        f"{classifier['baseline_cv']['accuracy']['mean']:.3f}, "
        f"{classifier['baseline_cv']['log_loss']['mean']:.3f})"
    )


if __name__ == "__main__":
    sys.exit(main())
