"""Ours serving the plain score only, as the model servers do: the same FastAPI + uvicorn and the same
compiled model as the inference service, no token, no interval, segment, band or warnings.

Beside the peers it shows what the framework costs apart from what our full answer adds. Run with
``INFERENCE_MODEL_PATH=... uvicorn benchmarks.plain_score.app:app --loop uvloop --http httptools``.
"""

import os
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI

from inference_service.batch_model import batch_regressor
from inference_service.columnar import FeatureColumns, feature_matrix
from inference_service.model_store import load_model
from inference_service.predictor import GENDER_CODE, SCORE_MAX, SCORE_MIN
from inference_service.schemas import CustomerFeatures
from spendscore_common.responses import PrebuiltJSONResponse

app = FastAPI()
_model = load_model(Path(os.environ["INFERENCE_MODEL_PATH"]))
_regressor = batch_regressor(_model.fast_model)


def _scores(features: np.ndarray) -> list[float]:
    return [round(score, 2) for score in np.clip(_regressor(features), SCORE_MIN, SCORE_MAX).tolist()]


@app.post("/model/predict")
async def predict(customer: CustomerFeatures) -> Any:
    features = np.array([[GENDER_CODE[customer.gender], customer.age, customer.annual_income]])
    return PrebuiltJSONResponse({"spending_score": _scores(features)[0]})


@app.post("/model/predict/columns")
async def predict_columns(columns: FeatureColumns) -> Any:
    features = feature_matrix(columns.gender, columns.age, columns.annual_income)
    return PrebuiltJSONResponse({"spending_score": _scores(features)})
