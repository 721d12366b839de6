"""The bare stack: the same FastAPI and request model as our inference service, answering a constant.

What a request costs FastAPI + uvicorn (uvloop, httptools) alone, with no auth, no model, no shared
middleware: the ceiling the service is measured against. Run with
``uvicorn benchmarks.bare_stack.app:app --loop uvloop --http httptools``.
"""

from typing import Any

from fastapi import FastAPI

from inference_service.schemas import CustomerFeatures

app = FastAPI()
ANSWER = {
    "spending_score": 50.0,
    "band": "medium",
    "interval": {"low": 30.0, "high": 70.0},
    "model_version": "constant",
    "warnings": [],
}


@app.post("/model/predict")
async def predict(_: CustomerFeatures) -> dict[str, Any]:
    return ANSWER
