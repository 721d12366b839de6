"""A store-level correction of the global model, fitted statelessly from one store's (prediction,
observed score) pairs: an offset and a scale of the score, shrunk towards "no correction" by how much
evidence the store has, an interval scale from the store's own errors, and the choice of using it at all
made on held-out customers of that store.

The correction: ``score = prediction + offset + slope * (prediction - 50)`` (the scale of the score is
``1 + slope``), interval ends ``score + interval_scale * (end - prediction)``, everything clipped to
1..100.

Shrinkage (empirical Bayes, one store at a time): the offset and the slope are least-squares estimates
on a centred design, so each is an independent normal estimate ``t`` with standard error ``s``. With a
normal prior N(0, tau²) on the store's true value, the posterior mean is ``t * tau² / (tau² + s²)``; tau²
is estimated from the store's own data by moments, ``max(0, t² - s²)``, which gives the positive-part
James-Stein factor ``max(0, 1 - s²/t²)``. With few scores ``s`` is large and the correction is pulled to
nothing; with many, an effect several standard errors wide is kept almost whole. The interval scale is
the conformal quantile of the store's errors measured in units of the global interval's half-width,
pulled towards 1 with a prior weight of ``INTERVAL_PRIOR_WEIGHT`` scores.

Choice: ``FOLDS``-fold cross-validation over the pairs (fold = position mod ``FOLDS``: the caller sends
them in a fixed order). Each fold's pairs are scored by the correction fitted on the others; the
correction is used only when its held-out mean absolute error beats the global model's.
"""

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

MIN_PAIRS = 20  # below this nothing is fitted: the global model answers
FOLDS = 5
CENTRE = 50.0
INTERVAL_PRIOR_WEIGHT = 20.0
LEVEL = 0.8


@dataclass(frozen=True)
class Pairs:
    predicted: np.ndarray
    observed: np.ndarray
    low: np.ndarray  # the global model's interval around ``predicted``
    high: np.ndarray

    def subset(self, rows: np.ndarray) -> "Pairs":
        return Pairs(self.predicted[rows], self.observed[rows], self.low[rows], self.high[rows])


@dataclass(frozen=True)
class Correction:
    offset: float
    slope: float
    interval_scale: float

    def score(self, predicted: np.ndarray) -> np.ndarray:
        return np.asarray(np.clip(predicted + self.offset + self.slope * (predicted - CENTRE), 1, 100))

    def interval(self, pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
        corrected = self.score(pairs.predicted)
        low = np.clip(corrected + self.interval_scale * (pairs.low - pairs.predicted), 1, 100)
        high = np.clip(corrected + self.interval_scale * (pairs.high - pairs.predicted), 1, 100)
        return low, high


NO_CORRECTION = Correction(0.0, 0.0, 1.0)


def _shrunk(estimate: float, standard_error: float) -> float:
    """Positive-part James-Stein: the empirical-Bayes posterior mean under a N(0, tau²) prior."""
    if estimate == 0.0:
        return 0.0
    return estimate * max(0.0, 1.0 - standard_error**2 / estimate**2)


def fit_correction(pairs: Pairs, level: float = LEVEL) -> Correction:
    """The shrunk offset and slope and the interval scale from these pairs (any number >= 2)."""
    residual = pairs.observed - pairs.predicted
    count = len(residual)
    centred = pairs.predicted - np.mean(pairs.predicted)
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
    offset = offset_at_mean - slope * (float(np.mean(pairs.predicted)) - CENTRE)
    shifted = Correction(offset, slope, 1.0)
    corrected = shifted.score(pairs.predicted)
    above = pairs.observed >= corrected
    half_width = np.where(above, pairs.high - pairs.predicted, pairs.predicted - pairs.low)
    units = np.abs(pairs.observed - corrected) / np.maximum(half_width, 1.0)
    rank = min(count, int(np.ceil((count + 1) * level)))  # split-conformal finite-sample quantile
    store_scale = float(np.sort(units)[rank - 1])
    interval_scale = (count * store_scale + INTERVAL_PRIOR_WEIGHT) / (count + INTERVAL_PRIOR_WEIGHT)
    return Correction(round(offset, 4), round(slope, 4), round(interval_scale, 4))


@dataclass(frozen=True)
class HeldOut:
    count: int
    global_mae: float
    store_mae: float
    global_covered: int
    store_covered: int


def cross_validate(pairs: Pairs, level: float = LEVEL) -> HeldOut:
    """Every pair predicted by the correction fitted on the other folds."""
    count = len(pairs.observed)
    fold = np.arange(count) % FOLDS
    store_score, store_low, store_high = np.empty(count), np.empty(count), np.empty(count)
    for number in range(FOLDS):
        test = fold == number
        if not test.any():
            continue
        correction = fit_correction(pairs.subset(~test), level)
        held = pairs.subset(test)
        store_score[test] = correction.score(held.predicted)
        store_low[test], store_high[test] = correction.interval(held)
    observed = pairs.observed
    return HeldOut(
        count=count,
        global_mae=round(float(np.mean(np.abs(observed - pairs.predicted))), 3),
        store_mae=round(float(np.mean(np.abs(observed - store_score))), 3),
        global_covered=int(np.sum((observed >= pairs.low) & (observed <= pairs.high))),
        store_covered=int(np.sum((observed >= store_low) & (observed <= store_high))),
    )


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
    """The same correction of the same global model always gets the same version."""
    text = json.dumps([model_version, correction.offset, correction.slope, correction.interval_scale])
    return "store-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def fit_store_model(pairs: Pairs, *, model_version: str, level: float = LEVEL) -> StoreModelFit:
    """Fit, check on held-out pairs, and say whether the store's correction should answer."""
    if len(pairs.observed) < MIN_PAIRS:
        return StoreModelFit(False, "too_few_scores", NO_CORRECTION, None, None)
    correction = fit_correction(pairs, level)
    held_out = cross_validate(pairs, level)
    if held_out.store_mae < held_out.global_mae:
        return StoreModelFit(
            True, "better_on_held_out", correction, held_out, correction_version(correction, model_version)
        )
    return StoreModelFit(False, "not_better_on_held_out", correction, held_out, None)
