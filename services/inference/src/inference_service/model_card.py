"""The human-readable model card (Markdown), rendered from the artifact's metadata."""

from typing import Any


def _cv(summary: dict[str, dict[str, float]]) -> str:
    return (
        f"{summary['r2']['mean']:.3f} ± {summary['r2']['std']:.3f} | "
        f"{summary['rmse']['mean']:.2f} ± {summary['rmse']['std']:.2f} | "
        f"{summary['mae']['mean']:.2f} ± {summary['mae']['std']:.2f}"
    )


def _figure(figure: dict[str, float]) -> str:
    return f"{figure['mean']:.3f} ± {figure['std']:.3f}"


def _range(low_high: list[float]) -> str:
    return f"{low_high[0]:.0%}-{low_high[1]:.0%}"


def _recipes(interval: dict[str, Any]) -> str:
    return ", ".join(
        f"{name} {figures['cv_coverage']:.1%} (repeats {_range(figures['cv_coverage_repeat_range'])})"
        for name, figures in interval["methods"].items()
    )


def _group_figures(by_group: dict[str, dict[str, float]]) -> str:
    return "; ".join(
        f"{group} " + ", ".join(f"{label}: {coverage:.0%}" for label, coverage in by_label.items())
        for group, by_label in by_group.items()
    )


def _coverage_rows(interval: dict[str, Any]) -> str:
    names = {
        "income": "income (k$), tercile",
        "age": "age (years), band",
        "gender": "gender:",
        "width": "interval width:",
    }
    detail = interval["cv_coverage_detail"]
    rows = [f"| everyone | {detail['overall']['mean']:.1%} | {_range(detail['overall']['repeat_range'])} |"]
    for group, name in names.items():
        for label, figures in detail[group].items():
            width = f" (mean width {figures['mean_width']:.0f})" if "mean_width" in figures else ""
            rows.append(
                f"| {name} {label}{width} | {figures['mean']:.1%} | {_range(figures['repeat_range'])} |"
            )
    return "\n".join(rows)


def _low_groups(interval: dict[str, Any]) -> str:
    level, detail = interval["level"], interval["cv_coverage_detail"]
    low = [
        f"{group} {label} ({figures['mean']:.0%})"
        for group in ("income", "age", "gender", "width")
        for label, figures in detail[group].items()
        if figures["mean"] < level - 0.03
    ]
    if not low:
        return f"Every group is within 3 points of {level:.0%}."
    return (
        f"Below {level:.0%} by more than 3 points: {', '.join(low)}: their intervals are a little too narrow."
    )


def _gender_section(effect: dict[str, Any]) -> str:
    verdict = (
        "Gender helps a little: it stays in the model."
        if effect["helps"]
        else "**Gender does not help this model**: without it the same procedure scores as well or better. "
        "The served model still takes gender as an input (the API contract), but read its effect as nil: "
        "two customers who differ only in gender get close answers, and any gap between them is noise."
    )
    folds = effect["folds"]
    return f"""The selected model, with its parameters as chosen on all rows, was cross-validated again on
the same {folds} folds, with gender and with gender blanked out (a constant column: no tree can split
on it; the neighbours never used it). R² with gender
{_figure(effect["r2_with"])}, without {_figure(effect["r2_without"])}; the gain from gender, fold by fold,
{_figure(effect["r2_gain"])} (gender helped in {effect["folds_where_gender_helps"]} of {folds} folds).
{verdict}"""


_MODES_HEADER = (
    "| k | separation | flagged (CV) | within 15 of a mode | within 30 of the prediction "
    "| unflagged: within 15 of a group mean | unflagged: within 30 of the prediction |\n"
    "|---|---|---|---|---|---|---|"
)


