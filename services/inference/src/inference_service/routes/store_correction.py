"""POST /model/store-correction: a store's correction fitted from its (prediction, observed) pairs,
statelessly (the customers service keeps it per owner)."""

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from inference_service.predictor import SpendingScorePredictor
from inference_service.store_model_schemas import StoreCorrectionRequest, StoreCorrectionResponse
from inference_service.store_models import MIN_PAIRS, IncomeScaled, Pairs, at_income_scales, fit_store_model
from spendscore_common.security import CurrentPrincipal

INCOME_COLUMN = 2  # of SpendingScorePredictor.to_matrix's rows: gender code, age, annual income

router = APIRouter(prefix="/model", tags=["store correction"])


def _income_scaled(
    request_body: StoreCorrectionRequest, predictor: SpendingScorePredictor
) -> IncomeScaled | None:
    """The global model's answers at every income scale, when every pair carries its customer."""
    customers = [pair.customer for pair in request_body.pairs if pair.customer is not None]
    if not customers or len(customers) < len(request_body.pairs):
        return None
    return at_income_scales(predictor.to_matrix(customers), predictor.scores_and_intervals, INCOME_COLUMN)


def _fit(request_body: StoreCorrectionRequest, predictor: SpendingScorePredictor) -> StoreCorrectionResponse:
    pairs = Pairs(
        predicted=np.array([pair.predicted for pair in request_body.pairs]),
        observed=np.array([pair.observed for pair in request_body.pairs]),
        low=np.array([pair.interval_low for pair in request_body.pairs]),
        high=np.array([pair.interval_high for pair in request_body.pairs]),
        income_scaled=_income_scaled(request_body, predictor),
    )
    model_version = str(predictor.version)
    fit = fit_store_model(pairs, model_version=model_version)
    return StoreCorrectionResponse.model_validate(
        {**fit.as_dict(), "model_version": model_version, "min_pairs": MIN_PAIRS}
    )


@router.post(
    "/store-correction",
    response_model=StoreCorrectionResponse,
    summary="Fit a store's correction of the global model from its observed scores (stateless)",
)
async def fit_store_correction(
    body: StoreCorrectionRequest, request: Request, _: CurrentPrincipal
) -> StoreCorrectionResponse:
    return await run_in_threadpool(_fit, body, request.app.state.predictor)
