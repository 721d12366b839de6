"""Reading the owner's customers: one customer, the list's pages (filters, sorts, search), counts, the export.

Every function is filtered by the owner and returns rows, never HTTP errors."""

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Select, String, bindparam, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from customers_service.models import (
    Customer,
    CustomerAggregate,
    Prediction,
)
from customers_service.search_text import search_words

# Every column the list shows sorts on the server. The key's column when it is not the key itself:
# a band is a range of scores (low < medium < high), so it sorts by the score and needs no index.
_SORT_COLUMN_NAMES = {
    "name": "name",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "spending_score": "latest_spending_score",
    "band": "latest_spending_score",
    "age": "age",
    "annual_income": "annual_income",
    "gender": "gender",
    "segment": "latest_segment",
    "external_id": "external_id",
    "observed_score": "observed_score",
}
SORT_KEYS = frozenset(_SORT_COLUMN_NAMES)
_NULLABLE_SORT_KEYS = frozenset({"spending_score", "band", "segment", "external_id", "observed_score"})


@dataclass(frozen=True, slots=True)
class CustomerFilters:
    """What the list shows of the owner's customers: search words or an external id, and filters."""

    q: str | None = None
    gender: str | None = None
    band: str | None = None
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerWithLatest:
    customer: Customer
    latest: Prediction | None


def _order_by(sort: str, rows: Any = Customer) -> tuple[ColumnElement[Any], ...]:
    """``name`` / ``-name``...; customers without the value (a pending score, no segment, no external
    id, no observed score) come last in both directions; the id breaks ties, so pages never overlap.

    NULLS LAST only on the nullable columns: on the NOT NULL ones it would keep PostgreSQL from
    reading their indexes backwards. Each order has an index (models.py) that serves it.
    ``rows``: the customer table, or a CTE of its rows.
    """
    key = sort.lstrip("-")
    column = col(getattr(rows, _SORT_COLUMN_NAMES[key]))
    last = col(rows.id)
    if sort.startswith("-"):
        first = column.desc().nulls_last() if key in _NULLABLE_SORT_KEYS else column.desc()
        return first, last.desc()
    first = column.asc().nulls_last() if key in _NULLABLE_SORT_KEYS else column.asc()
    return first, last.asc()


def _latest_joined() -> Select[tuple[Customer, Prediction]]:
    return select(Customer, Prediction).outerjoin(
        Prediction, col(Prediction.id) == col(Customer.latest_prediction_id)
    )


# Built once, not per request: building it cost more than running it on the hottest read.
_OWNERS_CUSTOMER = _latest_joined().where(
    col(Customer.owner_id) == bindparam("owner_id"),
    col(Customer.id) == bindparam("customer_id"),
    col(Customer.deleted_at).is_(None),
)


