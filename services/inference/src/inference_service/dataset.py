"""The training data and the model's features: where the CSV lives, how gender is encoded."""

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_PATH = Path(__file__).resolve().parents[2] / "data" / "Mall_Customers.csv"
FEATURES = ("gender", "age", "annual_income")
TARGET = "spending_score"
# The original system's encoding: Male -> 1, Female -> 0.
GENDER_CODES = {"Male": 1.0, "Female": 0.0}


@dataclass(frozen=True)
class TrainingData:
    features: np.ndarray  # shape (n, 3): gender code, age, annual income (k$)
    target: np.ndarray
    sha256: str
    path: Path


def load_training_data(path: Path = DATA_PATH) -> TrainingData:
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    features = np.array(
        [[GENDER_CODES[row["gender"]], float(row["age"]), float(row["annual_income"])] for row in rows]
    )
    target = np.array([float(row[TARGET]) for row in rows])
    return TrainingData(features, target, hashlib.sha256(raw).hexdigest(), path)
