"""The store's own correction of the global model (issue 25): fitted by inference from the owner's
(global prediction, observed score) pairs, kept here per owner, and applied here.

How a prediction gets corrected: every prediction stores what the global model said; when the owner's
correction is chosen, a background re-scorer appends, for each customer whose latest prediction was made
by another correction (or none) of the same global model version, a new prediction with the correction
applied (``store_model_version`` says which). A correction with an income scale other than 1 needs the
global model's answer at the scaled income: the pass asks inference for it (one batch call, with this
service's own token) and waits for the next pass when inference cannot answer. New customers and changes
are scored by the global model first and corrected by the next pass, a second later: the history shows
both, each with its version. When the correction is dropped (no longer better on held-out scores), the
same pass puts the global model's answers back."""

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customers_service import prediction_repository
from customers_service.inference_client import (
    InferenceClient,
    InferenceRejected,
    InferenceUnavailable,
    ModelInput,
    ModelOutput,
)
from customers_service.models import PREDICTION_DONE, Customer, Prediction, StoreModel
from customers_service.pending_predictions import predict_batch_as_service
from customers_service.service_token import ServiceTokens, ServiceTokenUnavailable
from customers_service.store_drift import held_out_read
from customers_service.store_schemas import CorrectionRead, RescoreRead, StoreModelRead

logger = logging.getLogger(__name__)

MAX_PAIRS = 10_000  # what inference accepts in one fit
RESCORE_BATCH = 500
LOW_BAND_BELOW, HIGH_BAND_ABOVE = 25.0, 75.0
CENTRE = 50.0
MAX_INCOME = 100_000.0  # what inference accepts


def band_of(score: float) -> str:
    return "low" if score < LOW_BAND_BELOW else "high" if score > HIGH_BAND_ABOVE else "medium"


@dataclass(frozen=True, slots=True)
class AppliedCorrection:
    version: str
    offset: float
    slope: float
    interval_scale: float
    income_scale: float = 1.0

    def score(self, value: float) -> float:
        return min(100.0, max(1.0, value + self.offset + self.slope * (value - CENTRE)))

    def scaled_input(self, prediction: Prediction) -> ModelInput:
        """The prediction's inputs with the income the global model should read."""
        income = min(MAX_INCOME, prediction.annual_income * self.income_scale)
        return ModelInput(gender=prediction.gender, age=prediction.age, annual_income=income)


def corrected_prediction(
    prediction: Prediction,
    correction: AppliedCorrection | None,
    now: datetime,
    at_scaled_income: ModelOutput | None = None,
) -> Prediction:
    """A new prediction of the same inputs: the global model's answer (kept in the global_* columns)
    with the store's correction applied, or the global answer itself when ``correction`` is None.
    ``at_scaled_income`` is the global model's answer at the correction's income scale, which the
    correction starts from when it has one."""
    global_score = _global(prediction.global_score, prediction.spending_score)
    global_low = _global(prediction.global_interval_low, prediction.interval_low)
    global_high = _global(prediction.global_interval_high, prediction.interval_high)
    base_score, base_low, base_high = global_score, global_low, global_high
    if at_scaled_income is not None:
        base_score = at_scaled_income.spending_score
        base_low, base_high = at_scaled_income.interval_low, at_scaled_income.interval_high
    # Two peaks speak of the global model's training neighbours: a corrected answer does not carry
    # them, and once dropped they come back with the next prediction from inference.
    mode_low = mode_high = None
    if correction is None:
        score, low, high = global_score, global_low, global_high
        if prediction.store_model_version is None:
            mode_low, mode_high = prediction.mode_low, prediction.mode_high
    else:
        score = round(correction.score(base_score), 2)
        low = round(max(1.0, min(100.0, score + correction.interval_scale * (base_low - base_score))), 2)
        high = round(max(1.0, min(100.0, score + correction.interval_scale * (base_high - base_score))), 2)
    return Prediction(
        id=uuid.uuid4(),
        owner_id=prediction.owner_id,
        customer_id=prediction.customer_id,
        status=PREDICTION_DONE,
        spending_score=score,
        band=band_of(score),
        interval_low=low,
        interval_high=high,
        model_version=prediction.model_version,
        gender=prediction.gender,
        age=prediction.age,
        annual_income=prediction.annual_income,
        created_at=now,
        completed_at=now,
        segment_id=prediction.segment_id,
        segment_probability=prediction.segment_probability,
        mode_low=mode_low,
        mode_high=mode_high,
        warnings=list(prediction.warnings or []),
        store_model_version=None if correction is None else correction.version,
        global_score=None if correction is None else global_score,
        global_interval_low=None if correction is None else global_low,
        global_interval_high=None if correction is None else global_high,
    )


