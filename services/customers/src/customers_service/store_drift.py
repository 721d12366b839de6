"""The drift panel (issue 25): the store's ages and incomes against the global model's training
customers, the average error by month, and the plain-words confidence range of a coverage."""

import math
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from customers_service.store_schemas import (
    CoverageRead,
    DriftedFeature,
    DriftRead,
    HeldOutRead,
    MonthlyError,
    Quartiles,
)

MIN_COVERAGE_CLAIM = 100  # below this many scores, no store-level coverage claim
MONTHS = 12
Z95 = 1.959964


def wilson(covered: int, count: int) -> tuple[float, float]:
    """Wilson score interval (95%) of a share: sound at small n and near 0 or 1."""
    if count == 0:
        return 0.0, 1.0
    share = covered / count
    denominator = 1 + Z95**2 / count
    centre = (share + Z95**2 / (2 * count)) / denominator
    half = Z95 * math.sqrt(share * (1 - share) / count + Z95**2 / (4 * count**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def coverage(covered: int, count: int) -> CoverageRead:
    low, high = wilson(covered, count)
    return CoverageRead(
        covered=covered, share=covered / count if count else 0.0, low=round(low, 4), high=round(high, 4)
    )


def held_out_read(held_out: dict[str, Any] | None) -> HeldOutRead | None:
    if held_out is None:
        return None
    count = int(held_out["count"])
    return HeldOutRead(
        count=count,
        global_mae=held_out["global_mae"],
        store_mae=held_out["store_mae"],
        global_coverage=coverage(int(held_out["global_covered"]), count),
        store_coverage=coverage(int(held_out["store_covered"]), count),
        coverage_claim=count >= MIN_COVERAGE_CLAIM,
    )


def _quartiles(row: Any) -> Quartiles:
    count, mean, p25, median, p75 = row
    rounded = [None if value is None else round(float(value), 1) for value in (mean, p25, median, p75)]
    return Quartiles(count=int(count), mean=rounded[0], p25=rounded[1], median=rounded[2], p75=rounded[3])


async def drift(*, session: AsyncSession, owner_id: uuid.UUID, training: dict[str, Any] | None) -> DriftRead:
    features = {}
    for column in ("age", "annual_income"):
        row = (
            await session.execute(
                text(
                    f"SELECT count(*), avg({column}), "
                    f"percentile_cont(0.25) WITHIN GROUP (ORDER BY {column}), "
                    f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}), "
                    f"percentile_cont(0.75) WITHIN GROUP (ORDER BY {column}) "
                    "FROM customer WHERE owner_id = :owner_id"
                ),
                {"owner_id": owner_id},
            )
        ).one()
        trained = (training or {}).get(column)
        features[column] = DriftedFeature(
            store=_quartiles(row), training=Quartiles.model_validate(trained) if trained else None
        )
    months = await session.execute(
        text(
            "SELECT to_char(date_trunc('month', observed_at), 'YYYY-MM') AS month, count(*), "
            "avg(abs(observed_score - prior_score)) FROM customer "
            "WHERE owner_id = :owner_id AND observed_score IS NOT NULL AND prior_score IS NOT NULL "
            "GROUP BY 1 ORDER BY 1 DESC LIMIT :months"
        ),
        {"owner_id": owner_id, "months": MONTHS},
    )
    error_by_month = [
        MonthlyError(month=month, count=int(count), mean_absolute_error=round(float(error), 2))
        for month, count, error in months
    ]
    return DriftRead(
        age=features["age"], annual_income=features["annual_income"], error_by_month=error_by_month[::-1]
    )
