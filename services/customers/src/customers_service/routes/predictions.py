"""A customer's prediction history, and a fresh prediction on demand."""

from fastapi import APIRouter, status

from customers_service import customers, prediction_repository
from customers_service.db import SessionDep
from customers_service.deps import InferenceDep, OwnerDep, ValidCustomer
from customers_service.schemas import PredictionRead, prediction_read_of

router = APIRouter(prefix="/customers/{customer_id}/predictions", tags=["predictions"])


@router.get("", response_model=list[PredictionRead])
async def prediction_history(
    found: ValidCustomer, owner: OwnerDep, session: SessionDep
) -> list[PredictionRead]:
    """Oldest first, for the evolution chart."""
    rows = await prediction_repository.history(
        session=session, owner_id=owner.id, customer_id=found.customer.id
    )
    return [prediction_read_of(row) for row in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PredictionRead,
    responses={503: {"description": "Inference is unavailable; retry after the Retry-After delay"}},
)
async def predict_again(
    found: ValidCustomer, owner: OwnerDep, session: SessionDep, inference: InferenceDep
) -> PredictionRead:
    """A new prediction with the current model (e.g. after a model upgrade); 503 while inference is down."""
    prediction = await customers.predict_again(
        session=session, inference=inference, token=owner.token, found=found
    )
    return prediction_read_of(prediction)
