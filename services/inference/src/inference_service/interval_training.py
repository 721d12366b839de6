"""Training-time only: choosing and fitting the conditional interval and the two-peak rule from the
regressor's cross-validated residuals, with every choice and every fit made on training folds only.

The residuals are the outer CV's out-of-fold residuals (one vector per repeat, each row predicted by a
model that did not see it). For each held-out fold of a repeat, an interval method is fitted on the
other folds' rows (their income cuts, their spread model, their quantiles) and checked on the held-out
rows; the method itself is chosen per held-out fold by the same procedure run inside the other folds
(nested), so the coverage reported is that of the whole recipe, choice included.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from inference_service.fast_model import NeighboursFastModel, nearest_indices, squared_distances
from inference_service.intervals import ConditionalInterval, NeighbourModes, TwoPeaks, two_group_split

AGE, INCOME = 1, 2
NEIGHBOUR_COLUMNS = np.array([AGE, INCOME], dtype=np.intp)
AGE_BANDS = ((0.0, 29.999), (30.0, 50.0), (50.001, 200.0))  # < 30, 30-50, > 50
WIDTH_WEIGHT = 0.002  # 5 points of mean width weigh as much as 1 point of coverage in the worst group
MODE_WINDOW = 15.0  # "around a mode": within ± 15 points


@dataclass(frozen=True)
class IntervalMethod:
    name: str
    description: str
    by_income: bool  # Mondrian: one pair of quantiles per income tercile
    spread_k: int | None  # locally normalised by the k nearest customers' residuals
    age_weight: float = 1.0  # how much age counts against income in that neighbourhood


INTERVAL_METHODS = (
    IntervalMethod("global", "one pair of residual quantiles for everyone", False, None),
    IntervalMethod("mondrian_income", "residual quantiles per income tercile", True, None),
    *(
        IntervalMethod(
            f"normalised_k{k}_age{weight:g}",
            f"residuals scaled by the {k} nearest customers' (age weighted {weight:g})",
            False,
            k,
            weight,
        )
        for k in (10, 20)
        for weight in (0.5, 1.0)
    ),
    IntervalMethod(
        "normalised_k10_age0.5_by_income",
        "scaled by the 10 nearest customers' residuals, quantiles per income tercile",
        True,
        10,
        0.5,
    ),
)


def _spread_model(method: IntervalMethod, features: np.ndarray, residuals: np.ndarray) -> NeighboursFastModel:
    """``residuals`` is (repeats, n): each row's spread target is its mean absolute residual."""
    assert method.spread_k is not None
    points = features[:, NEIGHBOUR_COLUMNS]
    mean = points.mean(axis=0)
    scale = points.std(axis=0) / np.array([method.age_weight, 1.0])
    return NeighboursFastModel(
        columns=NEIGHBOUR_COLUMNS,
        mean=mean,
        scale=scale,
        training_points=(points - mean) / scale,
        targets=np.mean(np.abs(residuals), axis=0),
        k=method.spread_k,
    )


def _own_spread(spread: NeighboursFastModel) -> np.ndarray:
    """Each training row's spread from its k nearest *other* rows (its own residual left out)."""
    distances = squared_distances(spread.training_points, spread.training_points)
    np.fill_diagonal(distances, np.inf)
    return np.asarray(np.mean(spread.targets[nearest_indices(distances, spread.k)], axis=1))


def fit_interval(
    method: IntervalMethod, features: np.ndarray, residuals: np.ndarray, level: float
) -> ConditionalInterval:
    """The interval fitted on these rows; ``residuals`` is (repeats, n) out-of-fold residuals."""
    tail = (1 - level) / 2
    spread = _spread_model(method, features, residuals) if method.spread_k else None
    scores = residuals / (_own_spread(spread) if spread is not None else 1.0)
    cuts = np.quantile(features[:, INCOME], [1 / 3, 2 / 3]) if method.by_income else np.array([])
    group = np.searchsorted(cuts, features[:, INCOME], side="left")
    low, high = np.empty(len(cuts) + 1), np.empty(len(cuts) + 1)
    for number in range(len(cuts) + 1):
        low[number], high[number] = np.quantile(scores[:, group == number], [tail, 1 - tail])
    return ConditionalInterval(cuts, low, high, spread)


def income_terciles(incomes: np.ndarray) -> np.ndarray:
    """0, 1, 2 for each row: which third of these incomes it falls in (cut at the 1/3, 2/3 quantiles)."""
    return np.asarray(np.searchsorted(np.quantile(incomes, [1 / 3, 2 / 3]), incomes, side="left"))


