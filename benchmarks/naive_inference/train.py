"""The original training, for the naive app: a LinearRegression saved with joblib."""

import joblib
import pandas as pd


def train_baseline(output: str, data_path: str) -> None:
    """The original training: Male->1, Female->0, 80/20 split with random_state=42, LinearRegression."""
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(data_path).drop(columns=["customerID"])
    frame["gender"] = frame["gender"].map({"Male": 1, "Female": 0})
    features, target = frame[["gender", "age", "annual_income"]], frame["spending_score"]
    x_train, _, y_train, _ = train_test_split(features, target, test_size=0.2, random_state=42)
    joblib.dump(LinearRegression().fit(x_train, y_train), output)
