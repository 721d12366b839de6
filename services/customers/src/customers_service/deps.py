"""Request dependencies: the owner behind the token, and the owner's customer named in the path."""

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError

from customers_service import customer_reads
from customers_service.config import CustomersSettings
from customers_service.customer_reads import CustomerFilters, CustomerWithLatest
from customers_service.db import SessionDep
from customers_service.errors import CustomerNotFound, NotAnOwner
from customers_service.import_capacity import ImportCapacity
from customers_service.inference_client import InferenceClient
from customers_service.owner_limits import ExpensiveCallLimit
from customers_service.schemas import Band, Gender, SegmentId
from customers_service.search_text import search_words
from customers_service.segment_catalogue import SegmentCatalogue
from spendscore_common.database import read_without_transaction
from spendscore_common.security import CurrentPrincipal


@dataclass(frozen=True, slots=True)
class Owner:
    """The store owner making the request, and their token (forwarded to inference)."""

    id: uuid.UUID
    token: str


async def current_owner(request: Request, principal: CurrentPrincipal) -> Owner:
    try:
        owner_id = uuid.UUID(principal.user_id)
    except ValueError as exc:
        raise NotAnOwner from exc
    # The principal exists, so the header held a verified bearer token.
    token = request.headers["authorization"].split(" ", 1)[1].strip()
    return Owner(id=owner_id, token=token)


OwnerDep = Annotated[Owner, Depends(current_owner)]


async def expensive_call_slot(request: Request, owner: OwnerDep) -> AsyncIterator[None]:
    """One of the owner's slots for an import or export, held until the response is sent (a streamed
    export included); 429 when the owner already runs as many as allowed, on any replica."""
    limit: ExpensiveCallLimit = request.app.state.expensive_calls
    async with limit.slot(owner.id):
        yield


async def search_slot(request: Request, owner: OwnerDep) -> AsyncIterator[None]:
    """Like ``expensive_call_slot`` for a list with a search (``q``); a plain list takes no slot."""
    if not request.query_params.get("q"):
        yield
        return
    limit: ExpensiveCallLimit = request.app.state.expensive_calls
    async with limit.slot(owner.id):
        yield


async def import_slot(request: Request) -> AsyncIterator[None]:
    """One of the process's import slots (all owners together), held until the import answers."""
    capacity: ImportCapacity = request.app.state.import_capacity
    with capacity.slot():
        yield


ExpensiveCall = Depends(expensive_call_slot)
ImportWork = Depends(import_slot)
Search = Depends(search_slot)


async def inference_client(request: Request) -> InferenceClient:
    client: InferenceClient = request.app.state.inference
    return client


InferenceDep = Annotated[InferenceClient, Depends(inference_client)]


async def segment_catalogue(request: Request) -> SegmentCatalogue:
    catalogue: SegmentCatalogue = request.app.state.segment_catalogue
    return catalogue


CatalogueDep = Annotated[SegmentCatalogue, Depends(segment_catalogue)]


async def service_settings(request: Request) -> CustomersSettings:
    settings: CustomersSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[CustomersSettings, Depends(service_settings)]


async def valid_customer(
    customer_id: Annotated[uuid.UUID, Path(description="The customer's id")],
    owner: OwnerDep,
    session: SessionDep,
) -> CustomerWithLatest:
    """The owner's customer, or 404 (another owner's customer is not found either)."""
    # One statement outside a transaction, which is over on return: routes may then wait seconds on
    # inference, and must not hold a pooled connection meanwhile (the session keeps the loaded rows:
    # expire_on_commit=False).
    found = await read_without_transaction(
        session,
        functools.partial(customer_reads.get, session=session, owner_id=owner.id, customer_id=customer_id),
    )
    if found is None:
        raise CustomerNotFound
    return found


ValidCustomer = Annotated[CustomerWithLatest, Depends(valid_customer)]


MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 8


async def search_query(
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH_LENGTH,
            description=(
                "Words the name's words start with (accents, case and punctuation ignored), "
                f"at most {MAX_SEARCH_WORDS}; or an external id, exactly"
            ),
        ),
    ] = None,
) -> str | None:
    """``q`` bounded so that no search costs much: at most MAX_SEARCH_WORDS words, no NUL."""
    if q is None or not q.strip():
        return None
    problem = None
    if "\x00" in q:
        problem = "must not contain a NUL character"
    elif len(search_words(q)) > MAX_SEARCH_WORDS:
        problem = f"at most {MAX_SEARCH_WORDS} words"
    if problem is not None:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "q"),
                    "msg": f"Value error, {problem}",
                    "input": q[:100],
                }
            ]
        )
    return q


SearchQuery = Annotated[str | None, Depends(search_query)]


async def customer_filters(
    q: SearchQuery,
    gender: Annotated[Gender | None, Query()] = None,
    band: Annotated[Band | None, Query(description="Band of the latest prediction")] = None,
    segment: Annotated[
        SegmentId | None, Query(description='Segment id, e.g. "high-income-high-spending"')
    ] = None,
) -> CustomerFilters:
    """The list's search and filters, the same on the list, the export and the bulk actions."""
    return CustomerFilters(q=q, gender=gender, band=band, segment=segment)


FiltersDep = Annotated[CustomerFilters, Depends(customer_filters)]
