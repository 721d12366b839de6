"""A store-level correction of the global model, fitted statelessly from one store's (prediction,
observed score) pairs: a scale of the customers' incomes as the model reads them, an offset and a scale
of the score, each shrunk towards "no correction" by how much evidence the store has, an interval scale
from the store's own errors, and the choice of using it at all made on the store's later-dated scores.

The correction: ``base = the global model's answer with the income multiplied by income_scale``, then
``score = base + offset + slope * (base - 50)`` (the scale of the score is ``1 + slope``), interval ends
``score + interval_scale * (end - base)`` around the base's own interval, everything clipped to 1..100.
The income scale follows an error that depends on income (a store whose customers earn more than the
mall's for the same spending, or record income in another unit), which an offset and a scale of the
score cannot: the mall's spending pattern over income is not a straight line, so no linear income term
of the score follows it either (measured: docs/store-models.md).

Shrinkage (empirical Bayes, one store at a time, every coefficient towards "none"): the offset and the
slope are least-squares estimates on a centred design, so each is an independent normal estimate ``t``
with standard error ``s``; the income scale's estimate is ``t = log(scale)`` at the least squared error
over ``INCOME_SCALES`` (offset and slope refitted at each), with ``s`` from the likelihood ratio
(``t²/s²`` is the drop of the squared error in units of the noise, as it is for a linear term; it holds
where the model's answers jump with income, as a forest's do), and only from
``MIN_PAIRS_FOR_INCOME_SCALE`` pairs on (the best of 17 scales needs more evidence than one number).
With a normal prior N(0, tau²) on the store's true value, the posterior mean is
``t * tau² / (tau² + s²)``; tau² is estimated from the store's own data by moments, ``max(0, t² - s²)``,
which gives the positive-part James-Stein factor ``max(0, 1 - s²/t²)``. With few scores ``s`` is large
and the correction is pulled to nothing; with many, an effect several standard errors wide is kept
almost whole. The interval scale is the split-conformal quantile of the store's errors measured in units
of the base interval's half-width, pulled towards 1 with a prior weight of ``INTERVAL_PRIOR_WEIGHT``
scores; the errors are the held-out ones of the forward chaining below, each later score answered by a
fit on the scores before it.

Choice, respecting time: the pairs come oldest first; they are cut into ``FOLDS + 1`` consecutive blocks
and each of the last ``FOLDS`` blocks is answered by the correction fitted on every block before it
(forward chaining). The correction is used only when its mean absolute error on those later scores beats
the global model's on the same scores: the question asked is the owner's, "would what the earlier
customers taught have helped with the next ones?".
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

MIN_PAIRS = 20  # below this nothing is fitted: the global model answers
MIN_PAIRS_FOR_INCOME_SCALE = 30
FOLDS = 5
CENTRE = 50.0
INTERVAL_PRIOR_WEIGHT = 20.0
LEVEL = 0.8
# Incomes read at 1/2 to 2 times what the store recorded, in steps of 2^(1/8) (about 9%).
INCOME_SCALES = tuple(round(2 ** (step / 8), 4) for step in range(-8, 9))
_NO_SCALE = INCOME_SCALES.index(1.0)


@dataclass(frozen=True)
class IncomeScaled:
    """The global model's answers with each customer's income multiplied by each of ``INCOME_SCALES``:
    one column per scale, one row per pair."""

    score: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def subset(self, rows: np.ndarray | slice) -> "IncomeScaled":
        return IncomeScaled(self.score[rows], self.low[rows], self.high[rows])


Answer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]  # rows -> score, low, high


def at_income_scales(features: np.ndarray, answer: Answer, income_column: int) -> IncomeScaled:
    """A model's answers to each row with its income multiplied by each of ``INCOME_SCALES``, all in
    one call to the model."""
    every = np.tile(features, (len(INCOME_SCALES), 1))
    every[:, income_column] *= np.repeat(INCOME_SCALES, len(features))
    columns = (len(INCOME_SCALES), len(features))
    score, low, high = (values.reshape(columns).T for values in answer(every))
    return IncomeScaled(score, low, high)


@dataclass(frozen=True)
class Pairs:
    """One store's pairs, oldest first. ``income_scaled`` is None when the caller sent no inputs: no
    income scale is fitted then."""

    predicted: np.ndarray
    observed: np.ndarray
    low: np.ndarray  # the global model's interval around ``predicted``
    high: np.ndarray
    income_scaled: IncomeScaled | None = None

    def subset(self, rows: np.ndarray | slice) -> "Pairs":
        scaled = None if self.income_scaled is None else self.income_scaled.subset(rows)
        return Pairs(self.predicted[rows], self.observed[rows], self.low[rows], self.high[rows], scaled)

    def at_income_scale(self, scale: float) -> "Pairs":
        """The global model's answers with incomes multiplied by ``scale`` (one of ``INCOME_SCALES``)."""
        if scale == 1.0 or self.income_scaled is None:
            return self
        column = INCOME_SCALES.index(scale)
        scaled = self.income_scaled
        return Pairs(
            scaled.score[:, column], self.observed, scaled.low[:, column], scaled.high[:, column], scaled
        )