def _modes_section(modes: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {rule['k']} | {rule['min_separation']:g} | {rule['cv_share_flagged']:.1%} | "
        f"{rule['cv_within_15_of_a_mode']:.0%} | {rule['cv_within_30_of_prediction']:.0%} | "
        f"{rule['cv_unflagged_within_15_of_a_group_mean']:.0%} | "
        f"{rule['cv_unflagged_within_30_of_prediction']:.0%} |"
        for rule in modes["rules"]
    )
    baseline = ""
    if modes["enabled"]:
        baseline = (
            f" **Against its baseline**: the same two windows (around the two group means computed for "
            f"everyone) catch {modes['cv_unflagged_within_15_of_a_group_mean']:.0%} of the customers the "
            f"rule does not flag, and one window of ± 30 around the prediction catches "
            f"{modes['cv_unflagged_within_30_of_prediction']:.0%} of them: two narrow windows hold most "
            "scores for nearly everyone, so the flag says where a single window does badly, not that "
            "flagged customers are unusually predictable."
        )
        verdict = (
            f"Served rule: **k = {modes['k']}, separation ≥ {modes['min_separation']:g}**. "
            f"It gives two modes to **{modes['cv_share_flagged']:.0%}** of held-out customers under the CV "
            f"({modes['share_of_training_customers']:.0%} of the training customers); for those, "
            f"{modes['cv_within_15_of_a_mode']:.0%} of actual scores lie within 15 points of a mode, "
            f"against {modes['cv_within_30_of_prediction']:.0%} within 30 points of the single prediction. "
            "Everyone else gets `modes: null`." + baseline
        )
    else:
        verdict = "No rule passed the check: every prediction has `modes: null`."
    return f"""For each input, the scores of the k training customers nearest in age and income are split in
two where the split explains most of their spread. When the gap between the two groups' means is at least
"separation" times the spread inside the groups (and each group holds a quarter of the neighbours), the
prediction carries `modes: [low, high]`, the two means. The rule was chosen on CV evidence: on held-out
customers it flags, two windows of ± 15 points around the modes must hold at least 10 points more of the
actual scores than one window of ± 30 around the prediction (the same total width), for at least 5% of
customers; the largest gain wins.

{_MODES_HEADER}
{rows}

{verdict}"""


def _segments_section(segmentation: dict[str, Any], chart_name: str | None) -> str:
    classifier = segmentation["classifier"]
    rows = "\n".join(
        f"| `{segment['id']}` | {segment['name']['en']} / {segment['name']['pt-BR']} | "
        f"{segment['centroid']['annual_income']:.1f} | {segment['centroid']['spending_score']:.1f} | "
        f"{segment['size']} ({segment['share']:.0%}) |"
        for segment in segmentation["segments"]
    )
    silhouette = ", ".join(f"k={k}: {value:.3f}" for k, value in segmentation["silhouette"].items())
    candidates = "\n".join(
        f"| {name}{' (chosen)' if name == classifier['candidate'] else ''} | "
        f"{_figure(figures['accuracy'])} | {_figure(figures['log_loss'])} |"
        for name, figures in classifier["candidates"].items()
    )
    baseline = classifier["baseline_cv"]
    chart = f"\n![Training customers by segment]({chart_name})\n" if chart_name else ""
    return f"""The training customers are grouped by k-means on standardised annual income and spending score
(seed {segmentation["seed"]}, 10 starts); k is the one with the best silhouette among
{segmentation["k_range"][0]}-{segmentation["k_range"][1]} ({silhouette}): **k = {segmentation["k"]}**.
A segment's id, name and sentence come from where its centroid lies (below -0.5 standard deviations on an
axis: low, above +0.5: high, between: average), so the same clusters always get the same words.

| id | name (en / pt-BR) | centroid income (k$) | centroid score | customers |
|---|---|---|---|---|
{rows}
{chart}
A prediction's `segment` is **not** read off the predicted score (a conditional mean sits between the
savers and the spenders of high incomes): a classifier of segment from gender, age and income says which
segment is most likely, with its probability. It was chosen on the same 5 x 5 CV folds as the regressor
(lowest log-loss), against always answering the training folds' class frequencies:

| classifier | accuracy | log-loss |
|---|---|---|
{candidates}
| majority-class baseline | {_figure(baseline["accuracy"])} | {_figure(baseline["log_loss"])} |

When an owner knows a customer's real score, the nearest centroid of (income, score) in standardised units
is the segment (`GET /model` lists the centroids and `segmentation_scale` for that)."""


