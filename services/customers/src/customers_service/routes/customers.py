"""Customers: create, list, read, update (with automatic re-prediction) and delete."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from customers_service import customer_repository
from customers_service.db import SessionDep
from customers_service.deps import InferenceDep, OwnerDep, ValidCustomer
from customers_service.errors import CustomerNotFound
from customers_service.inference_client import ModelInput
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

router = APIRouter(prefix="/customers", tags=["customers"])
_MODEL_FIELDS = frozenset({"gender", "age", "annual_income"})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerRead)
async def create_customer(
    values: CustomerCreate, owner: OwnerDep, session: SessionDep, inference: InferenceDep
) -> CustomerRead:
    """Store the customer and its first prediction (``pending`` when inference is down)."""
    outcome = await inference.predict_or_none(
        ModelInput(values.gender, values.age, values.annual_income), token=owner.token
    )
    created = await customer_repository.create(
        session=session, owner_id=owner.id, values=values, outcome=outcome
    )
    return customer_read_of(created.customer, created.latest)


@router.get("", response_model=CustomerPage)
async def list_customers(
    owner: OwnerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    q: Annotated[str | None, Query(max_length=200, description="Words the name starts with")] = None,
    gender: Annotated[Gender | None, Query()] = None,
    band: Annotated[Band | None, Query(description="Band of the latest prediction")] = None,
    sort: Annotated[SortKey, Query()] = "-created_at",
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
    customer = found.customer
    changes = {
        field: value
        for field, value in values.model_dump(exclude_unset=True).items()
        if getattr(customer, field) != value
    }
    prediction = None
    if changes.keys() & _MODEL_FIELDS:
        model_input = ModelInput(
            gender=changes.get("gender", customer.gender),
            age=changes.get("age", customer.age),
            annual_income=changes.get("annual_income", customer.annual_income),
        )
        outcome = await inference.predict_or_none(model_input, token=owner.token)
        prediction = customer_repository.new_prediction(
            owner_id=owner.id,
            customer_id=customer.id,
            model_input=model_input,
            outcome=outcome,
            now=customer_repository.utc_now(),
        )
    if changes:
        await customer_repository.update(
            session=session, customer=customer, changes=changes, prediction=prediction
        )
    return customer_read_of(customer, prediction or found.latest)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_customer(found: ValidCustomer, owner: OwnerDep, session: SessionDep) -> Response:
    """Delete the customer with its whole prediction history."""
    if not await customer_repository.delete_one(
        session=session, owner_id=owner.id, customer_id=found.customer.id
    ):
        raise CustomerNotFound
    return Response(status_code=status.HTTP_204_NO_CONTENT)
