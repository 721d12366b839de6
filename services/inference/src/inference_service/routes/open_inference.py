"""The Open Inference Protocol (v2) beside ``/model``: health, server and model metadata, and
``POST /v2/models/spendscore/infer``, with the same token checks and the same answers."""

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from inference_service.columnar import TooManyRows
from inference_service.open_inference import (
    HEADER_LENGTH,
    MODEL_NAME,
    InferenceRequestError,
    encode_response,
    features_of,
    model_metadata,
    parse_request,
    server_metadata,
)
from inference_service.predictor import SpendingScorePredictor
from inference_service.routes.predict import THREAD_FROM_ROWS
from spendscore_common.responses import PrebuiltJSONResponse
from spendscore_common.security import CurrentPrincipal

router = APIRouter(prefix="/v2", tags=["open inference protocol"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such model"},
    413: {"description": "more than 10,000 rows or a body that is too large"},
    422: {"description": "not a usable request: the error names the tensor and the row"},
}


def _error(status_code: int, message: str) -> PrebuiltJSONResponse:
    # "error" is the protocol's field; "detail" is this project's.
    return PrebuiltJSONResponse({"error": message, "detail": message}, status_code=status_code)


def _unknown_model(name: str) -> PrebuiltJSONResponse:
    return _error(status.HTTP_404_NOT_FOUND, f"no model named {name[:100]!r}; this server has {MODEL_NAME!r}")


@router.get("", summary="Server metadata")
async def server(request: Request) -> dict[str, Any]:
    return server_metadata(request.app.version)


@router.get("/health/live", summary="The server is alive")
async def live() -> dict[str, bool]:
    return {"live": True}


@router.get("/health/ready", summary="The server can infer")
async def ready(request: Request) -> Response:
    is_ready = getattr(request.app.state, "predictor", None) is not None
    return PrebuiltJSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@router.get("/models/{model_name}", summary="Model metadata: the input and output tensors", responses=ERRORS)
async def metadata(model_name: str, request: Request, _: CurrentPrincipal) -> Response:
    if model_name != MODEL_NAME:
        return _unknown_model(model_name)
    return PrebuiltJSONResponse(model_metadata(request.app.state.predictor.version))


@router.get("/models/{model_name}/ready", summary="The model can infer", responses=ERRORS)
async def model_ready(model_name: str, request: Request) -> Response:
    if model_name != MODEL_NAME:
        return _unknown_model(model_name)
    return PrebuiltJSONResponse({"name": MODEL_NAME, "ready": request.app.state.predictor is not None})


@router.post(
    "/models/{model_name}/infer",
    summary="Spending scores of 1 to 10,000 customers as tensors",
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "example": {
                        "inputs": [
                            {"name": "gender", "datatype": "BYTES", "shape": [2], "data": ["female", "male"]},
                            {"name": "age", "datatype": "FP64", "shape": [2], "data": [31, 58]},
                            {"name": "annual_income", "datatype": "FP64", "shape": [2], "data": [70, 41.5]},
                        ]
                    }
                }
            },
        }
    },
)
async def infer(model_name: str, request: Request, _: CurrentPrincipal) -> Response:
    if model_name != MODEL_NAME:
        return _unknown_model(model_name)
    predictor: SpendingScorePredictor = request.app.state.predictor
    try:
        parsed = parse_request(await request.body(), request.headers.get(HEADER_LENGTH))
        features = features_of(parsed)
    except InferenceRequestError as exc:
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))
    except TooManyRows as exc:
        return _error(status.HTTP_413_CONTENT_TOO_LARGE, str(exc))
    if len(features) < THREAD_FROM_ROWS:
        columns = predictor.predict_columns(features)
    else:
        columns = await run_in_threadpool(predictor.predict_columns, features)
    body, json_length = encode_response(parsed, predictor, columns)
    if json_length is None:
        return Response(body, media_type="application/json")
    headers = {"Inference-Header-Content-Length": str(json_length)}
    return Response(body, media_type="application/octet-stream", headers=headers)