def render_model_card(metadata: dict[str, Any], chart_name: str | None = None) -> str:
    selected = metadata["selected"]
    baseline = metadata["baseline"]
    interval = metadata["interval"]
    honest = metadata["metrics"]["honest_selection"]
    ranges = metadata["training_ranges"]
    cv_r2 = metadata["metrics"]["cv"]["r2"]["mean"]
    cv_range = metadata["metrics"]["cv_repeat_range"]["r2"]
    honest_r2 = honest["r2"]["mean"]
    honest_low, honest_high = honest["r2_repeat_range"]
    honest_chosen = ", ".join(f"{name} x{count}" for name, count in honest["chosen"].items())
    outside = 1 - interval["level"]
    candidate_rows = "\n".join(
        f"| {name}{' (selected)' if name == selected['candidate'] else ''} | {_cv(summary)} |"
        for name, summary in metadata["candidates"].items()
    )
    return f"""# Model card: {metadata["name"]} {metadata["version"]}

*Generated by `python -m inference_service.training` on {metadata["created_at"]}; do not edit by hand.*

## What it does
Predicts a mall customer's **spending score (1-100)** from three inputs: gender, age (years) and annual
income (k$ per year). The service clips the prediction to 1..100, gives a band (low < 25, medium 25-75,
high > 75) and an {interval["level"]:.0%} prediction interval.

## Read this first: what three features can and cannot tell
**Gender, age and income explain only part of the spending score.** The model explains about
{honest_r2:.0%} of its variance on customers it has not seen (fully nested cross-validated R²
{honest_r2:.2f}, see [Honest selection](#honest-selection)); the rest depends on
things the data does not record. A typical error is ± {metadata["metrics"]["cv"]["mae"]["mean"]:.0f} points
(mean absolute error), and the {interval["level"]:.0%} interval is wide (about
{interval["mean_width"]:.0f} points on average, narrower where the model is surer). In plain words: about 1 in
{round(1 / outside):.0f} real scores falls outside its interval. Use the score to rank
and group customers, not as a precise figure for one person.

## Data
`{metadata["data"]["file"]}`: {metadata["data"]["rows"]} customers of one shopping mall (the public "Mall
Customers" teaching data set; provenance in `services/inference/data/README.md`), sha256
`{metadata["data"]["sha256"]}`. Training ranges: age {ranges["age"]["min"]:g}-{ranges["age"]["max"]:g} years,
income {ranges["annual_income"]["min"]:g}-{ranges["annual_income"]["max"]:g} k$.
Inputs outside these
ranges are answered with a warning: the model extrapolates there. A small sample from one mall: do not
expect it to hold for other populations.

## Original model (baseline)
The original system's model, reproduced exactly (gender Male→1/Female→0, features gender, age, income,
`train_test_split(test_size=0.2, random_state=42)`, `LinearRegression`): holdout MSE
**{baseline["holdout"]["mse"]:.2f}**, R² **{baseline["holdout"]["r2"]:.3f}**. Under the repeated
cross-validation below the same model scores R² {baseline["cv"]["r2"]["mean"]:.3f} ±
{baseline["cv"]["r2"]["std"]:.3f}: a straight line cannot follow the score, which is high for young
customers and for high earners who spend, and low for older and for high earners who save.

## How the model was chosen
Every candidate was scored by {metadata["cv_scheme"]["outer"]} cross-validation; candidates with
hyper-parameters tuned them by {metadata["cv_scheme"]["inner"]} (nested, so the tuning does not flatter
them). The choice among the candidates is not nested here: the winner's row below is optimistic by that
choice (see [Honest selection](#honest-selection)). Selection by mean CV R²; the winner was then refit
on all rows.

| candidate | R² (mean ± std) | RMSE | MAE |
|---|---|---|---|
{candidate_rows}

Selected: **{selected["candidate"]}**, {selected["description"]};
parameters on all rows: `{selected["params"]}`.
The standard deviations are large because each test fold has only 40 customers; the selected candidate's
mean R² moves between {cv_range[0]:.3f} and {cv_range[1]:.3f} from one repeat of the five folds to another.

### Honest selection
The R² above, {cv_r2:.3f}, is the winner's score on the very folds that picked it among
{len(metadata["candidates"])} candidates, so it is optimistic. With the choice nested too (on all
{honest["folds"]} outer folds of the repeated CV, each fold's candidate chosen by an inner 3-fold CV on its
training rows, with each candidate's default settings) the figure is **R² {_figure(honest["r2"])}**
(from one repeat of five folds to another: {honest_low:.3f} to {honest_high:.3f};
chosen: {honest_chosen}); the overall winner scores
{honest["selected_on_same_folds_r2"]:.3f} on those same folds. Read the nested figure as what
to expect of the procedure, the other as the leaderboard. (An earlier card gave 0.339 from the first
repeat alone: one repeat of five folds is not enough to pin this figure down.) The original model's
baseline above is unchanged.

### Does gender help?
{_gender_section(metadata["metrics"]["gender_effect"])}

## Prediction interval
**In plain words:** about 1 in {round(1 / outside):.0f} real scores falls outside the interval (it is an
{interval["level"]:.0%} interval). It is wider for customers like those the model got badly wrong during
cross-validation, and narrower where it did well. Method served: **{interval["method"]}**
({interval["method_description"]}): interval = prediction + (low, high) x the mean absolute
cross-validated error of the training customers most like this one, where (low, high) are the
{(1 - interval["level"]) / 2:.0%} and {1 - (1 - interval["level"]) / 2:.0%} quantiles of the errors divided
by that local scale, clipped to 1..100.

It was chosen among {len(interval["methods"])} recipes (one width for everyone, quantiles per income
tercile, locally normalised with different neighbourhoods, both) by nested CV: for each held-out fold, each
recipe was fitted and checked fold by fold on the other folds only, the one whose worst income tercile or
age band was closest to {interval["level"]:.0%} (with a small penalty for width) was fitted on them and
checked on the held-out fold. The figures below are of that whole procedure, choice included
(recipes chosen: {", ".join(f"{name} x{count}" for name, count in interval["methods_chosen_in_cv"].items())}):
overall coverage **{interval["cv_coverage"]:.1%}** (repeats
{_range(interval["cv_coverage_detail"]["overall"]["repeat_range"])}), mean width
**{interval["mean_width"]:.1f}** points
(the one-size interval it replaces was {interval["fixed_width"]:.1f} wide,
{interval["methods"]["global"]["mean_width"]:.1f} on average once clipped to 1..100; under the same CV it
covered {_group_figures(interval["methods"]["global"]["cv_coverage_by_group"])}).

| group | coverage (outer CV, all repeats) | lowest-highest of one repeat |
|---|---|---|
{_coverage_rows(interval)}

{_low_groups(interval)}

Each recipe alone: {_recipes(interval)}.
The errors used are the outer CV's out-of-fold errors; the model that made the errors of one fold had seen
the others, as in any cross-conformal interval.

## Two-peaked answers
{_modes_section(metadata["modes"])}

## Segments
{_segments_section(metadata["segmentation"], chart_name)}

## Serving speed and the trade-off
scikit-learn's `predict` costs a few hundred microseconds per call (input checks, one Python call
per tree), too slow for the service's targets (one row ≤ 100 µs, 10,000 rows ≤ 50 ms), and importing it
(with scipy) costs the service about 150 MB of memory. At training time the model is converted into
numpy arrays, and the artifact holds only those and this metadata: a tree ensemble over three features
is constant between its split thresholds, so it becomes a table indexed by three `searchsorted` lookups
(exact, independent of the number of trees); k nearest neighbours keeps the scaled training points.
Whole-number ages and incomes often put several customers at exactly the same distance from a query,
and which of them a k-NN keeps depends on its search (scikit-learn's KD-tree and brute force disagree
on about 5% of whole-number inputs), so the k-NN is trained as a brute search on distances computed by
the serving code itself, and the service repeats scikit-learn's choice call for call. Training checks
the converted model against scikit-learn on 2,000 random inputs, the training rows and every whole age
15-75 × income 0-150 of both genders (difference ≤ 1e-9) and refuses to save otherwise. The cost: the
artifact holds a table of every threshold cell and the training points, the neighbour search makes a
10,000-row batch slower than the table alone (about 17 ms of model time instead of 10 ms), and the
converter only knows the model kinds compared here. The interval's local scale and the two-peak rule,
both neighbour searches at training, are served as tables over every whole age 0-120 × income 0-200
(an input is rounded to the nearest whole age and income, and clipped to the table, for that look-up),
and the segment classifier is a softmax of one linear score per segment (checked against scikit-learn
like the regressor): together they add about a millisecond to a 10,000-row batch.

## Reproducibility
Fixed seeds everywhere: two training runs on the same data give the same predictions.
Libraries: {", ".join(f"{name} {version}" for name, version in metadata["libraries"].items())}.
Training took {metadata["training_seconds"]} s.
"""
