"""The owner's dashboard: counts, bands, average, score histogram and age groups, all grouped in SQL."""

from fastapi import APIRouter

from customers_service.dashboard import owner_dashboard
from customers_service.db import SessionDep
from customers_service.deps import OwnerDep
from customers_service.schemas import Dashboard

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_model=Dashboard)
async def dashboard(owner: OwnerDep, session: SessionDep) -> Dashboard:
    """Scores are those of each customer's latest prediction; pending ones are counted apart."""
    return await owner_dashboard(session=session, owner_id=owner.id)
