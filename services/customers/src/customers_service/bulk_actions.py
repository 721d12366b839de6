"""Bulk actions on the owner's customers (the ticked rows, or all that match the filters): delete
into the recycle bin, restore from it, predict again. Each is one transaction: all or nothing."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from customers_service import (
    customer_cap,
    customer_reads,
    import_repository,
    prediction_repository,
    recycle_bin,
)
from customers_service.customer_reads import CustomerFilters
from customers_service.customer_writes import model_input_of, new_prediction, utc_now
from customers_service.errors import BulkTooLarge, CustomerLimitReached, CustomerNotFound
from customers_service.inference_client import InferenceClient
from customers_service.models import Customer
from customers_service.schemas import MAX_BULK_MATCHING, BulkResult, BulkSelection


async def selected_ids(
    *, session: AsyncSession, owner_id: uuid.UUID, selection: BulkSelection
) -> list[uuid.UUID]:
    """The owner's customers (outside the bin) the selection names. Every id given must be one
    (else CustomerNotFound: nothing is done); filters matching more than MAX_BULK_MATCHING: BulkTooLarge."""
    if selection.ids is not None:
        found = await customer_reads.matching_ids(
            session=session, owner_id=owner_id, ids=selection.ids, limit=len(selection.ids)
        )
        if len(found) != len(selection.ids):
            raise CustomerNotFound
        return list(selection.ids)
    filters = selection.filters
    assert filters is not None
    found = await customer_reads.matching_ids(
        session=session,
        owner_id=owner_id,
        filters=CustomerFilters(
            q=filters.q, gender=filters.gender, band=filters.band, segment=filters.segment
        ),
        limit=MAX_BULK_MATCHING + 1,
    )
    if len(found) > MAX_BULK_MATCHING:
        raise BulkTooLarge(MAX_BULK_MATCHING)
    return found


async def delete(*, session: AsyncSession, owner_id: uuid.UUID, selection: BulkSelection) -> BulkResult:
    ids = await selected_ids(session=session, owner_id=owner_id, selection=selection)
    moved = await recycle_bin.move_to_bin(session=session, owner_id=owner_id, ids=ids)
    if moved != len(ids):  # one was deleted by another request meanwhile: do nothing
        await session.rollback()
        raise CustomerNotFound
    await import_repository.forget_owner_uploads(session=session, owner_id=owner_id)
    await session.commit()
    return BulkResult(action="deleted", count=moved, ids=ids)


async def restore(
    *, session: AsyncSession, owner_id: uuid.UUID, ids: list[uuid.UUID], max_customers: int
) -> BulkResult:
    """Every id must be in the owner's bin (else CustomerNotFound, nothing restored), and the owner
    must stay within ``max_customers`` (else CustomerLimitReached)."""
    try:
        await customer_cap.make_room(
            session=session, owner_id=owner_id, adding=len(ids), max_customers=max_customers
        )
    except CustomerLimitReached:
        await session.rollback()
        raise
    restored = await recycle_bin.restore(session=session, owner_id=owner_id, ids=ids)
    if restored != len(ids):
        await session.rollback()
        raise CustomerNotFound
    await session.commit()
    return BulkResult(action="restored", count=restored, ids=ids)


async def predict_again(
    *,
    session: AsyncSession,
    inference: InferenceClient,
    token: str,
    owner_id: uuid.UUID,
    selection: BulkSelection,
    max_customers: int,
) -> BulkResult:
    """One batch to inference for the selected customers (at most ``max_customers``), then every new
    prediction stored at once; inference down: InferenceUnavailable (503) and nothing stored."""
    ids = await selected_ids(session=session, owner_id=owner_id, selection=selection)
    if len(ids) > max_customers:
        raise BulkTooLarge(max_customers)
    customers = list(
        await session.scalars(
            select(Customer).where(col(Customer.owner_id) == owner_id, col(Customer.id).in_(ids))
        )
    )
    await session.commit()  # no transaction open while inference answers
    outcomes = await inference.predict_batch(
        [model_input_of(customer) for customer in customers], token=token
    )
    now = utc_now()
    for customer, outcome in zip(customers, outcomes, strict=True):
        prediction = new_prediction(
            owner_id=owner_id,
            customer_id=customer.id,
            model_input=model_input_of(customer),
            outcome=outcome,
            now=now,
        )
        prediction_repository.append(session=session, customer=customer, prediction=prediction)
    await session.commit()
    return BulkResult(action="predicted", count=len(customers), ids=[customer.id for customer in customers])
