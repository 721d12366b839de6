"""The store's own model (issue 25): its state and held-out figures, a refit, and the drift panel."""

from fastapi import APIRouter, Request

from customers_service import store_drift, store_models
from customers_service.db import SessionDep
from customers_service.deps import InferenceDep, OwnerDep
from customers_service.inference_client import InferenceUnavailable
from customers_service.models import StoreModel
from customers_service.store_schemas import DriftRead, StoreModelRead

router = APIRouter(prefix="/store-model", tags=["store model"])


@router.get("", response_model=StoreModelRead)
async def read_store_model(owner: OwnerDep, session: SessionDep) -> StoreModelRead:
    """Whether the store's correction answers (and why), its held-out figures against the global
    model's, and the progress of re-scoring the customers with it."""
    stored = await session.get(StoreModel, owner.id)
    behind = await store_models.behind_count(session=session, owner_id=owner.id) if stored else 0
    return store_models.status_of(stored, behind)


@router.post("/fit", response_model=StoreModelRead)
async def fit_store_model(
    request: Request, owner: OwnerDep, session: SessionDep, inference: InferenceDep
) -> StoreModelRead:
    """Fit the correction again from the observed scores now; 503 while inference is down."""
    await session.commit()
    stored = await store_models.refit(
        sessionmaker=request.app.state.sessionmaker, inference=inference, owner_id=owner.id, token=owner.token
    )
    behind = await store_models.behind_count(session=session, owner_id=owner.id)
    return store_models.status_of(stored, behind)


@router.get("/drift", response_model=DriftRead)
async def drift(owner: OwnerDep, session: SessionDep, inference: InferenceDep) -> DriftRead:
    """The store's ages and incomes against the training customers', and the average error by month."""
    try:
        card = await inference.model_card(token=owner.token)
    except InferenceUnavailable:
        card = {}
    return await store_drift.drift(
        session=session, owner_id=owner.id, training=card.get("training_distribution")
    )
