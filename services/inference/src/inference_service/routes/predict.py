"""POST /model/predict and /model/predict/batch."""

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from inference_service.batch_items import plain_batch_features
from inference_service.columnar import (
    ColumnError,
    FeatureColumns,
    PredictionColumnsResponse,
    TooManyRows,
    columns_answer,
    feature_matrix,
)
from inference_service.explanations import FEATURES, ShapleyExplainer
from inference_service.predictor import SpendingScorePredictor
from inference_service.request_bodies import documented_body, validated_body
from inference_service.schemas import BatchRequest, BatchResponse, CustomerFeatures, Prediction
from spendscore_common.plain_routes import PlainAPIRoute
from spendscore_common.responses import PrebuiltJSONResponse
from spendscore_common.security import CurrentPrincipal

router = APIRouter(prefix="/model", tags=["predictions"], route_class=PlainAPIRoute)
# Below this many rows the work takes well under a millisecond: a thread hop would cost more.
THREAD_FROM_ROWS = 200

Explain = Annotated[
    bool,
    Query(
        description="Also answer `explanation`: each input's exact Shapley contribution to the score "
        "(they add up to the score minus the training data's average score). Off by default: it costs "
        "a few hundred model evaluations per customer."
    ),
]


def _predictor(request: Request) -> SpendingScorePredictor:
    predictor: SpendingScorePredictor = request.app.state.predictor
    return predictor


def _explainer(request: Request) -> ShapleyExplainer:
    explainer: ShapleyExplainer | None = getattr(request.app.state, "explainer", None)
    if explainer is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "explanations are unavailable: the model's training data is not on this server",
            headers={"Retry-After": "300"},
        )
    return explainer


def _predict_and_explain(
    predictor: SpendingScorePredictor, explainer: ShapleyExplainer, features: np.ndarray
) -> list[dict[str, Any]]:
    return [
        {**prediction, "explanation": explanation}
        for prediction, explanation in zip(
            predictor.predict(features), explainer.explanation_dicts(features), strict=True
        )
    ]


@router.post(
    "/predict",
    response_model=Prediction,
    summary="Spending score of one customer",
    openapi_extra=documented_body(CustomerFeatures),
)
async def predict_one(
    request: Request, _: CurrentPrincipal, explain: Explain = False
) -> PrebuiltJSONResponse:
    features = await validated_body(request, CustomerFeatures)
    predictor = _predictor(request)
    if explain:
        # A few hundred model evaluations even for one row: in a thread, off the event loop.
        matrix = predictor.to_matrix([features])
        explained = await run_in_threadpool(_predict_and_explain, predictor, _explainer(request), matrix)
        return PrebuiltJSONResponse(explained[0])
    # The predictor builds exactly the Prediction shape: serialised once, not validated again.
    return PrebuiltJSONResponse(predictor.predict_one(features))


@router.post(
    "/predict/batch",
    response_model=BatchResponse,
    summary="Spending scores of 1 to 10,000 customers, in the order given",
    responses={413: {"description": "more than 10,000 items or a body that is too large"}},
    openapi_extra=documented_body(BatchRequest),
)
async def predict_batch(
    request: Request, _: CurrentPrincipal, explain: Explain = False
) -> PrebuiltJSONResponse:
    predictor = _predictor(request)
    features = plain_batch_features(await request.body())
    if features is None:  # anything but plainly valid items: BatchRequest's own checks and errors
        features = predictor.to_matrix((await validated_body(request, BatchRequest)).items)
    if explain:
        explainer = _explainer(request)
        predictions = await run_in_threadpool(_predict_and_explain, predictor, explainer, features)
        return PrebuiltJSONResponse({"predictions": predictions})
    if len(features) < THREAD_FROM_ROWS:
        return PrebuiltJSONResponse({"predictions": predictor.predict(features)})
    return PrebuiltJSONResponse({"predictions": await run_in_threadpool(predictor.predict, features)})


@router.post(
    "/predict/columns",
    response_model=PredictionColumnsResponse,
    summary="Spending scores of 1 to 10,000 customers, one array per field in and out",
    responses={413: {"description": "more than 10,000 rows or a body that is too large"}},
    openapi_extra=documented_body(FeatureColumns),
)
async def predict_columns(
    request: Request, _: CurrentPrincipal, explain: Explain = False
) -> PrebuiltJSONResponse:
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
    answer = columns_answer(predictor, answers)
    if explain:
        explainer = _explainer(request)
        shapley, _scores = await run_in_threadpool(explainer.explain, features)
        answer["explanation_base"] = explainer.base
        answer["contributions"] = dict(zip(FEATURES, shapley.T.tolist(), strict=True))
    return PrebuiltJSONResponse(answer)
