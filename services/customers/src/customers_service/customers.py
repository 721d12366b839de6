"""What the customers endpoints do. Each function owns its commit, and calls inference (which may
take seconds when it is down) with no transaction open, so no pooled connection waits on it."""

import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Literal

import asyncpg
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from customers_service import (
    customer_cap,
    customer_import_writes,
    customer_reads,
    customer_writes,
    import_repository,
    prediction_repository,
    recycle_bin,
    store_models,
    store_settings_repository,
)
from customers_service.customer_reads import CustomerWithLatest
from customers_service.customer_writes import model_input_of, new_prediction, utc_now
from customers_service.errors import CustomerLimitReached, CustomerNotFound, ExternalIdTaken, ImportRejected
from customers_service.file_import import read_customers_file
from customers_service.inference_client import (
    InferenceClient,
    InferenceRejected,
    InferenceUnavailable,
    ModelInput,
    ModelOutput,
)
from customers_service.messages import Language
from customers_service.models import PREDICTION_DONE, Customer, Prediction
from customers_service.schemas import (
    CustomerCreate,
    CustomerCreateRequest,
    CustomerUpdate,
    ImportResult,
    model_income_of,
)
from customers_service.segment_catalogue import SegmentCatalogue
from customers_service.store_settings import MODEL_UNIT, IncomeUnit, entered_income_columns

_MODEL_FIELDS = frozenset({"gender", "age", "annual_income"})
_EXTERNAL_ID_INDEX = "uq_customer_owner_external_id"
_FOREIGN_KEY_VIOLATION = "ForeignKeyViolationError"


async def create_customer(
    *,
    session: AsyncSession,
    inference: InferenceClient,
    owner_id: uuid.UUID,
    token: str,
    request: CustomerCreateRequest,
    max_customers: int,
    catalogue: SegmentCatalogue,
) -> CustomerWithLatest:
    """Store the customer and its first prediction (``pending`` when inference cannot answer); an
    ``income_amount`` is converted with the owner's store settings, and kept as entered.

    CustomerLimitReached when the owner already has ``max_customers``; ExternalIdTaken when another
    of the owner's customers has the external id."""
    unit = await _unit_for(session, owner_id, request.income_amount)
    values = request.resolved(unit)
    await customer_cap.refuse_when_full(session=session, owner_id=owner_id, max_customers=max_customers)
    outcome = await inference.predict_or_none(
        ModelInput(values.gender, values.age, values.annual_income), token=token
    )
    segments = await catalogue.segments(token) if values.observed_score is not None else None
    async with _external_id_guard(session), _rolled_back_when_full(session):
        await customer_cap.make_room(
            session=session, owner_id=owner_id, adding=1, max_customers=max_customers
        )
        created = await customer_writes.create(
            session=session, owner_id=owner_id, values=values, outcome=outcome, segments=segments
        )
        await session.commit()
    return created


@contextlib.asynccontextmanager
async def _rolled_back_when_full(session: AsyncSession) -> AsyncIterator[None]:
    try:
        yield
    except CustomerLimitReached:
        await session.rollback()
        raise


