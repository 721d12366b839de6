"""POST /model/predict and /model/predict/batch."""

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from inference_service.columnar import (
    ColumnError,
    FeatureColumns,
    PredictionColumnsResponse,
    TooManyRows,
    columns_answer,
    feature_matrix,
)
from inference_service.predictor import SpendingScorePredictor
from inference_service.request_bodies import documented_body, validated_body
from inference_service.schemas import BatchRequest, BatchResponse, CustomerFeatures, Prediction
from spendscore_common.responses import PrebuiltJSONResponse
from spendscore_common.security import CurrentPrincipal

router = APIRouter(prefix="/model", tags=["predictions"])
# Below this many rows the work takes well under a millisecond: a thread hop would cost more.
THREAD_FROM_ROWS = 200


def _predictor(request: Request) -> SpendingScorePredictor:
    predictor: SpendingScorePredictor = request.app.state.predictor
    return predictor


def _predict(predictor: SpendingScorePredictor, items: list[CustomerFeatures]) -> list[dict[str, Any]]:
    return predictor.predict(predictor.to_matrix(items))


@router.post(
    "/predict",
    response_model=Prediction,
    summary="Spending score of one customer",
    openapi_extra=documented_body(CustomerFeatures),
)
async def predict_one(request: Request, _: CurrentPrincipal) -> PrebuiltJSONResponse:
    features = await validated_body(request, CustomerFeatures)
    # The predictor builds exactly the Prediction shape: serialised once, not validated again.
    return PrebuiltJSONResponse(_predictor(request).predict_one(features))


@router.post(
    "/predict/batch",
    response_model=BatchResponse,
    summary="Spending scores of 1 to 10,000 customers, in the order given",
    responses={413: {"description": "more than 10,000 items or a body that is too large"}},
    openapi_extra=documented_body(BatchRequest),
)
async def predict_batch(request: Request, _: CurrentPrincipal) -> PrebuiltJSONResponse:
    batch = await validated_body(request, BatchRequest)
    predictor = _predictor(request)
    if len(batch.items) < THREAD_FROM_ROWS:
        return PrebuiltJSONResponse({"predictions": _predict(predictor, batch.items)})
    return PrebuiltJSONResponse({"predictions": await run_in_threadpool(_predict, predictor, batch.items)})


@router.post(
    "/predict/columns",
    response_model=PredictionColumnsResponse,
    summary="Spending scores of 1 to 10,000 customers, one array per field in and out",
    responses={413: {"description": "more than 10,000 rows or a body that is too large"}},
    openapi_extra=documented_body(FeatureColumns),
)
async def predict_columns(request: Request, _: CurrentPrincipal) -> PrebuiltJSONResponse:
    columns = await validated_body(request, FeatureColumns)
    predictor = _predictor(request)
    try:
        features = feature_matrix(columns.gender, columns.age, columns.annual_income)
    except ColumnError as exc:
        loc = ("body", exc.column) if exc.row is None else ("body", exc.column, exc.row)
        raise RequestValidationError([{"type": "value_error", "loc": loc, "msg": exc.message}]) from None
    except TooManyRows as exc:
        return PrebuiltJSONResponse({"detail": str(exc)}, status_code=status.HTTP_413_CONTENT_TOO_LARGE)
    if len(features) < THREAD_FROM_ROWS:
        answers = predictor.predict_columns(features)
    else:
        answers = await run_in_threadpool(predictor.predict_columns, features)
    return PrebuiltJSONResponse(columns_answer(predictor, answers))