def age_bands(ages: np.ndarray) -> np.ndarray:
    return np.asarray(np.where(ages < 30, 0, np.where(ages <= 50, 1, 2)))


def _score(covered: np.ndarray, width: np.ndarray, features: np.ndarray, level: float) -> float:
    """Lower is better: the worst group's distance from the level, plus a little for width."""
    groups = [income_terciles(features[:, INCOME]), age_bands(features[:, AGE])]
    worst = max(
        abs(float(np.mean(covered[grouping == number])) - level)
        for grouping in groups
        for number in np.unique(grouping)
    )
    return worst + WIDTH_WEIGHT * float(np.mean(width))


def _held_out(
    interval: ConditionalInterval, features: np.ndarray, residuals: np.ndarray, predictions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Covered (bool) and width of the served (clipped to 1..100) interval on held-out rows."""
    low, high = interval.offsets(features)
    covered = (residuals >= low) & (residuals <= high)
    width = np.clip(predictions + high, 1, 100) - np.clip(predictions + low, 1, 100)
    return covered, width


def _choose(
    features: np.ndarray, residuals: np.ndarray, predictions: np.ndarray, folds: np.ndarray, level: float
) -> IntervalMethod:
    """The method whose fold-by-fold check on these rows scores best (``_score``)."""
    best: tuple[float, IntervalMethod] | None = None
    for method in INTERVAL_METHODS:
        covered, width = np.zeros(len(folds), dtype=bool), np.zeros(len(folds))
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            interval = fit_interval(method, features[train], residuals[np.newaxis, train], level)
            covered[test], width[test] = _held_out(
                interval, features[test], residuals[test], predictions[test]
            )
        score = _score(covered, width, features, level)
        if best is None or score < best[0]:
            best = (score, method)
    assert best is not None
    return best[1]


def _group_label(values: np.ndarray) -> str:
    return f"{values.min():g}-{values.max():g}"


def coverage_by_group(features: np.ndarray, covered: np.ndarray) -> dict[str, dict[str, float]]:
    """Coverage (``covered`` is repeats x rows) per income tercile and age band, labelled by the range of
    the training values in the group, e.g. {"income": {"15-48": 0.79, ...}, "age": {"18-29": 0.82, ...}}."""
    by_group: dict[str, dict[str, float]] = {"income": {}, "age": {}}
    for name, grouping, column in (
        ("income", income_terciles(features[:, INCOME]), INCOME),
        ("age", age_bands(features[:, AGE]), AGE),
    ):
        for number in np.unique(grouping):
            rows = grouping == number
            by_group[name][_group_label(features[rows, column])] = round(float(np.mean(covered[:, rows])), 4)
    return by_group


def _mean_and_range(covered: np.ndarray) -> dict[str, Any]:
    """Coverage of ``covered`` (repeats x rows, NaN where a row is not in the group) over every repeat,
    and the lowest and highest coverage of one repeat."""
    per_repeat = np.nanmean(covered, axis=1)
    return {
        "mean": round(float(np.nanmean(covered)), 4),
        "repeat_range": [round(float(per_repeat.min()), 4), round(float(per_repeat.max()), 4)],
    }


def coverage_detail(features: np.ndarray, covered: np.ndarray, width: np.ndarray) -> dict[str, Any]:
    """Coverage with its repeat-to-repeat range: overall, per income tercile, age band and gender, and
    for the narrowest and widest fifth of the intervals of each repeat."""
    as_float = covered.astype(np.float64)

    def only(rows: np.ndarray) -> np.ndarray:
        return np.where(rows, as_float, np.nan)

    detail: dict[str, Any] = {"overall": _mean_and_range(as_float)}
    for name, grouping, column in (
        ("income", income_terciles(features[:, INCOME]), INCOME),
        ("age", age_bands(features[:, AGE]), AGE),
    ):
        detail[name] = {
            _group_label(features[grouping == number, column]): _mean_and_range(
                only(np.broadcast_to(grouping == number, covered.shape))
            )
            for number in np.unique(grouping)
        }
    detail["gender"] = {
        label: _mean_and_range(only(np.broadcast_to(features[:, 0] == code, covered.shape)))
        for label, code in (("female", 0.0), ("male", 1.0))
    }
    narrow = width <= np.quantile(width, 0.2, axis=1, keepdims=True)
    wide = width >= np.quantile(width, 0.8, axis=1, keepdims=True)
    detail["width"] = {
        "narrowest fifth": {
            **_mean_and_range(only(narrow)),
            "mean_width": round(float(np.mean(width[narrow])), 1),
        },
        "widest fifth": {**_mean_and_range(only(wide)), "mean_width": round(float(np.mean(width[wide])), 1)},
    }
    return detail


def select_interval(
    features: np.ndarray,
    target: np.ndarray,
    residuals: list[tuple[np.ndarray, np.ndarray]],
    level: float,
) -> tuple[ConditionalInterval, dict[str, Any]]:
    """Choose the method (nested), measure it under the outer CV, fit it on all rows.

    ``residuals`` holds, per repeat, the out-of-fold residuals and every row's fold number."""
    covered_all, width_all, chosen_names = [], [], []
    per_method = {
        method.name: np.zeros((len(residuals), len(target)), dtype=bool) for method in INTERVAL_METHODS
    }
    widths = {method.name: np.zeros((len(residuals), len(target))) for method in INTERVAL_METHODS}
    for repeat, (repeat_residuals, folds) in enumerate(residuals):
        predictions = target - repeat_residuals
        covered, width = np.zeros(len(target), dtype=bool), np.zeros(len(target))
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            method = _choose(
                features[train], repeat_residuals[train], predictions[train], folds[train], level
            )
            chosen_names.append(method.name)
            interval = fit_interval(method, features[train], repeat_residuals[np.newaxis, train], level)
            covered[test], width[test] = _held_out(
                interval, features[test], repeat_residuals[test], predictions[test]
            )
            for candidate in INTERVAL_METHODS:  # each method alone, for the card
                fitted = fit_interval(candidate, features[train], repeat_residuals[np.newaxis, train], level)
                per_method[candidate.name][repeat, test], widths[candidate.name][repeat, test] = _held_out(
                    fitted, features[test], repeat_residuals[test], predictions[test]
                )
        covered_all.append(covered)
        width_all.append(width)
    covered_matrix, width_matrix = np.array(covered_all), np.array(width_all)
    all_residuals = np.array([repeat_residuals for repeat_residuals, _ in residuals])
    all_predictions = target - all_residuals
    # The served method: the same choice made on all rows (first repeat's folds).
    final_method = _choose(features, all_residuals[0], all_predictions[0], residuals[0][1], level)
    interval = fit_interval(final_method, features, all_residuals, level)
    by_group = coverage_by_group(features, covered_matrix)
    served_low, served_high = interval.offsets(features)
    summary = {
        "method": final_method.name,
        "method_description": final_method.description,
        "cv_coverage": round(float(np.mean(covered_matrix)), 4),
        "cv_coverage_by_group": by_group,
        "cv_coverage_detail": coverage_detail(features, covered_matrix, width_matrix),
        "mean_width": round(float(np.mean(width_matrix)), 2),
        "fixed_width": round(float(np.quantile(all_residuals, 0.9) - np.quantile(all_residuals, 0.1)), 2),
        "width_range_on_training_rows": [
            round(float(np.min(served_high - served_low)), 1),
            round(float(np.max(served_high - served_low)), 1),
        ],
        "methods_chosen_in_cv": {name: chosen_names.count(name) for name in sorted(set(chosen_names))},
        "methods": {
            method.name: {
                "description": method.description,
                "cv_coverage": round(float(np.mean(per_method[method.name])), 4),
                "cv_coverage_repeat_range": _mean_and_range(per_method[method.name].astype(np.float64))[
                    "repeat_range"
                ],
                "cv_coverage_by_group": coverage_by_group(features, per_method[method.name]),
                "mean_width": round(float(np.mean(widths[method.name])), 2),
            }
            for method in INTERVAL_METHODS
        },
    }
    return interval, summary


@dataclass(frozen=True)
class ModesRule:
    k: int
    min_separation: float
    min_share: float = 0.25


MODES_RULES = tuple(ModesRule(k, separation) for k in (10, 20, 30) for separation in (4.0, 5.0, 6.0))
MIN_MODES_GAIN = 0.10  # two windows must hold 10 points more of the held-out scores than one
MIN_MODES_SHARE = 0.05  # and the rule must speak for at least 5% of held-out customers


def _score_neighbours(features: np.ndarray, target: np.ndarray, k: int) -> NeighboursFastModel:
    points = features[:, NEIGHBOUR_COLUMNS]
    mean, scale = points.mean(axis=0), points.std(axis=0)
    return NeighboursFastModel(NEIGHBOUR_COLUMNS, mean, scale, (points - mean) / scale, target.copy(), k)


def select_two_peaks(
    features: np.ndarray, target: np.ndarray, residuals: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[TwoPeaks | None, dict[str, Any]]:
    """Which rule (if any) says "two peaks" where held-out scores do fall around two values.

    Evidence per rule, under the outer CV: among held-out customers it flags, the share whose score lies
    within ± 15 of one of the two modes, against the share within ± 30 of the point prediction (one
    window of the same total width). A rule qualifies when two windows beat one by ``MIN_MODES_GAIN``
    and it flags at least ``MIN_MODES_SHARE`` of customers; the largest gain wins."""
    evidence = []
    for rule in MODES_RULES:
        flagged = hits_modes = hits_single = total = 0
        # The baseline: the same two windows (around each customer's two group means, computed for
        # everyone) and the same single window, on the customers the rule does not flag.
        unflagged_modes = unflagged_single = 0
        for repeat_residuals, folds in residuals:
            predictions = target - repeat_residuals
            for fold in np.unique(folds):
                train, test = folds != fold, folds == fold
                peaks = NeighbourModes(
                    _score_neighbours(features[train], target[train], rule.k),
                    rule.min_share,
                    rule.min_separation,
                )
                modes = peaks.predict(features[test])
                two = ~np.isnan(modes[:, 0])
                split_low, split_high, _ = two_group_split(
                    peaks.neighbours.targets[peaks.neighbours.nearest(features[test])], rule.min_share
                )
                rest = target[test][~two]
                unflagged_modes += int(
                    np.sum(
                        np.minimum(np.abs(rest - split_low[~two]), np.abs(rest - split_high[~two]))
                        <= MODE_WINDOW
                    )
                )
                unflagged_single += int(np.sum(np.abs(rest - predictions[test][~two]) <= 2 * MODE_WINDOW))
                actual = target[test][two]
                nearest_mode = np.minimum(np.abs(actual - modes[two, 0]), np.abs(actual - modes[two, 1]))
                flagged += int(two.sum())
                total += int(test.sum())
                hits_modes += int(np.sum(nearest_mode <= MODE_WINDOW))
                hits_single += int(np.sum(np.abs(actual - predictions[test][two]) <= 2 * MODE_WINDOW))
        share = flagged / total
        modes_rate = hits_modes / flagged if flagged else 0.0
        single_rate = hits_single / flagged if flagged else 0.0
        unflagged = total - flagged
        baseline = (
            unflagged_modes / unflagged if unflagged else 0.0,
            unflagged_single / unflagged if unflagged else 0.0,
        )
        evidence.append((rule, share, modes_rate, single_rate, baseline))
    qualified = [row for row in evidence if row[1] >= MIN_MODES_SHARE and row[2] - row[3] >= MIN_MODES_GAIN]
    baselines = {id(row[0]): row[4] for row in evidence}
    summary: dict[str, Any] = {
        "rules": [
            {
                "k": rule.k,
                "min_separation": rule.min_separation,
                "cv_share_flagged": round(share, 4),
                "cv_within_15_of_a_mode": round(modes_rate, 4),
                "cv_within_30_of_prediction": round(single_rate, 4),
                "cv_unflagged_within_15_of_a_group_mean": round(baseline[0], 4),
                "cv_unflagged_within_30_of_prediction": round(baseline[1], 4),
            }
            for rule, share, modes_rate, single_rate, baseline in evidence
        ]
    }
    if not qualified:
        summary.update({"enabled": False, "share_of_training_customers": 0.0})
        return None, summary
    rule, share, modes_rate, single_rate, _ = max(qualified, key=lambda row: (row[2] - row[3], row[1]))
    peaks = TwoPeaks(
        NeighbourModes(_score_neighbours(features, target, rule.k), rule.min_share, rule.min_separation)
    )
    on_training = float(np.mean(~np.isnan(peaks.modes(features)[:, 0])))
    summary.update(
        {
            "enabled": True,
            "k": rule.k,
            "min_separation": rule.min_separation,
            "min_share": rule.min_share,
            "cv_share_flagged": round(share, 4),
            "cv_within_15_of_a_mode": round(modes_rate, 4),
            "cv_within_30_of_prediction": round(single_rate, 4),
            "cv_unflagged_within_15_of_a_group_mean": round(baselines[id(rule)][0], 4),
            "cv_unflagged_within_30_of_prediction": round(baselines[id(rule)][1], 4),
            "share_of_training_customers": round(on_training, 4),
        }
    )
    return peaks, summary
