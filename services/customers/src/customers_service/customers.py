"""What the customers endpoints do. Each function owns its commit, and calls inference (which may
take seconds when it is down) with no transaction open, so no pooled connection waits on it."""

import uuid

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.ext.asyncio import AsyncSession

from customers_service import customer_repository, prediction_repository
from customers_service.csv_import import parse_customers_csv
from customers_service.customer_repository import CustomerWithLatest, model_input_of, new_prediction, utc_now
from customers_service.errors import CustomerNotFound
from customers_service.inference_client import (
    InferenceClient,
    InferenceRejected,
    InferenceUnavailable,
    ModelInput,
    ModelOutput,
)
from customers_service.models import PREDICTION_DONE, Prediction
from customers_service.schemas import CustomerCreate, CustomerUpdate, ImportResult
from customers_service.segment_catalogue import SegmentCatalogue

_MODEL_FIELDS = frozenset({"gender", "age", "annual_income"})


async def create_customer(
    *,
    session: AsyncSession,
    inference: InferenceClient,
    owner_id: uuid.UUID,
    token: str,
    values: CustomerCreate,
    catalogue: SegmentCatalogue,
) -> CustomerWithLatest:
    """Store the customer and its first prediction (``pending`` when inference cannot answer)."""
    outcome = await inference.predict_or_none(
        ModelInput(values.gender, values.age, values.annual_income), token=token
    )
    segments = await catalogue.segments(token) if values.observed_score is not None else None
    created = await customer_repository.create(
        session=session, owner_id=owner_id, values=values, outcome=outcome, segments=segments
    )
    await session.commit()
    return created


async def update_customer(
    *,
    session: AsyncSession,
    inference: InferenceClient,
    token: str,
    found: CustomerWithLatest,
    values: CustomerUpdate,
    catalogue: SegmentCatalogue,
) -> CustomerWithLatest:
    """Apply the changed fields; a change of gender, age or income appends a new prediction; an
    observed score (null clears it) is kept with its time in the customer's observed-score history."""
    customer = found.customer
    sent = values.model_dump(exclude_unset=True)
    observed_sent = "observed_score" in sent
    observed = sent.pop("observed_score", None)
    observed_changed = observed_sent and observed != customer.observed_score
    changes = {field: value for field, value in sent.items() if getattr(customer, field) != value}
    income_moves_observed = customer.observed_score is not None and "annual_income" in changes
    # Asked before any SQL of this request: no pooled connection waits on inference meanwhile.
    segments = await catalogue.segments(token) if observed_changed or income_moves_observed else None
    prediction = None
    if changes.keys() & _MODEL_FIELDS:
        model_input = ModelInput(
            gender=changes.get("gender", customer.gender),
            age=changes.get("age", customer.age),
            annual_income=changes.get("annual_income", customer.annual_income),
        )
        outcome = await inference.predict_or_none(model_input, token=token)
        prediction = new_prediction(
            owner_id=customer.owner_id,
            customer_id=customer.id,
            model_input=model_input,
            outcome=outcome,
            now=utc_now(),
        )
    if changes:
        customer_repository.update(session=session, customer=customer, changes=changes, prediction=prediction)
    latest = prediction or found.latest
    if observed_changed:
        prior = found.latest
        if prior is None or prior.status != PREDICTION_DONE:
            prior = await prediction_repository.latest_done(session=session, customer_id=customer.id)
        entry = customer_repository.observe(
            customer=customer, score=observed, prior=prior, latest=latest, segments=segments, now=utc_now()
        )
        customer.updated_at = entry.observed_at
        session.add_all([customer, entry])
    elif income_moves_observed:
        customer_repository.assign_segment(customer=customer, segments=segments, latest=latest)
    if changes or observed_changed:
        await session.commit()
    return CustomerWithLatest(customer, latest)


async def predict_again(
    *, session: AsyncSession, inference: InferenceClient, token: str, found: CustomerWithLatest
) -> Prediction:
    """A new prediction with the current model; InferenceUnavailable (503) while inference is down."""
    customer = found.customer
    model_input = model_input_of(customer)
    outcome = await inference.predict(model_input, token=token)
    prediction = new_prediction(
        owner_id=customer.owner_id,
        customer_id=customer.id,
        model_input=model_input,
        outcome=outcome,
        now=utc_now(),
    )
    prediction_repository.append(session=session, customer=customer, prediction=prediction)
    await session.commit()
    return prediction


async def delete_customer(*, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Delete the customer with its history; CustomerNotFound when the owner has no such customer."""
    deleted = await customer_repository.delete_one(
        session=session, owner_id=owner_id, customer_id=customer_id
    )
    await session.commit()
    if not deleted:
        raise CustomerNotFound


async def delete_owner_customers(*, session: AsyncSession, owner_id: uuid.UUID) -> None:
    """Everything a deleted account owned; nothing left is fine (idempotent)."""
    await customer_repository.delete_all_of_owner(session=session, owner_id=owner_id)
    await session.commit()


async def import_customers(
    *, session: AsyncSession, inference: InferenceClient, owner_id: uuid.UUID, token: str, raw: bytes
) -> ImportResult:
    """All rows or none (ImportRejected lists every problem); scored by one batch call, stored by COPY."""
    customers = await run_in_threadpool(parse_customers_csv, raw)
    outcomes: list[ModelOutput] | None
    try:
        outcomes = await inference.predict_batch(
            [ModelInput(row.gender, row.age, row.annual_income) for row in customers], token=token
        )
    except (InferenceUnavailable, InferenceRejected):
        outcomes = None
    records = await run_in_threadpool(
        customer_repository.copy_records, owner_id=owner_id, rows=customers, outcomes=outcomes
    )
    imported = await customer_repository.bulk_insert(session=session, records=records)
    await session.commit()
    return ImportResult(imported=imported, pending_predictions=0 if outcomes is not None else imported)