@contextlib.asynccontextmanager
async def _external_id_guard(session: AsyncSession) -> AsyncIterator[None]:
    """The unique index on (owner, external id) refusing a write becomes ExternalIdTaken (409); a
    customer deleted while the write was on its way (its row gone: the UPDATE matches nothing, or the
    new prediction's foreign key finds no customer) becomes CustomerNotFound (404), not a 500."""
    try:
        yield
    except StaleDataError as exc:
        await session.rollback()
        raise CustomerNotFound from exc
    except (IntegrityError, asyncpg.UniqueViolationError) as exc:
        await session.rollback()
        if _EXTERNAL_ID_INDEX in str(getattr(exc, "orig", exc)):
            raise ExternalIdTaken from exc
        if _FOREIGN_KEY_VIOLATION in str(getattr(exc, "orig", exc)) or isinstance(
            exc.__cause__, asyncpg.ForeignKeyViolationError
        ):
            raise CustomerNotFound from exc
        raise


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
    if "income_amount" in sent:
        unit = await _unit_for(session, customer.owner_id, values.income_amount)
        sent["annual_income"] = model_income_of(sent["income_amount"], unit)
        sent.update(entered_income_columns(sent.pop("income_amount"), unit))
    elif "annual_income" in sent:  # entered in the model's unit: no amount of the store's is kept
        sent.update(entered_income_columns(None, MODEL_UNIT))
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
        customer_writes.update(session=session, customer=customer, changes=changes, prediction=prediction)
    latest = prediction or found.latest
    if observed_changed:
        prior = found.latest
        if prior is None or prior.status != PREDICTION_DONE:
            prior = await prediction_repository.latest_done(session=session, customer_id=customer.id)
        entry = customer_writes.observe(
            customer=customer, score=observed, prior=prior, latest=latest, segments=segments, now=utc_now()
        )
        customer.updated_at = entry.observed_at
        customer.observed_source = None if observed is None else "typed"  # wins until the next sales import
        session.add_all([customer, entry])
    elif income_moves_observed:
        customer_writes.assign_segment(customer=customer, segments=segments, latest=latest)
    if changes or observed_changed:
        async with _external_id_guard(session):
            await _refuse_when_binned(session, customer.id)
            await session.commit()
    return CustomerWithLatest(customer, latest)


async def _unit_for(session: AsyncSession, owner_id: uuid.UUID, amount: float | None) -> IncomeUnit:
    """The owner's income unit when an amount in it was sent (no query otherwise), read in a
    transaction that is over on return: inference may be called next."""
    if amount is None:
        return MODEL_UNIT
    unit = await store_settings_repository.unit_of(session=session, owner_id=owner_id)
    await session.commit()
    return unit