def _global(stored: float | None, shown: float | None) -> float:
    value = stored if stored is not None else shown
    assert value is not None  # done predictions have a score and an interval
    return float(value)


async def observed_pairs(*, session: AsyncSession, owner_id: uuid.UUID) -> list[dict[str, Any]]:
    """The owner's customers with an observed score and a finished latest prediction: what the global
    model says for them (the global model does not learn from these scores: no leak), the score, and the
    inputs the prediction was made from; the latest ``MAX_PAIRS``, sent oldest first, which sets
    inference's forward-chaining folds. One sales import dates every score alike: among equal dates the
    customer the store recorded first comes first."""
    rows = await session.execute(
        text(
            "SELECT COALESCE(p.global_score, p.spending_score), c.observed_score, "
            "COALESCE(p.global_interval_low, p.interval_low), "
            "COALESCE(p.global_interval_high, p.interval_high), p.gender, p.age, p.annual_income "
            "FROM customer c JOIN prediction p ON p.id = c.latest_prediction_id "
            "WHERE c.owner_id = :owner_id AND c.observed_score IS NOT NULL AND p.status = 'done' "
            "ORDER BY c.observed_at DESC, c.created_at DESC, c.id DESC LIMIT :limit"
        ),
        {"owner_id": owner_id, "limit": MAX_PAIRS},
    )
    newest_first = [
        {
            "predicted": float(p),
            "observed": float(o),
            "interval_low": float(lo),
            "interval_high": float(hi),
            "customer": {"gender": gender, "age": age, "annual_income": float(income)},
        }
        for p, o, lo, hi, gender, age, income in rows
    ]
    return newest_first[::-1]


async def refit(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    inference: InferenceClient,
    owner_id: uuid.UUID,
    token: str,
) -> StoreModel:
    """Fit the owner's correction again (inference answers statelessly), keep it, and set the number of
    customers to re-score. InferenceUnavailable when inference cannot answer."""
    async with sessionmaker() as session:
        pairs = await observed_pairs(session=session, owner_id=owner_id)
        await session.commit()
    fitted = await inference.fit_store_correction(pairs, token=token)
    correction = fitted["correction"]
    async with sessionmaker() as session:
        stored = await session.get(StoreModel, owner_id) or StoreModel(
            owner_id=owner_id,
            model_version="",
            chosen=False,
            reason="",
            score_offset=0,
            score_slope=0,
            interval_scale=1,
        )
        stored.model_version = fitted["model_version"]
        stored.version = fitted["version"]
        stored.chosen = fitted["chosen"]
        stored.reason = fitted["reason"]
        stored.score_offset = correction["offset"]
        stored.score_slope = correction["slope"]
        stored.interval_scale = correction["interval_scale"]
        stored.income_scale = correction.get("income_scale", 1.0)
        stored.held_out = json.dumps(fitted["held_out"]) if fitted["held_out"] is not None else None
        stored.fitted_at = datetime.now(UTC)
        session.add(stored)
        await session.flush()
        stored.rescore_total = await behind_count(session=session, owner_id=owner_id)
        await session.commit()
        await session.refresh(stored)
    return stored


_BEHIND = (
    "FROM customer c JOIN prediction p ON p.id = c.latest_prediction_id "
    "JOIN store_model m ON m.owner_id = c.owner_id "
    "WHERE c.owner_id = :owner_id AND p.status = 'done' AND p.model_version = m.model_version "
    "AND p.store_model_version IS DISTINCT FROM m.version"
)


async def behind_count(*, session: AsyncSession, owner_id: uuid.UUID) -> int:
    """Customers whose latest prediction is not yet answered by the owner's current store model."""
    return int(
        (await session.execute(text(f"SELECT count(*) {_BEHIND}"), {"owner_id": owner_id})).scalar_one()
    )


async def forget_owner(*, session: AsyncSession, owner_id: uuid.UUID) -> None:
    """A deleted account's store model goes with its customers (their sales cascade with them)."""
    await session.execute(text("DELETE FROM store_model WHERE owner_id = :owner_id"), {"owner_id": owner_id})


def applied(stored: StoreModel) -> AppliedCorrection | None:
    if stored.version is None:
        return None
    return AppliedCorrection(
        stored.version, stored.score_offset, stored.score_slope, stored.interval_scale, stored.income_scale
    )


BatchPredict = Callable[[list[ModelInput]], Awaitable[list[ModelOutput]]]


