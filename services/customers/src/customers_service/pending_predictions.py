"""Completes predictions left pending while inference was down, once it answers again.

The completer calls inference with this service's own token (``service_token.ServiceTokens``), so it
completes every owner's pending rows, whether or not the owner comes back. Without
CUSTOMERS_SERVICE_SECRET there is no such token and pending rows wait until one is configured:
a user's token is never borrowed for it.

No database connection is held while inference is called (a batch may take up to its timeout):
each batch is read in one short session and written in another. Only rows still pending are
written, so two replicas completing the same rows do no harm.
"""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customers_service import customer_writes, prediction_repository
from customers_service.inference_client import (
    InferenceClient,
    InferenceRejected,
    InferenceUnavailable,
    ModelInput,
    ModelOutput,
)
from customers_service.segment_catalogue import SegmentCatalogue
from customers_service.service_token import ServiceTokens, ServiceTokenUnavailable

logger = logging.getLogger(__name__)


class PendingPredictionCompleter:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        inference: InferenceClient,
        service_tokens: ServiceTokens | None,
        interval_seconds: float,
        batch_size: int = 1000,
        segment_catalogue: SegmentCatalogue | None = None,
    ):
        self._sessionmaker = sessionmaker
        self._inference = inference
        self._service_tokens = service_tokens
        self._interval_seconds = interval_seconds
        self._batch_size = batch_size
        self._segment_catalogue = segment_catalogue

    async def run_forever(self) -> None:
        if self._service_tokens is None:
            logger.warning(
                "CUSTOMERS_SERVICE_SECRET is not set: predictions left pending while inference is down "
                "stay pending until it is"
            )
            return
        while True:
            await asyncio.sleep(self._interval_seconds)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("completing pending predictions failed; will retry")

    async def run_once(self) -> int:
        """Complete what can be completed now, oldest first; returns how many were completed."""
        if self._service_tokens is None:
            return 0
        await self.assign_observed_segments()
        completed = 0
        while True:
            async with self._sessionmaker() as session:
                pending = await prediction_repository.oldest_pending(session=session, limit=self._batch_size)
            if not pending:
                return completed
            try:
                outcomes = await self._predict_batch(
                    self._service_tokens, [model_input for _, model_input in pending]
                )
            except (InferenceUnavailable, ServiceTokenUnavailable) as exc:
                logger.info("pending predictions wait", extra={"reason": str(exc)})
                return completed
            except InferenceRejected as exc:
                logger.warning("inference refused the service's batch", extra={"reason": str(exc)})
                return completed
            async with self._sessionmaker() as session:
                await prediction_repository.complete(
                    session=session,
                    completions=[
                        (prediction_id, outcome)
                        for (prediction_id, _), outcome in zip(pending, outcomes, strict=True)
                    ],
                )
                await session.commit()
            completed += len(pending)
            logger.info("completed pending predictions", extra={"count": len(pending)})
            if len(pending) < self._batch_size:
                return completed

    async def assign_observed_segments(self) -> int:
        """Customers whose real score was entered while the model's segments were unknown (inference
        down) get the nearest centroid now; returns how many."""
        if self._segment_catalogue is None:
            return 0
        segments = await self._segment_catalogue.segments()
        if segments is None:
            return 0
        async with self._sessionmaker() as session:
            assigned = await customer_writes.assign_observed_segments(
                session=session, segments=segments, limit=self._batch_size
            )
            await session.commit()
        return assigned

    async def _predict_batch(self, tokens: ServiceTokens, inputs: list[ModelInput]) -> list[ModelOutput]:
        return await predict_batch_as_service(self._inference, tokens, inputs)


async def predict_batch_as_service(
    inference: InferenceClient, tokens: ServiceTokens, inputs: list[ModelInput]
) -> list[ModelOutput]:
    """A batch prediction with this service's own token (background work has no caller's token)."""
    token = await tokens.token()
    try:
        return await inference.predict_batch(inputs, token=token)
    except InferenceRejected as exc:
        if exc.status_code != 401:
            raise
    # Refused although cached as valid (e.g. auth rotated its key): once more with a fresh token.
    tokens.discard(token)
    return await inference.predict_batch(inputs, token=await tokens.token())
