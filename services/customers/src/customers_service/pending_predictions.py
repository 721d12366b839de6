"""Completes predictions left pending while inference was down, once it answers again.

Inference only accepts a user's bearer token, and this service cannot sign tokens of its own. So the
completer borrows the owners' tokens: every authenticated request leaves the caller's token in
``OwnerTokens``, *in process memory only* and only until the token's own expiry (at most 2 hours).
Every few seconds the completer takes each owner with pending predictions whose token is still
valid and asks inference for the whole batch with it. A token is never written to the database or
a log, so a database leak leaks no credentials, and nothing outlives the token's own lifetime.

The trade-off: an owner who makes no request while their last token is still valid keeps their
pending rows until their next request (any request refreshes the token and nudges the completer),
and after a restart the memory is empty until the owner comes back. The rows are never lost,
only completed later; a service credential issued by auth would remove this delay and would be
the next step if pending rows turned out to linger in practice.
"""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass

import jwt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customers_service import prediction_repository
from customers_service.inference_client import (
    InferenceClient,
    InferenceRejected,
    InferenceUnavailable,
    ModelInput,
)

logger = logging.getLogger(__name__)

# A token this close to expiry is not used: inference would refuse it on arrival.
_EXPIRY_MARGIN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class _HeldToken:
    token: str
    expires_at: float


class OwnerTokens:
    """The latest verified token of each owner, until it expires; process memory only."""

    def __init__(self) -> None:
        self._tokens: dict[uuid.UUID, _HeldToken] = {}

    def remember(self, owner_id: uuid.UUID, token: str) -> bool:
        """Keep ``token`` (already verified) for the owner; True when the owner had no usable one."""
        claims = jwt.decode(token, options={"verify_signature": False})
        expires_at = float(claims.get("exp", 0))
        had_usable = self.usable(owner_id) is not None
        held = self._tokens.get(owner_id)
        if held is None or expires_at >= held.expires_at:
            self._tokens[owner_id] = _HeldToken(token, expires_at)
        return not had_usable

    def usable(self, owner_id: uuid.UUID) -> str | None:
        held = self._tokens.get(owner_id)
        if held is None:
            return None
        if held.expires_at - _EXPIRY_MARGIN_SECONDS <= time.time():
            del self._tokens[owner_id]
            return None
        return held.token

    def forget(self, owner_id: uuid.UUID) -> None:
        self._tokens.pop(owner_id, None)

    def drop_expired(self) -> None:
        now = time.time()
        for owner_id in [owner for owner, held in self._tokens.items() if held.expires_at <= now]:
            del self._tokens[owner_id]


class PendingPredictionCompleter:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        inference: InferenceClient,
        tokens: OwnerTokens,
        interval_seconds: float,
        batch_size: int = 1000,
    ):
        self._sessionmaker = sessionmaker
        self._inference = inference
        self._tokens = tokens
        self._interval_seconds = interval_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        """Run a round soon rather than at the next interval (a fresh token just arrived)."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("completing pending predictions failed; will retry")

    async def run_once(self) -> int:
        """Complete what can be completed now; returns how many predictions were completed."""
        self._tokens.drop_expired()
        async with self._sessionmaker() as session:
            owners = await prediction_repository.owners_with_pending(session=session)
        completed = 0
        for owner_id in owners:
            token = self._tokens.usable(owner_id)
            if token is not None:
                completed += await self._complete_owner(owner_id, token)
        return completed

    async def _complete_owner(self, owner_id: uuid.UUID, token: str) -> int:
        completed = 0
        while True:
            async with self._sessionmaker() as session:
                pending = await prediction_repository.pending_of_owner(
                    session=session, owner_id=owner_id, limit=self._batch_size
                )
                if not pending:
                    return completed
                inputs = [ModelInput(row.gender, row.age, row.annual_income) for row in pending]
                try:
                    outcomes = await self._inference.predict_batch(inputs, token=token)
                except InferenceUnavailable:
                    return completed
                except InferenceRejected as exc:
                    logger.warning("inference refused an owner's token; waiting for a fresh one")
                    if exc.status_code in (401, 403):
                        self._tokens.forget(owner_id)
                    return completed
                await prediction_repository.complete(
                    session=session,
                    owner_id=owner_id,
                    completions=[(row.id, outcome) for row, outcome in zip(pending, outcomes, strict=True)],
                )
                completed += len(pending)
                logger.info("completed pending predictions", extra={"count": len(pending)})
            if len(pending) < self._batch_size:
                return completed
