"""SQL about predictions: a customer's history, appending one, and completing pending ones.

Nothing here commits: the caller owns the transaction."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from customers_service.inference_client import ModelInput, ModelOutput
from customers_service.models import PREDICTION_DONE, PREDICTION_PENDING, Customer, ObservedScore, Prediction


async def history(*, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID) -> list[Prediction]:
    """The customer's predictions, oldest first."""
    rows = await session.scalars(
        select(Prediction)
        .where(col(Prediction.owner_id) == owner_id, col(Prediction.customer_id) == customer_id)
        .order_by(col(Prediction.created_at), col(Prediction.id))
    )
    return list(rows)


async def latest_done(*, session: AsyncSession, customer_id: uuid.UUID) -> Prediction | None:
    """The customer's newest finished prediction."""
    rows = await session.scalars(
        select(Prediction)
        .where(col(Prediction.customer_id) == customer_id, col(Prediction.status) == PREDICTION_DONE)
        .order_by(col(Prediction.created_at).desc(), col(Prediction.id).desc())
        .limit(1)
    )
    return rows.first()


async def observed_history(
    *, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID
) -> list[ObservedScore]:
    """The observed scores the owner entered for the customer (None: cleared), oldest first."""
    rows = await session.scalars(
        select(ObservedScore)
        .where(col(ObservedScore.owner_id) == owner_id, col(ObservedScore.customer_id) == customer_id)
        .order_by(col(ObservedScore.observed_at), col(ObservedScore.id))
    )
    return list(rows)


def append(*, session: AsyncSession, customer: Customer, prediction: Prediction) -> None:
    """Add a prediction and make it the customer's latest."""
    session.add(prediction)
    customer.set_latest(prediction)
    session.add(customer)


async def oldest_pending(*, session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, ModelInput]]:
    """Pending predictions of every owner, oldest first, with the inputs to compute them from
    (the partial index holds only pending rows, so this stays cheap)."""
    rows = await session.execute(
        select(col(Prediction.id), col(Prediction.gender), col(Prediction.age), col(Prediction.annual_income))
        .where(col(Prediction.status) == PREDICTION_PENDING)
        .order_by(col(Prediction.created_at), col(Prediction.id))
        .limit(limit)
    )
    return [(row[0], ModelInput(row[1], row[2], row[3])) for row in rows]


async def complete(*, session: AsyncSession, completions: Sequence[tuple[uuid.UUID, ModelOutput]]) -> None:
    """Fill in pending predictions; a customer whose latest prediction it is gets its score and band.

    Only rows still pending are touched, so two workers completing the same row do no harm.
    """
    if not completions:
        return
    now = datetime.now(UTC)
    table = Prediction.__table__
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("prediction_id"), table.c.status == PREDICTION_PENDING)
        .values(
            status=PREDICTION_DONE,
            spending_score=bindparam("score"),
            band=bindparam("result_band"),
            interval_low=bindparam("low"),
            interval_high=bindparam("high"),
            model_version=bindparam("version"),
            completed_at=now,
            segment_id=bindparam("segment"),
            segment_probability=bindparam("probability"),
            mode_low=bindparam("mode_low_value"),
            mode_high=bindparam("mode_high_value"),
            warnings=bindparam("warning_list"),
            explanation_base=bindparam("base"),
            contribution_gender=bindparam("gender_contribution"),
            contribution_age=bindparam("age_contribution"),
            contribution_income=bindparam("income_contribution"),
        ),
        [
            {
                "prediction_id": prediction_id,
                "score": outcome.spending_score,
                "result_band": outcome.band,
                "low": outcome.interval_low,
                "high": outcome.interval_high,
                "version": outcome.model_version,
                "segment": outcome.segment_id,
                "probability": outcome.segment_probability,
                "mode_low_value": outcome.modes[0] if outcome.modes else None,
                "mode_high_value": outcome.modes[1] if outcome.modes else None,
                "warning_list": list(outcome.warnings),
                "base": outcome.explanation_base,
                **dict(
                    zip(
                        ("gender_contribution", "age_contribution", "income_contribution"),
                        outcome.contributions or (None, None, None),
                        strict=True,
                    )
                ),
            }
            for prediction_id, outcome in completions
        ],
    )
    await session.execute(
        text(
            "UPDATE customer SET latest_spending_score = prediction.spending_score, "
            "latest_band = prediction.band, "
            # An observed segment stays: the owner's real score outranks the model's guess.
            "latest_segment = CASE WHEN customer.segment_source = 'observed' THEN customer.latest_segment "
            "ELSE prediction.segment_id END, "
            "latest_segment_probability = CASE WHEN customer.segment_source = 'observed' THEN NULL "
            "ELSE prediction.segment_probability END, "
            "segment_source = CASE WHEN customer.segment_source = 'observed' THEN 'observed' "
            "WHEN prediction.segment_id IS NULL THEN NULL ELSE 'predicted' END "
            "FROM prediction WHERE customer.latest_prediction_id = prediction.id "
            "AND prediction.id = ANY(:ids)"
        ),
        {"ids": [prediction_id for prediction_id, _ in completions]},
    )
