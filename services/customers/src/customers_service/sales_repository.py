"""SQL about sales and the observed scores derived from them. Nothing here commits.

The derived score of a customer is the percentile (1-100) of the customer's spend over the 12 months
ending on the store's most recent sale, among the store's customers with sales in that window:
``ceil(100 * cume_dist())`` over the totals, so the biggest spender gets 100 and equal totals get equal
scores."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from customers_service.segment_catalogue import Segments

WINDOW = "12 months"


async def customers_by_names(
    *, session: AsyncSession, owner_id: uuid.UUID, names: Sequence[str]
) -> dict[str, list[uuid.UUID]]:
    """The owner's customers called exactly each of ``names``."""
    if not names:
        return {}
    rows = await session.execute(
        text(
            "SELECT name, id FROM customer WHERE owner_id = :owner_id AND name = ANY(:names) "
            "AND deleted_at IS NULL"
        ),
        {"owner_id": owner_id, "names": list(names)},
    )
    found: dict[str, list[uuid.UUID]] = {}
    for name, customer_id in rows:
        found.setdefault(name, []).append(customer_id)
    return found


async def insert_sales(
    *, session: AsyncSession, owner_id: uuid.UUID, sales: Sequence[tuple[uuid.UUID, date, Decimal]]
) -> None:
    await session.execute(
        text(
            "INSERT INTO sale (id, owner_id, customer_id, sold_on, amount) "
            "SELECT gen_random_uuid(), :owner_id, customer_id, sold_on, amount "
            "FROM unnest(CAST(:customer_ids AS uuid[]), CAST(:dates AS date[]), CAST(:amounts AS numeric[])) "
            "AS s(customer_id, sold_on, amount)"
        ),
        {
            "owner_id": owner_id,
            "customer_ids": [customer_id for customer_id, _, _ in sales],
            "dates": [sold_on for _, sold_on, _ in sales],
            "amounts": [amount for _, _, amount in sales],
        },
    )


@dataclass(frozen=True, slots=True)
class DerivedScore:
    customer_id: uuid.UUID
    score: int
    annual_income: float


async def derived_scores(*, session: AsyncSession, owner_id: uuid.UUID) -> list[DerivedScore]:
    rows = await session.execute(
        text(
            "WITH last AS (SELECT max(sold_on) AS day FROM sale WHERE owner_id = :owner_id), "
            "spend AS (SELECT sale.customer_id, sum(sale.amount) AS total FROM sale, last "
            f"  WHERE sale.owner_id = :owner_id AND sale.sold_on > last.day - interval '{WINDOW}' "
            # Customers in the recycle bin take no part in the store's percentiles.
            "  AND sale.customer_id IN "
            "    (SELECT id FROM customer WHERE owner_id = :owner_id AND deleted_at IS NULL) "
            "  GROUP BY sale.customer_id) "
            "SELECT spend.customer_id, CAST(ceil(100 * cume_dist() OVER (ORDER BY spend.total)) AS int), "
            "customer.annual_income FROM spend JOIN customer ON customer.id = spend.customer_id"
        ),
        {"owner_id": owner_id},
    )
    return [DerivedScore(customer_id, int(score), float(income)) for customer_id, score, income in rows]


async def store_derived_scores(
    *,
    session: AsyncSession,
    owner_id: uuid.UUID,
    scores: Sequence[DerivedScore],
    segments: Segments | None,
    now: datetime,
) -> None:
    """Each customer's derived score becomes its observed score (source ``sales``), with its history
    entry; the prediction it is compared with is the customer's latest finished one, and the segment
    is the nearest centroid of (income, score) when the segments are known."""
    if not scores:
        return
    ids = [score.customer_id for score in scores]
    values = [score.score for score in scores]
    nearest = [
        segments.nearest(score.annual_income, float(score.score))
        if segments is not None and segments.centroids
        else None
        for score in scores
    ]
    await session.execute(
        text(
            "UPDATE customer SET observed_score = d.score, observed_at = :now, observed_source = 'sales', "
            "prior_score = p.spending_score, prior_interval_low = p.interval_low, "
            "prior_interval_high = p.interval_high, updated_at = :now, "
            "latest_segment = COALESCE(d.segment, customer.latest_segment), "
            "latest_segment_probability = CASE WHEN d.segment IS NULL "
            "  THEN customer.latest_segment_probability END, "
            "segment_source = CASE WHEN d.segment IS NULL THEN customer.segment_source ELSE 'observed' END "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:scores AS int[]), CAST(:segments AS text[])) "
            "AS d(id, score, segment) "
            "LEFT JOIN prediction p "
            "ON p.id = (SELECT latest_prediction_id FROM customer c2 WHERE c2.id = d.id) "
            "AND p.status = 'done' "
            "WHERE customer.id = d.id AND customer.owner_id = :owner_id"
        ),
        {"ids": ids, "scores": values, "segments": nearest, "now": now, "owner_id": owner_id},
    )
    await session.execute(
        text(
            "INSERT INTO observed_score (id, owner_id, customer_id, score, observed_at, source) "
            "SELECT gen_random_uuid(), :owner_id, d.id, d.score, :now, 'sales' "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:scores AS int[])) AS d(id, score)"
        ),
        {"ids": ids, "scores": values, "now": now, "owner_id": owner_id},
    )


@dataclass(frozen=True, slots=True)
class SaleLine:
    sold_on: date
    amount: Decimal


async def of_customer(
    *, session: AsyncSession, owner_id: uuid.UUID, customer_id: uuid.UUID, limit: int
) -> list[SaleLine]:
    rows = await session.execute(
        text(
            "SELECT sold_on, amount FROM sale WHERE owner_id = :owner_id AND customer_id = :customer_id "
            "ORDER BY sold_on DESC, id LIMIT :limit"
        ),
        {"owner_id": owner_id, "customer_id": customer_id, "limit": limit},
    )
    return [SaleLine(sold_on, amount) for sold_on, amount in rows]


@dataclass(frozen=True, slots=True)
class ExportedSale:
    external_id: str | None
    name: str
    sold_on: date
    amount: Decimal


async def all_of_owner(*, session: AsyncSession, owner_id: uuid.UUID, limit: int) -> list[ExportedSale]:
    rows = await session.execute(
        text(
            "SELECT customer.external_id, customer.name, sale.sold_on, sale.amount FROM sale "
            "JOIN customer ON customer.id = sale.customer_id WHERE sale.owner_id = :owner_id "
            "AND customer.deleted_at IS NULL "
            "ORDER BY sale.sold_on, customer.name, sale.id LIMIT :limit"
        ),
        {"owner_id": owner_id, "limit": limit},
    )
    return [ExportedSale(*row) for row in rows]
