"""Naive inference: FastAPI + a pandas DataFrame + scikit-learn ``predict`` per request (the original way).

Run with ``NAIVE_MODEL_PATH=... uvicorn benchmarks.naive_inference.app:app``.
"""

import os

import joblib
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel

model = joblib.load(os.environ["NAIVE_MODEL_PATH"])
app = FastAPI()


class Customer(BaseModel):
    gender: str
    age: float
    annual_income: float


@app.post("/predict")
def predict(customer: Customer) -> dict[str, float]:
    frame = pd.DataFrame([customer.model_dump()])
    frame["gender"] = frame["gender"].map({"Male": 1, "Female": 0, "male": 1, "female": 0})
    score = float(model.predict(frame[["gender", "age", "annual_income"]])[0])
    return {"spending_score": min(max(score, 1.0), 100.0)}
