"""Validated customer features in, spending scores out: clipping, band, the customer's own interval,
two-peaked answers, the most likely segment and range warnings."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from inference_service.model_store import LoadedModel
from inference_service.one_row import one_row_model
from inference_service.schemas import CustomerFeatures

SCORE_MIN, SCORE_MAX = 1.0, 100.0
LOW_BELOW, HIGH_ABOVE = 25.0, 75.0
GENDER_CODE = {"male": 1.0, "female": 0.0}
PROBABILITY_DECIMALS = 4


def _rounded(values: np.ndarray) -> list[float]:
    # Python's round (not numpy's): the same digits whatever the batch size.
    return [round(value, 2) for value in values.tolist()]


def _clipped_and_rounded(value: float) -> float:
    """One value as ``_rounded(np.clip(...))`` gives it."""
    return round(min(max(value, SCORE_MIN), SCORE_MAX), 2)


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

    def predict(self, features: np.ndarray) -> list[dict[str, Any]]:
        """One answer per row of an (n, 3) matrix: gender code, age, annual income."""
        model = self.model
        raw = model.fast_model.predict(features)
        offset_low, offset_high = model.interval.offsets(features)
        scores = _rounded(np.clip(raw, SCORE_MIN, SCORE_MAX))
        lows = _rounded(np.clip(raw + offset_low, SCORE_MIN, SCORE_MAX))
        highs = _rounded(np.clip(raw + offset_high, SCORE_MIN, SCORE_MAX))
        segment_index, segment_probability = model.segmentation.most_likely(features)
        probabilities = [round(value, PROBABILITY_DECIMALS) for value in segment_probability.tolist()]
        modes: list[list[float] | None] = [None] * len(features)
        if model.two_peaks is not None:
            peaks = model.two_peaks.modes(features)
            for row in np.flatnonzero(~np.isnan(peaks[:, 0])).tolist():
                modes[row] = _rounded(np.clip(peaks[row], SCORE_MIN, SCORE_MAX))
        outside = self._rows_outside_ranges(features)
        return [
            self._answer(
                score,
                low,
                high,
                row_modes,
                segment,
                probability,
                self._warnings(features[row, 1:].tolist()) if row in outside else [],
            )
            for row, (score, low, high, row_modes, segment, probability) in enumerate(
                zip(scores, lows, highs, modes, segment_index.tolist(), probabilities, strict=True)
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

    def _rows_outside_ranges(self, features: np.ndarray) -> set[int]:
        outside = np.zeros(len(features), dtype=bool)
        for _, column, low, high, _ in self._ranges:
            outside |= (features[:, column] < low) | (features[:, column] > high)
        return set(np.flatnonzero(outside).tolist())

    def _warnings(self, age_and_income: Sequence[float]) -> list[str]:
        return [
            f"{name} {value:g} is outside the training range {low:g}-{high:g} {unit}: "
            "the prediction is an extrapolation"
            for (name, _, low, high, unit), value in zip(self._ranges, age_and_income, strict=True)
            if value < low or value > high
        ]
