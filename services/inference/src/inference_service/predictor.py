"""Validated customer features in, spending scores out: clipping, band, interval and range warnings."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from inference_service.model_store import LoadedModel
from inference_service.schemas import CustomerFeatures

SCORE_MIN, SCORE_MAX = 1.0, 100.0
LOW_BELOW, HIGH_ABOVE = 25.0, 75.0
GENDER_CODE = {"male": 1.0, "female": 0.0}


def _clip(score: float) -> float:
    return min(max(score, SCORE_MIN), SCORE_MAX)


def _rounded(values: np.ndarray) -> list[float]:
    return [round(value, 2) for value in values.tolist()]


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
        interval = model.metadata["interval"]
        self._residual_low = float(interval["residual_low"])
        self._residual_high = float(interval["residual_high"])
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

    @staticmethod
    def to_matrix(items: Sequence[CustomerFeatures]) -> np.ndarray:
        return np.array(
            [(GENDER_CODE[item.gender], item.age, item.annual_income) for item in items], dtype=np.float64
        )

    def predict_one(self, item: CustomerFeatures) -> dict[str, Any]:
        """The answer for one customer: what ``predict`` gives for a one-row matrix, without numpy
        when the model has a plain-Python path for one row."""
        row = (GENDER_CODE[item.gender], float(item.age), float(item.annual_income))
        raw = self.model.fast_model.predict_one(row)
        if raw is None:
            return self.predict(self.to_matrix([item]))[0]
        return self._answer(raw, [row[1], row[2]])

    def predict(self, features: np.ndarray) -> list[dict[str, Any]]:
        """One answer per row of an (n, 3) matrix: gender code, age, annual income."""
        raw = self.model.fast_model.predict(features)
        if len(raw) == 1:  # the common case, in plain floats: numpy's per-call cost dominates one row
            return [self._answer(float(raw[0]), features[0, 1:].tolist())]
        # Python's round (not numpy's) so that a batch answers exactly what single calls answer.
        scores = _rounded(np.clip(raw, SCORE_MIN, SCORE_MAX))
        lows = _rounded(np.clip(raw + self._residual_low, SCORE_MIN, SCORE_MAX))
        highs = _rounded(np.clip(raw + self._residual_high, SCORE_MIN, SCORE_MAX))
        outside = self._rows_outside_ranges(features)
        return [
            {
                "spending_score": score,
                "band": band_of(score),
                "interval": {"low": low, "high": high},
                "model_version": self.version,
                "warnings": self._warnings(features[row, 1:].tolist()) if row in outside else [],
            }
            for row, (score, low, high) in enumerate(zip(scores, lows, highs, strict=True))
        ]

    def _answer(self, raw: float, age_and_income: list[float]) -> dict[str, Any]:
        score = round(_clip(raw), 2)
        return {
            "spending_score": score,
            "band": band_of(score),
            "interval": {
                "low": round(_clip(raw + self._residual_low), 2),
                "high": round(_clip(raw + self._residual_high), 2),
            },
            "model_version": self.version,
            "warnings": self._warnings(age_and_income),
        }

    def _rows_outside_ranges(self, features: np.ndarray) -> set[int]:
        outside = np.zeros(len(features), dtype=bool)
        for _, column, low, high, _ in self._ranges:
            outside |= (features[:, column] < low) | (features[:, column] > high)
        return set(np.flatnonzero(outside).tolist())

    def _warnings(self, age_and_income: list[float]) -> list[str]:
        return [
            f"{name} {value:g} is outside the training range {low:g}-{high:g} {unit}: "
            "the prediction is an extrapolation"
            for (name, _, low, high, unit), value in zip(self._ranges, age_and_income, strict=True)
            if value < low or value > high
        ]