async def rescore_batch(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    predict: BatchPredict | None = None,
    limit: int = RESCORE_BATCH,
) -> int:
    """Re-score up to ``limit`` of the owner's customers that are behind; returns how many (not committed).
    The rows are locked until the commit and locked ones skipped: two passes (two replicas, or the
    background one and a test's) never re-score one customer twice. ``predict`` asks the global model
    for the answers at a correction's income scale (InferenceUnavailable, or nothing done without it)."""
    stored = await session.get(StoreModel, owner_id)
    if stored is None:
        return 0
    correction = applied(stored)
    if correction is not None and correction.income_scale != 1.0 and predict is None:
        return 0
    rows = await session.execute(
        text(f"SELECT c.id, p.id {_BEHIND} ORDER BY c.id LIMIT :limit FOR UPDATE OF c SKIP LOCKED"),
        {"owner_id": owner_id, "limit": limit},
    )
    behind = []
    for customer_id, prediction_id in rows:
        customer = await session.get(Customer, customer_id)
        latest = await session.get(Prediction, prediction_id)
        if customer is not None and latest is not None:
            behind.append((customer, latest))
    if not behind:
        return 0
    scaled: list[ModelOutput | None] = [None] * len(behind)
    if correction is not None and correction.income_scale != 1.0 and predict is not None:
        scaled = list(await predict([correction.scaled_input(latest) for _, latest in behind]))
    now = datetime.now(UTC)
    for (customer, latest), at_scaled_income in zip(behind, scaled, strict=True):
        prediction_repository.append(
            session=session,
            customer=customer,
            prediction=corrected_prediction(latest, correction, now, at_scaled_income),
        )
    return len(behind)


async def owners_behind(*, session: AsyncSession, limit: int) -> list[uuid.UUID]:
    rows = await session.execute(
        text(
            "SELECT m.owner_id FROM store_model m WHERE EXISTS (SELECT 1 FROM customer c "
            "JOIN prediction p ON p.id = c.latest_prediction_id WHERE c.owner_id = m.owner_id "
            "AND p.status = 'done' AND p.model_version = m.model_version "
            "AND p.store_model_version IS DISTINCT FROM m.version) LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [owner_id for (owner_id,) in rows]


class StoreRescorer:
    """The background pass: every ``interval_seconds``, re-score the customers of every owner whose
    store model changed, one batch per transaction (another replica doing the same work only appends a
    prediction that is already current)."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        interval_seconds: float,
        inference: InferenceClient | None = None,
        service_tokens: ServiceTokens | None = None,
    ):
        self._sessionmaker = sessionmaker
        self._interval_seconds = interval_seconds
        self._inference = inference
        self._service_tokens = service_tokens

    async def _predict(self, inputs: list[ModelInput]) -> list[ModelOutput]:
        if self._inference is None or self._service_tokens is None:
            raise InferenceUnavailable("no inference client or service token to re-score with")
        return await predict_batch_as_service(self._inference, self._service_tokens, inputs)

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_seconds)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("re-scoring with store models failed; will retry")

    async def run_once(self) -> int:
        done = 0
        async with self._sessionmaker() as session:
            owners = await owners_behind(session=session, limit=100)
            await session.commit()
        for owner_id in owners:
            while True:
                async with self._sessionmaker() as session:
                    try:
                        count = await rescore_batch(session=session, owner_id=owner_id, predict=self._predict)
                    except (InferenceUnavailable, ServiceTokenUnavailable, InferenceRejected) as exc:
                        logger.info("re-scoring waits for inference", extra={"reason": str(exc)})
                        break
                    await session.commit()
                done += count
                if count < RESCORE_BATCH:
                    break
        return done


def status_of(stored: StoreModel | None, behind: int) -> StoreModelRead:
    """What GET /store-model answers."""
    if stored is None:
        return StoreModelRead(fitted=False, rescore=RescoreRead(total=0, done=0, remaining=0))
    total = max(stored.rescore_total, behind)
    return StoreModelRead(
        fitted=True,
        chosen=stored.chosen,
        reason=stored.reason,
        version=stored.version,
        model_version=stored.model_version,
        correction=CorrectionRead(
            offset=stored.score_offset,
            slope=stored.score_slope,
            interval_scale=stored.interval_scale,
            income_scale=stored.income_scale,
        ),
        held_out=held_out_read(json.loads(stored.held_out) if stored.held_out else None),
        fitted_at=stored.fitted_at,
        rescore=RescoreRead(total=total, done=total - behind, remaining=behind),
    )
