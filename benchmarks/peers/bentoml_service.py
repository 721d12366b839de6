"""The BentoML peer (run by its own environment: ``bentoml serve bentoml_service:SpendScore``): the
scikit-learn model of ``train_forest_knn.py`` behind BentoML's own API, answering the score only."""

import os

import bentoml
import joblib
import numpy as np

GENDER_CODES = {"male": 1.0, "female": 0.0}


@bentoml.service(workers=1)
class SpendScore:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["PEER_MODEL_PATH"])

    @bentoml.api
    def predict(self, gender: str, age: float, annual_income: float) -> float:
        features = np.array([[GENDER_CODES[gender.lower()], age, annual_income]])
        return float(self.model.predict(features)[0])

    @bentoml.api
    def predict_batch(self, gender: list[str], age: list[float], annual_income: list[float]) -> list[float]:
        codes = [GENDER_CODES[word.lower()] for word in gender]
        features = np.column_stack([codes, age, annual_income])
        return [float(score) for score in self.model.predict(features)]
