"""The model's segments as customers needs them: names and sentences by id, and the nearest centroid of a
known (income, score). Read from inference's GET /model with this service's own token (the caller's
when no service secret is set), kept for a few minutes, and kept on when inference cannot be asked."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from customers_service.inference_client import InferenceClient, InferenceRejected, InferenceUnavailable
from customers_service.service_token import ServiceTokens, ServiceTokenUnavailable

logger = logging.getLogger(__name__)
REFRESH_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Segments:
    """One model's segments: ``names[id]`` = {"name": {...}, "description": {...}}."""

    names: dict[str, dict[str, dict[str, str]]]
    centroids: list[tuple[str, float, float]]  # id, standardised income, standardised score
    scale: dict[str, dict[str, float]]

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> "Segments":
        scale = card["segmentation_scale"]
        income, score = scale["annual_income"], scale["spending_score"]
        return cls(
            names={
                segment["id"]: {"name": segment["name"], "description": segment["description"]}
                for segment in card["segments"]
            },
            centroids=[
                (
                    segment["id"],
                    (segment["centroid"]["annual_income"] - income["mean"]) / income["std"],
                    (segment["centroid"]["spending_score"] - score["mean"]) / score["std"],
                )
                for segment in card["segments"]
            ],
            scale=scale,
        )

    def nearest(self, annual_income: float, spending_score: float) -> str:
        """The segment of a customer whose real score is known: nearest centroid, standardised units."""
        income, score = self.scale["annual_income"], self.scale["spending_score"]
        x = (annual_income - income["mean"]) / income["std"]
        y = (spending_score - score["mean"]) / score["std"]
        return min(self.centroids, key=lambda centroid: (centroid[1] - x) ** 2 + (centroid[2] - y) ** 2)[0]

    @classmethod
    def unknown(cls) -> "Segments":
        """No model segments known (inference has not answered yet): names fall back to ids."""
        return cls(names={}, centroids=[], scale={})

    def describe(self, segment_id: str) -> dict[str, dict[str, str]]:
        """Names and sentence of a segment; its id in both languages for one this model does not know."""
        known = self.names.get(segment_id)
        return known or {
            "name": {"en": segment_id, "pt-BR": segment_id},
            "description": {"en": "", "pt-BR": ""},
        }


class SegmentCatalogue:
    """``await catalogue.segments(caller_token)``: the current model's segments, or None when inference
    has never answered GET /model (names then fall back to ids; observed scores get no segment yet)."""

    def __init__(
        self,
        inference: InferenceClient,
        service_tokens: ServiceTokens | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._inference = inference
        self._service_tokens = service_tokens
        self._clock = clock
        self._segments: Segments | None = None
        self._fetched_at = float("-inf")

    async def segments(self, caller_token: str | None = None) -> Segments | None:
        if self._segments is not None and self._clock() - self._fetched_at < REFRESH_SECONDS:
            return self._segments
        try:
            token = await self._service_tokens.token() if self._service_tokens is not None else caller_token
            if token is None:
                return self._segments
            self._segments = Segments.from_card(await self._inference.model_card(token=token))
            self._fetched_at = self._clock()
        except (InferenceUnavailable, InferenceRejected, ServiceTokenUnavailable, KeyError, TypeError) as exc:
            logger.info("model segments not refreshed", extra={"reason": str(exc)})
            self._fetched_at = self._clock() - REFRESH_SECONDS + 10.0  # ask again in 10 s, not per request
        return self._segments