async def _refuse_when_binned(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """A customer moved into the recycle bin while the write was on its way: CustomerNotFound (404)."""
    if not await recycle_bin.still_live(session=session, customer_id=customer_id):
        await session.rollback()
        raise CustomerNotFound


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
    async with _external_id_guard(session):
        await _refuse_when_binned(session, customer.id)
        await session.commit()
    return prediction


async def delete_customer(*, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Move the customer into the recycle bin; CustomerNotFound when the owner has no such customer."""
    deleted = await recycle_bin.move_to_bin(session=session, owner_id=owner_id, ids=[customer_id])
    if deleted:
        await import_repository.forget_owner_uploads(session=session, owner_id=owner_id)
    await session.commit()
    if not deleted:
        raise CustomerNotFound


async def delete_owner_customers(*, session: AsyncSession, owner_id: uuid.UUID) -> None:
    """Everything a deleted account owned; nothing left is fine (idempotent)."""
    await customer_writes.delete_all_of_owner(session=session, owner_id=owner_id)
    await import_repository.forget_owner_uploads(session=session, owner_id=owner_id)
    await store_models.forget_owner(session=session, owner_id=owner_id)
    await store_settings_repository.forget_owner(session=session, owner_id=owner_id)
    await session.commit()


ImportMode = Literal["all", "partial"]


async def import_customers(
    *,
    session: AsyncSession,
    inference: InferenceClient,
    catalogue: SegmentCatalogue,
    owner_id: uuid.UUID,
    token: str,
    raw: bytes,
    filename: str | None,
    mode: ImportMode,
    language: Language,
    max_customers: int,
) -> ImportResult:
    """Store a file's customers: rows whose external id the owner already has update those customers.

    A new customer's observed score (a "Spending Score (1-100)" column) is stored as a create stores
    it; for customers found by external id, the file's observed score is not applied (PATCH it).

    ``all``: every row or none (ImportRejected lists every problem); ``partial``: the good rows, and
    the bad ones listed in the result. Scored by one batch call made with no transaction open; then
    the customers, their predictions (pending when inference could not answer) and the record of the
    upload commit in one transaction, so a crash leaves all of it or nothing. The same upload again
    within a day is answered with the first one's result.
    """
    unit = await store_settings_repository.unit_of(session=session, owner_id=owner_id)
    # The same bytes read in another income unit are another import.
    unit_key = b"" if unit.is_model_unit else repr(unit).encode() + b"\n"
    digest = hashlib.sha256(mode.encode() + b"\n" + unit_key + raw).hexdigest()
    repeated = await import_repository.result_of_recent(session=session, owner_id=owner_id, digest=digest)
    await session.commit()
    if repeated is not None:
        return await _replayed(ImportResult.model_validate_json(repeated), raw, filename, language, unit)
    parsed = await run_in_threadpool(
        read_customers_file, raw, filename=filename, language=language, unit=unit
    )
    if parsed.problems and mode == "all":
        raise ImportRejected(parsed.problems)
    if not parsed.rows:
        raise ImportRejected(parsed.problems)
    existing = await customer_reads.by_external_ids(
        session=session,
        owner_id=owner_id,
        external_ids=[row.values.external_id for row in parsed.rows if row.values.external_id is not None],
    )
    new_rows = [row.values for row in parsed.rows if row.values.external_id not in existing]
    if new_rows:
        count = await customer_reads.count_without_search(session=session, owner_id=owner_id)
        if count + len(new_rows) > max_customers:
            raise CustomerLimitReached(max_customers)
    await session.commit()
    changed = [
        (existing[row.values.external_id], row.values)
        for row in parsed.rows
        if row.values.external_id in existing
    ]
    to_score = [
        *new_rows,
        *(values for customer, values in changed if _model_fields_differ(customer, values)),
    ]
    outcomes: list[ModelOutput | None]
    try:
        outcomes = list(
            await inference.predict_batch(
                [ModelInput(values.gender, values.age, values.annual_income) for values in to_score],
                token=token,
            )
            if to_score
            else []
        )
    except (InferenceUnavailable, InferenceRejected):
        outcomes = [None] * len(to_score)
    created = list(zip(new_rows, outcomes[: len(new_rows)], strict=True))
    later_outcomes = iter(outcomes[len(new_rows) :])
    updated = [
        customer_import_writes.ImportedUpdate(
            customer_id=customer.id,
            values=values,
            predict=_model_fields_differ(customer, values),
            outcome=next(later_outcomes) if _model_fields_differ(customer, values) else None,
        )
        for customer, values in changed
    ]
    result = ImportResult(
        imported=len(created),
        updated=len(updated),
        pending_predictions=sum(1 for outcome in outcomes if outcome is None),
        rejected=parsed.problems,
    )
    segments = (
        await catalogue.segments(token)
        if any(values.observed_score is not None for values in new_rows)
        else None
    )
    records = await run_in_threadpool(
        customer_import_writes.import_records,
        owner_id=owner_id,
        created=created,
        updated=updated,
        segments=segments,
    )
    # The claim is the transaction's first statement: it opens the transaction the COPYs then join.
    if not await import_repository.claim(
        session=session, owner_id=owner_id, digest=digest, result=result.model_dump_json()
    ):
        await session.rollback()
        stored = await import_repository.result_of_recent(session=session, owner_id=owner_id, digest=digest)
        await session.commit()
        return ImportResult.model_validate_json(stored) if stored is not None else result
    async with _external_id_guard(session), _rolled_back_when_full(session):
        if records.customers:
            await customer_cap.make_room(
                session=session, owner_id=owner_id, adding=len(records.customers), max_customers=max_customers
            )
        await customer_import_writes.store_import(
            session=session, records=records, contact_columns=parsed.contact_columns
        )
        await session.commit()
    return result


async def _replayed(
    result: ImportResult, raw: bytes, filename: str | None, language: Language, unit: IncomeUnit
) -> ImportResult:
    """The first upload's result for the same file, its rejected rows told in this caller's language."""
    if not result.rejected:
        return result
    parsed = await run_in_threadpool(
        read_customers_file, raw, filename=filename, language=language, unit=unit
    )
    return result.model_copy(update={"rejected": parsed.problems})


def _model_fields_differ(customer: Customer, values: CustomerCreate) -> bool:
    return (customer.gender, customer.age, customer.annual_income) != (
        values.gender,
        values.age,
        values.annual_income,
    )
