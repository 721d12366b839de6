"""The owner's dashboard: the SQL groups (a few hundred rows at most) folded into its numbers."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from customers_service import dashboard_repository
from customers_service.dashboard_repository import (
    AGE_GROUPS,
    HISTOGRAM_BUCKETS,
    MIN_OBSERVED_FOR_FIT,
    AccuracySums,
)
from customers_service.schemas import (
    Accuracy,
    AgeGroup,
    BandCounts,
    Dashboard,
    GenderCounts,
    HistogramBucket,
    LocalisedText,
    ScatterPoint,
    SegmentCount,
)
from customers_service.segment_catalogue import Segments


def accuracy_of(sums: AccuracySums) -> Accuracy:
    """MAE of observed vs the prediction made before; R² (1 - SSE / total sum of squares about the
    observed mean) and the share inside the 80% interval from ``MIN_OBSERVED_FOR_FIT`` customers on."""
    count = sums.count
    if count == 0:
        return Accuracy(observed_count=0, mae=None, r2=None, interval_coverage=None)
    total_squares = sums.observed_square_sum - sums.observed_sum**2 / count
    enough = count >= MIN_OBSERVED_FOR_FIT
    return Accuracy(
        observed_count=count,
        mae=round(sums.absolute_error_sum / count, 2),
        r2=round(1 - sums.squared_error_sum / total_squares, 4) if enough and total_squares > 0 else None,
        interval_coverage=round(sums.covered / count, 4) if enough else None,
    )


async def owner_dashboard(
    *, session: AsyncSession, owner_id: uuid.UUID, segments: Segments | None = None
) -> Dashboard:
    """Scores are those of each customer's latest prediction; pending ones are counted apart.
    ``segments`` names the segments (their ids stand in without it)."""
    groups = await dashboard_repository.dashboard_groups(session=session, owner_id=owner_id)
    scatter = await dashboard_repository.scatter_sample(session=session, owner_id=owner_id)
    sums = await dashboard_repository.accuracy_sums(session=session, owner_id=owner_id)
    segment_counts: dict[str, int] = {}
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
        if group.segment is not None:
            segment_counts[group.segment] = segment_counts.get(group.segment, 0) + group.count
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
        by_segment=[
            SegmentCount(
                id=segment,
                name=LocalisedText.model_validate((segments or Segments.unknown()).describe(segment)["name"]),
                count=count,
            )
            for segment, count in sorted(segment_counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        scatter=[
            ScatterPoint(
                annual_income=row.annual_income,
                spending_score=row.spending_score,
                segment=row.segment,
                observed=row.observed,
            )
            for row in scatter
        ],
        accuracy=accuracy_of(sums),
    )