@dataclass(frozen=True)
class Correction:
    offset: float
    slope: float
    interval_scale: float
    income_scale: float = 1.0

    def score(self, pairs: Pairs) -> np.ndarray:
        base = pairs.at_income_scale(self.income_scale).predicted
        return np.asarray(np.clip(base + self.offset + self.slope * (base - CENTRE), 1, 100))

    def interval(self, pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
        base = pairs.at_income_scale(self.income_scale)
        corrected = self.score(pairs)
        low = np.clip(corrected + self.interval_scale * (base.low - base.predicted), 1, 100)
        high = np.clip(corrected + self.interval_scale * (base.high - base.predicted), 1, 100)
        return low, high


NO_CORRECTION = Correction(0.0, 0.0, 1.0)


def _shrunk(estimate: float, standard_error: float) -> float:
    """Positive-part James-Stein: the empirical-Bayes posterior mean under a N(0, tau²) prior."""
    if estimate == 0.0 or not np.isfinite(standard_error):
        return 0.0
    return estimate * max(0.0, 1.0 - standard_error**2 / estimate**2)


def _squared_error_after_line(predicted: np.ndarray, observed: np.ndarray) -> float:
    """What is left of the squared error once an offset and a slope of the score are fitted."""
    residual = observed - predicted
    centred = predicted - np.mean(predicted)
    spread = float(np.sum(centred**2))
    slope = float(np.sum(centred * residual) / spread) if spread > 0 else 0.0
    return float(np.sum((residual - np.mean(residual) - slope * centred) ** 2))


def fit_income_scale(pairs: Pairs) -> float:
    """The shrunk income scale (1.0: none) from these pairs."""
    scaled = pairs.income_scaled
    count = len(pairs.observed)
    if scaled is None or count < MIN_PAIRS_FOR_INCOME_SCALE:
        return 1.0
    errors = [
        _squared_error_after_line(scaled.score[:, column], pairs.observed)
        for column in range(len(INCOME_SCALES))
    ]
    best = int(np.argmin(errors))
    if best == _NO_SCALE:
        return 1.0
    logs = np.log(np.array(INCOME_SCALES))
    noise = errors[best] / max(count - 3, 1)
    drop = errors[_NO_SCALE] - errors[best]
    standard_error = float(abs(logs[best]) * np.sqrt(noise / drop)) if drop > 0 else float("inf")
    shrunk = _shrunk(float(logs[best]), standard_error)
    return INCOME_SCALES[int(np.argmin(np.abs(logs - shrunk)))]


def fit_correction(pairs: Pairs, level: float = LEVEL) -> Correction:
    """The shrunk income scale, offset and slope, and the interval scale from these pairs (any number
    >= 2)."""
    income_scale = fit_income_scale(pairs)
    base = pairs.at_income_scale(income_scale)
    residual = base.observed - base.predicted
    count = len(residual)
    centred = base.predicted - np.mean(base.predicted)
    spread = float(np.sum(centred**2))
    slope_raw = float(np.sum(centred * residual) / spread) if spread > 0 else 0.0
    mean_residual = float(np.mean(residual))
    # Offset at the centre of the score (50), the coefficients' own standard errors.
    fitted = mean_residual + slope_raw * centred
    noise = float(np.sum((residual - fitted) ** 2) / max(count - 2, 1))
    slope_error = float(np.sqrt(noise / spread)) if spread > 0 else float("inf")
    slope = _shrunk(slope_raw, slope_error) if spread > 0 else 0.0
    mean_error = float(np.sqrt(noise / count))
    offset_at_mean = _shrunk(mean_residual, mean_error)
    offset = offset_at_mean - slope * (float(np.mean(base.predicted)) - CENTRE)
    shifted = Correction(offset, slope, 1.0, income_scale)
    interval_scale = _interval_scale(errors_in_half_widths(shifted, pairs), level)
    return Correction(round(offset, 4), round(slope, 4), interval_scale, income_scale)


def errors_in_half_widths(correction: Correction, pairs: Pairs) -> np.ndarray:
    """Each pair's error under ``correction``, in units of the base interval's half-width on its side."""
    base = pairs.at_income_scale(correction.income_scale)
    corrected = correction.score(pairs)
    above = base.observed >= corrected
    half_width = np.where(above, base.high - base.predicted, base.predicted - base.low)
    return np.asarray(np.abs(base.observed - corrected) / np.maximum(half_width, 1.0))


def _interval_scale(units: np.ndarray, level: float) -> float:
    """The split-conformal finite-sample quantile of ``units``, pulled towards 1 (the global interval)
    with a prior weight of ``INTERVAL_PRIOR_WEIGHT`` scores."""
    count = len(units)
    rank = min(count, int(np.ceil((count + 1) * level)))
    store_scale = float(np.sort(units)[rank - 1])
    return round((count * store_scale + INTERVAL_PRIOR_WEIGHT) / (count + INTERVAL_PRIOR_WEIGHT), 4)


@dataclass(frozen=True)
class HeldOut:
    count: int
    global_mae: float
    store_mae: float
    global_covered: int
    store_covered: int


def forward_folds(count: int) -> list[tuple[slice, slice]]:
    """(earlier, later) slices of pairs sorted oldest first: ``FOLDS + 1`` consecutive blocks, each of the
    last ``FOLDS`` answered by what the blocks before it teach."""
    bounds = [round(count * block / (FOLDS + 1)) for block in range(FOLDS + 2)]
    return [(slice(0, bounds[fold]), slice(bounds[fold], bounds[fold + 1])) for fold in range(1, FOLDS + 1)]


def cross_validate(pairs: Pairs, level: float = LEVEL) -> tuple[HeldOut, np.ndarray]:
    """Every pair after the first block answered by the correction fitted on the pairs before it, and
    those answers' errors in half-widths. Each block's interval is scaled from the errors of the blocks
    judged before it (the first judged block's, from its own fit's errors): the coverage reported is that
    of intervals set, as the served one is, from scores the correction had not seen."""
    folds = forward_folds(len(pairs.observed))
    judged = pairs.subset(slice(folds[0][1].start, None))
    scores, lows, highs = [], [], []
    units: list[np.ndarray] = []
    for earlier, later in folds:
        correction = fit_correction(pairs.subset(earlier), level)
        if units:
            correction = replace(correction, interval_scale=_interval_scale(np.concatenate(units), level))
        held = pairs.subset(later)
        low, high = correction.interval(held)
        scores.append(correction.score(held))
        lows.append(low)
        highs.append(high)
        units.append(errors_in_half_widths(correction, held))
    store_score, store_low, store_high = np.concatenate(scores), np.concatenate(lows), np.concatenate(highs)
    observed = judged.observed
    held_out = HeldOut(
        count=len(observed),
        global_mae=round(float(np.mean(np.abs(observed - judged.predicted))), 3),
        store_mae=round(float(np.mean(np.abs(observed - store_score))), 3),
        global_covered=int(np.sum((observed >= judged.low) & (observed <= judged.high))),
        store_covered=int(np.sum((observed >= store_low) & (observed <= store_high))),
    )
    return held_out, np.concatenate(units)


@dataclass(frozen=True)
class StoreModelFit:
    chosen: bool
    reason: str  # "better_on_held_out", "not_better_on_held_out", "too_few_scores"
    correction: Correction  # the fitted one, used or not
    held_out: HeldOut | None
    version: str | None  # None when the global model answers

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def correction_version(correction: Correction, model_version: str) -> str:
    """The same correction of the same global model always gets the same version (a correction without
    an income scale keeps the version it had before income scales existed)."""
    coefficients = [correction.offset, correction.slope, correction.interval_scale]
    if correction.income_scale != 1.0:
        coefficients.append(correction.income_scale)
    text = json.dumps([model_version, *coefficients])
    return "store-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def fit_store_model(pairs: Pairs, *, model_version: str, level: float = LEVEL) -> StoreModelFit:
    """Fit, check on the later-dated pairs, and say whether the store's correction should answer."""
    if len(pairs.observed) < MIN_PAIRS:
        return StoreModelFit(False, "too_few_scores", NO_CORRECTION, None, None)
    held_out, held_out_errors = cross_validate(pairs, level)
    # The interval from the errors on scores each fit had not seen: in-sample errors, after a correction
    # fitted to the same pairs, are smaller than the next customer's (measured: docs/store-models.md).
    correction = replace(fit_correction(pairs, level), interval_scale=_interval_scale(held_out_errors, level))
    if held_out.store_mae < held_out.global_mae:
        return StoreModelFit(
            True, "better_on_held_out", correction, held_out, correction_version(correction, model_version)
        )
    return StoreModelFit(False, "not_better_on_held_out", correction, held_out, None)
