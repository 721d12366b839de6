"""A customer's prediction history, and a fresh prediction on demand."""

from fastapi import APIRouter, status

from customers_service import prediction_repository
from customers_service.customer_repository import model_input_of, new_prediction, utc_now
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
    customer = found.customer
    model_input = model_input_of(customer)
    outcome = await inference.predict(model_input, token=owner.token)
    prediction = new_prediction(
        owner_id=owner.id, customer_id=customer.id, model_input=model_input, outcome=outcome, now=utc_now()
    )
    await prediction_repository.append(session=session, customer=customer, prediction=prediction)
    return prediction_read_of(prediction)
