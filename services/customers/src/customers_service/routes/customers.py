"""Customers: create, list, read, update (with automatic re-prediction) and delete."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from customers_service import customer_reads, customers, prediction_repository
from customers_service.db import SessionDep
from customers_service.deps import (
    CatalogueDep,
    FiltersDep,
    InferenceDep,
    OwnerDep,
    Search,
    SettingsDep,
    ValidCustomer,
)
from customers_service.schemas import (
    CustomerCreateRequest,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    ObservedScoreRead,
    SortKey,
    customer_read_of,
)
from spendscore_common.params import Offset

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerRead)
async def create_customer(
    values: CustomerCreateRequest,
    owner: OwnerDep,
    session: SessionDep,
    inference: InferenceDep,
    settings: SettingsDep,
    catalogue: CatalogueDep,
) -> CustomerRead:
    """Store the customer and its first prediction (``pending`` when inference is down); 409 when the
    external id is taken or the owner has reached CUSTOMERS_MAX_PER_OWNER customers."""
    created = await customers.create_customer(
        session=session,
        inference=inference,
        owner_id=owner.id,
        token=owner.token,
        request=values,
        max_customers=settings.max_customers_per_owner,
        catalogue=catalogue,
    )
    return customer_read_of(created.customer, created.latest, await catalogue.segments(owner.token))


@router.get("", response_model=CustomerPage, dependencies=[Search])
async def list_customers(
    owner: OwnerDep,
    session: SessionDep,
    catalogue: CatalogueDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    sort: Annotated[
        SortKey,
        Query(description="A leading - sorts descending; missing values come last either way"),
    ] = "-created_at",
) -> CustomerPage:
    # Before any SQL: a refresh of the segment names may wait on inference.
    segments = await catalogue.segments(owner.token)
    rows, total = await customer_reads.list_page(
        session=session, owner_id=owner.id, limit=limit, offset=offset, sort=sort, filters=filters
    )
    return CustomerPage(
        items=[customer_read_of(row.customer, row.latest, segments) for row in rows], total=total
    )


@router.get("/{customer_id}", response_model=CustomerRead)
async def read_customer(found: ValidCustomer, owner: OwnerDep, catalogue: CatalogueDep) -> CustomerRead:
    return customer_read_of(found.customer, found.latest, await catalogue.segments(owner.token))


@router.get("/{customer_id}/observed-scores", response_model=list[ObservedScoreRead])
async def observed_score_history(
    found: ValidCustomer, owner: OwnerDep, session: SessionDep
) -> list[ObservedScoreRead]:
    """The real scores the owner entered, oldest first (a null score: cleared then)."""
    rows = await prediction_repository.observed_history(
        session=session, owner_id=owner.id, customer_id=found.customer.id
    )
    return [
        ObservedScoreRead(score=row.score, observed_at=row.observed_at, source=row.source)
        for row in rows
        if row.observed_at
    ]


@router.patch("/{customer_id}", response_model=CustomerRead)
async def update_customer(
    values: CustomerUpdate,
    found: ValidCustomer,
    owner: OwnerDep,
    session: SessionDep,
    inference: InferenceDep,
    catalogue: CatalogueDep,
) -> CustomerRead:
    """Change some fields; a change of gender, age or income appends a new prediction to the history;
    ``observed_score`` (null clears it) is kept with its time in the observed-score history."""
    updated = await customers.update_customer(
        session=session,
        inference=inference,
        token=owner.token,
        found=found,
        values=values,
        catalogue=catalogue,
    )
    return customer_read_of(updated.customer, updated.latest, await catalogue.segments(owner.token))


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_customer(
    customer_id: Annotated[uuid.UUID, Path(description="The customer's id")],
    owner: OwnerDep,
    session: SessionDep,
) -> Response:
    """Delete the customer with its whole prediction history."""
    await customers.delete_customer(session=session, owner_id=owner.id, customer_id=customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
