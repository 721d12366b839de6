"""The dashboard's sums, read from ``customer_aggregate`` (kept by triggers), and its scatter sample."""

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from customers_service.models import (
    Customer,
    CustomerAggregate,
)

AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0-17", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, 120),
)
HISTOGRAM_BUCKETS = 10
SCATTER_POINTS = 2000
MIN_OBSERVED_FOR_FIT = 20  # r2 and interval coverage need at least this many observed customers


@dataclass(frozen=True, slots=True)
class DashboardGroup:
    gender: str
    band: str | None
    segment: str | None
    bucket: int | None
    age_group: int
    count: int
    scored: int
    score_sum: float


async def dashboard_groups(*, session: AsyncSession, owner_id: uuid.UUID) -> list[DashboardGroup]:
    """The owner's sums by group from ``customer_aggregate`` (kept by triggers on ``customer``): a few
    hundred rows to add up whatever the owner's size, where a GROUP BY would read every customer."""
    groups = (
        col(CustomerAggregate.gender),
        col(CustomerAggregate.band),
        col(CustomerAggregate.segment),
        col(CustomerAggregate.bucket),
        col(CustomerAggregate.age_group),
    )
    statement = (
        select(
            *groups,
            func.sum(col(CustomerAggregate.customers)),
            func.sum(col(CustomerAggregate.scored)),
            func.sum(col(CustomerAggregate.score_sum)),
        )
        .where(col(CustomerAggregate.owner_id) == owner_id)
        .group_by(*groups)
        .having(func.sum(col(CustomerAggregate.customers)) != 0)
    )
    rows = (await session.execute(statement)).all()
    return [
        DashboardGroup(
            gender=row[0],
            band=row[1],
            segment=row[2],
            bucket=None if row[3] is None else min(int(row[3]), HISTOGRAM_BUCKETS - 1),
            age_group=int(row[4]),
            count=int(row[5]),
            scored=int(row[6]),
            score_sum=float(row[7]),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class ScatterRow:
    annual_income: float
    spending_score: float
    segment: str | None
    observed: bool


async def scatter_sample(
    *, session: AsyncSession, owner_id: uuid.UUID, limit: int = SCATTER_POINTS
) -> list[ScatterRow]:
    """Up to ``limit`` customers with a score (observed, else predicted): the first by id. Ids are random
    (uuid4), so this is a uniform sample, the same every time for the same customers, read from the
    (owner_id, id) index without sorting the owner's whole table."""
    score = func.coalesce(col(Customer.observed_score), col(Customer.latest_spending_score))
    rows = await session.execute(
        select(
            col(Customer.annual_income),
            score,
            col(Customer.latest_segment),
            col(Customer.observed_score).is_not(None),
        )
        .where(col(Customer.owner_id) == owner_id, score.is_not(None))
        .order_by(col(Customer.id))
        .limit(limit)
    )
    return [ScatterRow(float(row[0]), float(row[1]), row[2], bool(row[3])) for row in rows]


@dataclass(frozen=True, slots=True)
class AccuracySums:
    count: int
    absolute_error_sum: float
    squared_error_sum: float
    observed_sum: float
    observed_square_sum: float
    covered: int


async def accuracy_sums(*, session: AsyncSession, owner_id: uuid.UUID) -> AccuracySums:
    """Sums over the owner's customers with an observed score and a prediction made before it, from
    ``customer_aggregate``."""
    aggregate = CustomerAggregate
    row = (
        await session.execute(
            select(
                *(
                    func.coalesce(func.sum(col(column)), 0)
                    for column in (
                        aggregate.observed,
                        aggregate.absolute_error_sum,
                        aggregate.squared_error_sum,
                        aggregate.observed_sum,
                        aggregate.observed_square_sum,
                        aggregate.covered,
                    )
                )
            ).where(col(aggregate.owner_id) == owner_id)
        )
    ).one()
    return AccuracySums(int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4]), int(row[5]))
