"""The owner's dashboard: the SQL groups (a few hundred rows at most) folded into its numbers."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from customers_service import customer_repository
from customers_service.customer_repository import AGE_GROUPS, HISTOGRAM_BUCKETS
from customers_service.schemas import AgeGroup, BandCounts, Dashboard, GenderCounts, HistogramBucket


async def owner_dashboard(*, session: AsyncSession, owner_id: uuid.UUID) -> Dashboard:
    """Scores are those of each customer's latest prediction; pending ones are counted apart."""
    groups = await customer_repository.dashboard_groups(session=session, owner_id=owner_id)
    genders = {"male": 0, "female": 0}
    bands = {"low": 0, "medium": 0, "high": 0}
    histogram = [0] * HISTOGRAM_BUCKETS
    age_counts = [0] * len(AGE_GROUPS)
    age_scored = [0] * len(AGE_GROUPS)
    age_score_sums = [0.0] * len(AGE_GROUPS)
    total = scored = pending = 0
    score_sum = 0.0
    for group in groups:
        total += group.count
        genders[group.gender] += group.count
        if group.band is None:
            pending += group.count
        else:
            bands[group.band] += group.count
        if group.bucket is not None:
            histogram[group.bucket] += group.count
        age_counts[group.age_group] += group.count
        age_scored[group.age_group] += group.scored
        age_score_sums[group.age_group] += group.score_sum
        scored += group.scored
        score_sum += group.score_sum
    return Dashboard(
        total_customers=total,
        by_gender=GenderCounts(**genders),
        by_band=BandCounts(**bands),
        pending_predictions=pending,
        average_score=round(score_sum / scored, 2) if scored else None,
        score_histogram=[
            HistogramBucket(from_=index * 10, to=index * 10 + 10, count=count)
            for index, count in enumerate(histogram)
        ],
        by_age_group=[
            AgeGroup(
                group=label,
                count=age_counts[index],
                average_score=round(age_score_sums[index] / age_scored[index], 2)
                if age_scored[index]
                else None,
            )
            for index, (label, _, _) in enumerate(AGE_GROUPS)
        ],
    )