async def get(
    *, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerWithLatest | None:
    row = (
        await session.execute(_OWNERS_CUSTOMER, {"owner_id": owner_id, "customer_id": customer_id})
    ).first()
    return None if row is None else CustomerWithLatest(row[0], row[1])


def _search_matches(q: str) -> ColumnElement[bool]:
    """Every word of ``q`` starts a word of the name (accents, case and punctuation ignored, by the
    normalised ``search_name`` and its full-text index), or ``q`` is the external id exactly."""
    external_id_matches = col(Customer.external_id) == q.strip()
    words = search_words(q)
    if not words:
        return external_id_matches
    query = " & ".join(f"'{word}':*" for word in words)
    name_matches = text(
        "to_tsvector('simple'::regconfig, customer.search_name) @@ to_tsquery('simple'::regconfig, :q)"
    ).bindparams(q=query)
    return or_(name_matches, external_id_matches)


def _conditions(
    *, owner_id: uuid.UUID, filters: CustomerFilters, ids: Sequence[uuid.UUID] | None = None
) -> list[ColumnElement[bool]]:
    """The owner's customers that match the list's search and filters (each when given), among ``ids``
    when given."""
    # Customers in the recycle bin are nowhere but in the bin's own list.
    conditions: list[ColumnElement[bool]] = [
        col(Customer.owner_id) == owner_id,
        col(Customer.deleted_at).is_(None),
    ]
    if filters.q is not None and filters.q.strip():
        conditions.append(_search_matches(filters.q))
    if filters.gender is not None:
        conditions.append(col(Customer.gender) == filters.gender)
    if filters.band is not None:
        conditions.append(col(Customer.latest_band) == filters.band)
    if filters.segment is not None:
        conditions.append(col(Customer.latest_segment) == filters.segment)
    if ids is not None:
        conditions.append(col(Customer.id).in_(list(ids)))
    return conditions


async def matching_ids(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    filters: CustomerFilters | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    limit: int,
) -> list[uuid.UUID]:
    """Ids of the owner's customers (outside the bin) that the filters give, among ``ids`` when given;
    at most ``limit`` of them (ask for one more than allowed to know that there are too many)."""
    rows = await session.scalars(
        select(col(Customer.id))
        .where(*_conditions(owner_id=owner_id, filters=filters or CustomerFilters(), ids=ids))
        .limit(limit)
    )
    return list(rows)


async def list_page(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    limit: int,
    offset: int,
    sort: str,
    filters: CustomerFilters | None = None,
) -> tuple[list[CustomerWithLatest], int]:
    filters = filters or CustomerFilters()
    conditions = _conditions(owner_id=owner_id, filters=filters)
    # The page first, then the latest predictions of those rows only: joining before OFFSET would
    # look up the prediction of every skipped row too.
    if filters.q is not None and filters.q.strip():
        # The matches by the full-text index, counted and ordered: a cost that grows with the matches
        # only. Walking the sort index and testing each row (the planner's choice when it guesses
        # that many match) tests every row before the first match: 0.3 to 0.7 s at 100,000
        # customers for a name nobody has, or for "joao" sorted by name.
        matches = select(Customer).where(*conditions).cte("matches").prefix_with("MATERIALIZED")
        found = aliased(Customer, matches)
        rows = (
            await session.execute(
                select(found, func.count().over())
                .order_by(*_order_by(sort, found))
                .limit(limit)
                .offset(offset)
            )
        ).all()
        customers = [row[0] for row in rows]
        if rows:
            total = int(rows[0][1])
        else:
            count_query = select(func.count()).select_from(Customer).where(*conditions)
            total = int((await session.execute(count_query)).scalar_one())
    else:
        customers = list(
            await session.scalars(
                select(Customer).where(*conditions).order_by(*_order_by(sort)).limit(limit).offset(offset)
            )
        )
        total = await count_without_search(
            session=session,
            owner_id=owner_id,
            gender=filters.gender,
            band=filters.band,
            segment=filters.segment,
        )
    latest_ids = [customer.latest_prediction_id for customer in customers if customer.latest_prediction_id]
    latest: dict[uuid.UUID, Prediction] = {}
    if latest_ids:
        predictions = await session.scalars(select(Prediction).where(col(Prediction.id).in_(latest_ids)))
        latest = {prediction.id: prediction for prediction in predictions}
    page = [
        CustomerWithLatest(
            customer, latest.get(customer.latest_prediction_id) if customer.latest_prediction_id else None
        )
        for customer in customers
    ]
    return page, total


async def by_external_ids(
    *, session: AsyncSession, owner_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, Customer]:
    if not external_ids:
        return {}
    rows = await session.scalars(
        select(Customer).where(
            col(Customer.owner_id) == owner_id,
            col(Customer.external_id) == func.any(bindparam("ids", list(external_ids), type_=ARRAY(String))),
            # A binned customer's external id stays reserved: an import's row naming it is refused
            # (409 by the unique index), not written into the bin.
            col(Customer.deleted_at).is_(None),
        )
    )
    return {customer.external_id: customer for customer in rows if customer.external_id is not None}


async def count_without_search(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    gender: str | None = None,
    band: str | None = None,
    segment: str | None = None,
) -> int:
    """How many of the owner's customers have this gender, band and segment (each when given), from
    ``customer_aggregate``: the same figure as a count(*), without reading the customers."""
    conditions = [col(CustomerAggregate.owner_id) == owner_id]
    if gender is not None:
        conditions.append(col(CustomerAggregate.gender) == gender)
    if band is not None:
        conditions.append(col(CustomerAggregate.band) == band)
    if segment is not None:
        conditions.append(col(CustomerAggregate.segment) == segment)
    total = await session.scalar(
        select(func.coalesce(func.sum(col(CustomerAggregate.customers)), 0)).where(*conditions)
    )
    return int(total or 0)


async def stream_for_export(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    chunk_size: int = 2000,
    sort: str | None = None,
    filters: CustomerFilters | None = None,
    ids: Sequence[uuid.UUID] | None = None,
) -> AsyncIterator[Sequence[Any]]:
    """The owner's customers that the list's search and filters give (all without them; among ``ids``
    when given), with their latest prediction, in the list's ``sort`` (by name then id without one),
    chunk by chunk: external_id, name, gender, age, annual_income, score, band, interval low, high,
    model version, predicted at (None while pending), segment, observed score, phone, e-mail."""
    order = _order_by(sort) if sort is not None else (col(Customer.name), col(Customer.id))
    statement = (
        select(
            col(Customer.external_id),
            col(Customer.name),
            col(Customer.gender),
            col(Customer.age),
            col(Customer.annual_income),
            col(Customer.latest_spending_score),
            col(Customer.latest_band),
            col(Prediction.interval_low),
            col(Prediction.interval_high),
            col(Prediction.model_version),
            col(Prediction.completed_at),
            col(Customer.latest_segment),
            col(Customer.observed_score),
            col(Customer.phone),
            col(Customer.email),
        )
        .outerjoin(Prediction, col(Prediction.id) == col(Customer.latest_prediction_id))
        .where(*_conditions(owner_id=owner_id, filters=filters or CustomerFilters(), ids=ids))
        .order_by(*order)
        .execution_options(yield_per=chunk_size)
    )
    result = await session.stream(statement)
    async for partition in result.partitions(chunk_size):
        yield partition
