"""Customers: create, list, read, update (with automatic re-prediction) and delete."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from customers_service import customer_repository, customers
from customers_service.db import SessionDep
from customers_service.deps import InferenceDep, OwnerDep, Search, SearchQuery, SettingsDep, ValidCustomer
from customers_service.schemas import (
    Band,
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    Gender,
    SortKey,
    customer_read_of,
)
from spendscore_common.params import Offset

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerRead)
async def create_customer(
    values: CustomerCreate,
    owner: OwnerDep,
    session: SessionDep,
    inference: InferenceDep,
    settings: SettingsDep,
) -> CustomerRead:
    """Store the customer and its first prediction (``pending`` when inference is down); 409 when the
    external id is taken or the owner has reached CUSTOMERS_MAX_PER_OWNER customers."""
    created = await customers.create_customer(
        session=session,
        inference=inference,
        owner_id=owner.id,
        token=owner.token,
        values=values,
        max_customers=settings.max_customers_per_owner,
    )
    return customer_read_of(created.customer, created.latest)


@router.get("", response_model=CustomerPage, dependencies=[Search])
async def list_customers(
    owner: OwnerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    q: SearchQuery = None,
    gender: Annotated[Gender | None, Query()] = None,
    band: Annotated[Band | None, Query(description="Band of the latest prediction")] = None,
    sort: Annotated[
        SortKey, Query(description="A leading - sorts descending; pending scores come last either way")
    ] = "-created_at",
) -> CustomerPage:
    rows, total = await customer_repository.list_page(
        session=session,
        owner_id=owner.id,
        limit=limit,
        offset=offset,
        sort=sort,
        q=q,
        gender=gender,
        band=band,
    )
    return CustomerPage(items=[customer_read_of(row.customer, row.latest) for row in rows], total=total)


@router.get("/{customer_id}", response_model=CustomerRead)
async def read_customer(found: ValidCustomer) -> CustomerRead:
    return customer_read_of(found.customer, found.latest)


@router.patch("/{customer_id}", response_model=CustomerRead)
async def update_customer(
    values: CustomerUpdate,
    found: ValidCustomer,
    owner: OwnerDep,
    session: SessionDep,
    inference: InferenceDep,
) -> CustomerRead:
    """Change some fields; a change of gender, age or income appends a new prediction to the history."""
    updated = await customers.update_customer(
        session=session, inference=inference, token=owner.token, found=found, values=values
    )
    return customer_read_of(updated.customer, updated.latest)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_customer(
    customer_id: Annotated[uuid.UUID, Path(description="The customer's id")],
    owner: OwnerDep,
    session: SessionDep,
) -> Response:
    """Delete the customer with its whole prediction history."""
    await customers.delete_customer(session=session, owner_id=owner.id, customer_id=customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
