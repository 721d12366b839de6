"""Run by a peer's own Python: fit the scikit-learn model our service serves in compiled form (the average
of a 40-tree random forest, leaf 5, and 10 nearest neighbours on scaled age and income) on the same
Mall Customers file, and save it with joblib.

Usage: ``python train_forest_knn.py DATA_CSV OUTPUT``. Only the standard library, numpy and scikit-learn:
it must not import the project, whose pins conflict with the peers'.
"""

import csv
import sys

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor, VotingRegressor
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

GENDER_CODES = {"Male": 1.0, "Female": 0.0}


def main(data_path: str, output: str) -> None:
    with open(data_path, encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    features = np.array(
        [[GENDER_CODES[row["gender"]], float(row["age"]), float(row["annual_income"])] for row in rows]
    )
    target = np.array([float(row["spending_score"]) for row in rows])
    neighbours = Pipeline(
        [
            ("scale", ColumnTransformer([("scaled", StandardScaler(), [1, 2])])),
            ("knn", KNeighborsRegressor(n_neighbors=10)),
        ]
    )
    forest = RandomForestRegressor(n_estimators=40, min_samples_leaf=5, random_state=0)
    model = VotingRegressor([("forest", forest), ("neighbours", neighbours)]).fit(features, target)
    joblib.dump(model, output)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
