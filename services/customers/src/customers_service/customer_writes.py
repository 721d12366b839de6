"""Writing one customer: create, change, observed score and segment, delete; filtered by the owner.

Nothing here commits: the caller owns the transaction."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from customers_service.customer_reads import CustomerWithLatest
from customers_service.inference_client import ModelInput, ModelOutput
from customers_service.models import (
    PREDICTION_DONE,
    PREDICTION_PENDING,
    SEGMENT_OBSERVED,
    Customer,
    ObservedScore,
    Prediction,
    SavedView,
)
from customers_service.schemas import CustomerCreate
from customers_service.search_text import search_text
from customers_service.segment_catalogue import Segments


def new_prediction(
    *,
    owner_id: uuid.UUID,
    customer_id: uuid.UUID,
    model_input: ModelInput,
    outcome: ModelOutput | None,
    now: datetime,
) -> Prediction:
    """A prediction row: done with the model's answer, or pending (scores null) when there is none."""
    prediction = Prediction(
        id=uuid.uuid4(),
        owner_id=owner_id,
        customer_id=customer_id,
        status=PREDICTION_PENDING,
        gender=model_input.gender,
        age=model_input.age,
        annual_income=model_input.annual_income,
        created_at=now,
    )
    if outcome is not None:
        prediction.status = PREDICTION_DONE
        prediction.spending_score = outcome.spending_score
        prediction.band = outcome.band
        prediction.interval_low = outcome.interval_low
        prediction.interval_high = outcome.interval_high
        prediction.model_version = outcome.model_version
        prediction.completed_at = now
        prediction.segment_id = outcome.segment_id
        prediction.segment_probability = outcome.segment_probability
        prediction.mode_low, prediction.mode_high = outcome.modes or (None, None)
        prediction.explanation_base = outcome.explanation_base
        (prediction.contribution_gender, prediction.contribution_age, prediction.contribution_income) = (
            outcome.contributions or (None, None, None)
        )
        prediction.warnings = list(outcome.warnings)
    return prediction


async def create(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    values: CustomerCreate,
    outcome: ModelOutput | None,
    segments: Segments | None = None,
) -> CustomerWithLatest:
    """Add the customer and its first prediction (done or pending), and its observed score if given."""
    now = datetime.now(UTC)
    customer = Customer(
        id=uuid.uuid4(),
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
        search_name=search_text(values.name),
        **values.model_dump(exclude={"observed_score"}),
    )
    prediction = new_prediction(
        owner_id=owner_id,
        customer_id=customer.id,
        model_input=model_input_of(customer),
        outcome=outcome,
        now=now,
    )
    customer.set_latest(prediction)
    session.add(customer)
    await session.flush()
    session.add(prediction)
    if values.observed_score is not None:
        # The first prediction was made from the inputs alone: it is the one "made before".
        entry = observe(
            customer=customer,
            score=values.observed_score,
            prior=prediction,
            latest=prediction,
            segments=segments,
            now=now,
        )
        session.add(entry)
    return CustomerWithLatest(customer, prediction)


def observe(
    *,
    customer: Customer,
    score: int | None,
    prior: Prediction | None,
    latest: Prediction | None,
    segments: Segments | None,
    now: datetime,
) -> ObservedScore:
    """Record the owner's real score (None clears it) on the customer and return its history entry.

    ``prior`` is the newest finished prediction made before the score was known (what the dashboard's
    accuracy compares it with); ``latest`` the customer's latest prediction (its segment comes back
    when the score is cleared)."""
    customer.observed_score = score
    customer.observed_at = None if score is None else now
    compared = prior if score is not None and prior is not None and prior.status == PREDICTION_DONE else None
    customer.prior_score = None if compared is None else compared.spending_score
    customer.prior_interval_low = None if compared is None else compared.interval_low
    customer.prior_interval_high = None if compared is None else compared.interval_high
    assign_segment(customer=customer, segments=segments, latest=latest)
    return ObservedScore(owner_id=customer.owner_id, customer_id=customer.id, score=score, observed_at=now)


def assign_segment(*, customer: Customer, segments: Segments | None, latest: Prediction | None) -> None:
    """The nearest centroid of (income, observed score) when there is one and the model's segments are
    known (after a change of score or income), else the latest prediction's segment."""
    if customer.observed_score is not None and segments is not None and segments.centroids:
        customer.latest_segment = segments.nearest(customer.annual_income, float(customer.observed_score))
        customer.latest_segment_probability = None
        customer.segment_source = SEGMENT_OBSERVED
    else:
        customer.set_predicted_segment(latest)


async def assign_observed_segments(*, session: AsyncSession, segments: Segments, limit: int) -> int:
    """Observed customers still on the model's guess (their score was entered while the segments were
    unknown) moved to the nearest centroid of (income, observed score); returns how many."""
    if not segments.centroids:
        return 0
    customers = list(
        await session.scalars(
            select(Customer)
            .where(
                col(Customer.observed_score).is_not(None),
                col(Customer.segment_source).is_distinct_from(SEGMENT_OBSERVED),
            )
            .limit(limit)
        )
    )
    for customer in customers:
        assign_segment(customer=customer, segments=segments, latest=None)
        session.add(customer)
    return len(customers)


def utc_now() -> datetime:
    return datetime.now(UTC)


def model_input_of(customer: Customer) -> ModelInput:
    return ModelInput(gender=customer.gender, age=customer.age, annual_income=customer.annual_income)


def update(
    *, session: AsyncSession, customer: Customer, changes: dict[str, Any], prediction: Prediction | None
) -> None:
    """Apply ``changes``; when ``prediction`` is given it is appended and becomes the latest."""
    now = datetime.now(UTC)
    for field, value in changes.items():
        setattr(customer, field, value)
    if "name" in changes:
        customer.search_name = search_text(customer.name)
    customer.updated_at = now
    session.add(customer)
    if prediction is not None:
        session.add(prediction)
        customer.set_latest(prediction)


async def delete_all_of_owner(*, session: AsyncSession, owner_id: uuid.UUID) -> int:
    """Everything the owner had: predictions go with their customers (ON DELETE CASCADE)."""
    # Up to a million customers: not bounded by the per-request statement timeout, or auth's retries of
    # a large account's deletion would time out every time. Only auth's service token calls this.
    await session.execute(text("SET LOCAL statement_timeout = 0"))
    await session.execute(delete(SavedView).where(col(SavedView.owner_id) == owner_id))
    await session.execute(delete(Prediction).where(col(Prediction.owner_id) == owner_id))
    result = await session.execute(delete(Customer).where(col(Customer.owner_id) == owner_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
