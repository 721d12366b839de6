"""The owner's dashboard: counts, bands, average, score histogram and age groups, all grouped in SQL."""

from fastapi import APIRouter

from customers_service.dashboard import owner_dashboard
from customers_service.db import SessionDep
from customers_service.deps import CatalogueDep, OwnerDep
from customers_service.schemas import Dashboard

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_model=Dashboard)
async def dashboard(owner: OwnerDep, session: SessionDep, catalogue: CatalogueDep) -> Dashboard:
    """Scores are those of each customer's latest prediction; pending ones are counted apart. Adds the
    counts by segment, a scatter of at most 2,000 customers and the model's accuracy on observed scores."""
    segments = await catalogue.segments(owner.token)  # before any SQL: it may wait on inference
    return await owner_dashboard(session=session, owner_id=owner.id, segments=segments)
