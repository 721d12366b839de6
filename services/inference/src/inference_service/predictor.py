"""Validated customer features in, spending scores out: clipping, band, the customer's own interval,
two-peaked answers, the most likely segment and range warnings."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inference_service.batch_model import batch_regressor
from inference_service.model_store import LoadedModel
from inference_service.one_row import one_row_model
from inference_service.schemas import CustomerFeatures

SCORE_MIN, SCORE_MAX = 1.0, 100.0
LOW_BELOW, HIGH_ABOVE = 25.0, 75.0
GENDER_CODE = {"male": 1.0, "female": 0.0}
PROBABILITY_DECIMALS = 4


# A scaled value this near a half is rounded by Python's round itself (see ``_rounded``).
NEAR_HALF = 1e-6


def _rounded(values: np.ndarray, decimals: int = 2) -> list[float]:
    """Python's ``round(value, decimals)`` of each value (not numpy's round), vectorised.

    ``rint(value * 10**d) / 10**d`` gives Python's answer unless ``value * 10**d`` lies near a half:
    the product is within a few units of 2**-53 (relative) of the exact one, far less than NEAR_HALF
    for the magnitudes served (at most 10**4 scaled), so both round to the same whole number N, and
    N / 10**d (both exact, the division correctly rounded) is the double nearest to the decimal N / 10**d,
    which is what Python's round returns. The few values near a half go through Python's round.
    """
    scale = 10.0**decimals
    scaled = values * scale
    result = np.rint(scaled) / scale
    near_half = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < NEAR_HALF)
    for index in near_half.tolist():
        result[index] = round(float(values[index]), decimals)
    return list(result.tolist())


def _clipped_and_rounded(value: float) -> float:
    """One value as ``_rounded(np.clip(...))`` gives it."""
    return round(min(max(value, SCORE_MIN), SCORE_MAX), 2)


@dataclass(frozen=True, slots=True)
class PredictionColumns:
    """The answers to n rows, one list per field, in row order (numbers rounded as served)."""

    spending_score: list[float]
    band: list[str]
    interval_low: list[float]
    interval_high: list[float]
    modes: list[list[float] | None]
    segment: list[int]  # index into the predictor's segments
    segment_probability: list[float]
    warnings: list[list[str]]


def _bands(scores: np.ndarray) -> list[str]:
    """``band_of`` each (rounded) score."""
    bands: list[str] = np.where(
        scores < LOW_BELOW, "low", np.where(scores > HIGH_ABOVE, "high", "medium")
    ).tolist()
    return bands


def band_of(score: float) -> str:
    if score < LOW_BELOW:
        return "low"
    if score > HIGH_ABOVE:
        return "high"
    return "medium"


class SpendingScorePredictor:
    """Built once per process from the loaded model; ``predict`` answers plain dicts (no pandas)."""

    def __init__(self, model: LoadedModel):
        self.model = model
        self.version = model.version
        ranges = model.metadata["training_ranges"]
        self._ranges = [
            ("age", 1, float(ranges["age"]["min"]), float(ranges["age"]["max"]), "years"),
            (
                "annual_income",
                2,
                float(ranges["annual_income"]["min"]),
                float(ranges["annual_income"]["max"]),
                "k$",
            ),
        ]
        # The public part of each segment, built once; a prediction adds its probability.
        self._segments = [
            {key: segment[key] for key in ("id", "name", "description")}
            for segment in model.segmentation.segments
        ]
        self._one_row = one_row_model(model, probability_decimals=PROBABILITY_DECIMALS)
        self._regressor = batch_regressor(model.fast_model)

    @staticmethod
    def to_matrix(items: Sequence[CustomerFeatures]) -> np.ndarray:
        return np.array(
            [(GENDER_CODE[item.gender], item.age, item.annual_income) for item in items], dtype=np.float64
        )

    def predict_one(self, item: CustomerFeatures) -> dict[str, Any]:
        """The answer for one customer: what ``predict`` gives for a one-row matrix, in plain Python
        where the one-row forms of the models can promise the same numbers (``one_row.py``)."""
        row = (GENDER_CODE[item.gender], float(item.age), float(item.annual_income))
        numbers = None if self._one_row is None else self._one_row.numbers(row)
        if numbers is None:
            return self.predict(self.to_matrix([item]))[0]
        score = _clipped_and_rounded(numbers.raw)
        return self._answer(
            score,
            _clipped_and_rounded(numbers.raw + numbers.offset_low),
            _clipped_and_rounded(numbers.raw + numbers.offset_high),
            None if numbers.modes is None else [_clipped_and_rounded(mode) for mode in numbers.modes],
            numbers.segment,
            numbers.probability,
            self._warnings(row[1:]),
        )

    def predict_columns(self, features: np.ndarray) -> PredictionColumns:
        """Every number of the answers to an (n, 3) matrix (gender code, age, annual income), as
        columns: what the JSON batch, the columnar form and the Open Inference Protocol all serve."""
        model = self.model
        raw = self._regressor(features)
        offset_low, offset_high = model.interval.offsets(features)
        clipped = np.clip(raw, SCORE_MIN, SCORE_MAX)
        scores = _rounded(clipped)
        segment_index, segment_probability = model.segmentation.most_likely(features)
        modes: list[list[float] | None] = [None] * len(features)
        if model.two_peaks is not None:
            peaks = model.two_peaks.modes(features)
            two_peaked = np.flatnonzero(~np.isnan(peaks[:, 0]))
            both = _rounded(np.clip(peaks[two_peaked], SCORE_MIN, SCORE_MAX).ravel())
            for number, row in enumerate(two_peaked.tolist()):
                modes[row] = both[2 * number : 2 * number + 2]
        warnings: list[list[str]] = [[] for _ in range(len(features))]
        for row in self._rows_outside_ranges(features):
            warnings[row] = self._warnings(features[row, 1:].tolist())
        return PredictionColumns(
            spending_score=scores,
            band=_bands(np.asarray(scores)),
            interval_low=_rounded(np.clip(raw + offset_low, SCORE_MIN, SCORE_MAX)),
            interval_high=_rounded(np.clip(raw + offset_high, SCORE_MIN, SCORE_MAX)),
            modes=modes,
            segment=segment_index.tolist(),
            segment_probability=_rounded(segment_probability, PROBABILITY_DECIMALS),
            warnings=warnings,
        )

    def scores_and_intervals(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Only the score and the interval ends of each row (clipped, not rounded): what a store
        correction's fit asks of many rows at once."""
        raw = self._regressor(features)
        offset_low, offset_high = self.model.interval.offsets(features)
        return (
            np.clip(raw, SCORE_MIN, SCORE_MAX),
            np.clip(raw + offset_low, SCORE_MIN, SCORE_MAX),
            np.clip(raw + offset_high, SCORE_MIN, SCORE_MAX),
        )

    def segment_id(self, segment: int) -> str:
        return str(self._segments[segment]["id"])

    @property
    def segments(self) -> list[dict[str, Any]]:
        """The public part of each segment (id, name, description), by index."""
        return self._segments

    def predict(self, features: np.ndarray) -> list[dict[str, Any]]:
        """One answer (the ``Prediction`` shape) per row of an (n, 3) matrix."""
        columns = self.predict_columns(features)
        return [
            self._answer(*answer)
            for answer in zip(
                columns.spending_score,
                columns.interval_low,
                columns.interval_high,
                columns.modes,
                columns.segment,
                columns.segment_probability,
                columns.warnings,
                strict=True,
            )
        ]

    def _answer(
        self,
        score: float,
        low: float,
        high: float,
        modes: list[float] | None,
        segment: int,
        probability: float,
        warnings: list[str],
    ) -> dict[str, Any]:
        return {
            "spending_score": score,
            "band": band_of(score),
            "interval": {"low": low, "high": high},
            "modes": modes,
            "segment": {**self._segments[segment], "probability": probability},
            "model_version": self.version,
            "warnings": warnings,
        }

    def _rows_outside_ranges(self, features: np.ndarray) -> list[int]:
        outside = np.zeros(len(features), dtype=bool)
        for _, column, low, high, _ in self._ranges:
            outside |= (features[:, column] < low) | (features[:, column] > high)
        return list(np.flatnonzero(outside).tolist())

    def _warnings(self, age_and_income: Sequence[float]) -> list[str]:
        return [
            f"{name} {value:g} is outside the training range {low:g}-{high:g} {unit}: "
            "the prediction is an extrapolation"
            for (name, _, low, high, unit), value in zip(self._ranges, age_and_income, strict=True)
            if value < low or value > high
        ]
