"""Why a score is what it is: exact Shapley values of the served model's inputs against its training data.

The game is the interventional one: the value of a coalition S of inputs for a customer x is the mean,
over the training rows z, of the served score with the inputs in S taken from x and the others from z:

    v(S) = mean_z f(x_S, z_rest)

With three inputs there are 2^3 coalitions, so every one is computed and the Shapley values are exact
(no sampling): phi_i = sum over S without i of |S|! (p - |S| - 1)! / p! * (v(S + i) - v(S)). They add
up to v(all) - v(none) = f(x) - the mean score over the training data (the base).

``f`` is the served score before rounding: the model's raw number clipped to 1..100. The function works
on arrays (n rows at a time), so one row and a batch go through the same code and get the same numbers.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from inference_service.dataset import DATA_PATH, load_training_data
from inference_service.model_store import LoadedModel
from inference_service.predictor import SCORE_MAX, SCORE_MIN

FEATURES = ("gender", "age", "annual_income")
# Rows of x times distinct background rows evaluated at once: bounds the temporary arrays (~10 MB).
MAX_CELLS_PER_CHUNK = 400_000

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Coalition:
    mask: tuple[bool, ...]  # True: the input comes from x
    background: np.ndarray  # the distinct background values of the other inputs, (k, 3)
    weights: np.ndarray  # how many training rows each distinct value stands for / the number of rows


def _coalitions(background: np.ndarray) -> dict[tuple[bool, ...], _Coalition]:
    """Every coalition with at least one input absent, its background reduced to distinct rows.

    Only the absent inputs vary over the background, so rows equal on them give the same value: each
    distinct combination is evaluated once and weighted by how often it occurs (an exact rewrite of
    the mean, and up to ~100 times less work for the coalitions where only gender is absent).
    """
    count = background.shape[1]
    coalitions = {}
    for size in range(count):
        for present in combinations(range(count), size):
            mask = tuple(column in present for column in range(count))
            absent = [column for column in range(count) if not mask[column]]
            distinct, counts = np.unique(background[:, absent], axis=0, return_counts=True)
            rows = np.zeros((len(distinct), count))
            rows[:, absent] = distinct
            coalitions[mask] = _Coalition(mask, rows, counts / len(background))
    return coalitions


class ShapleyExplainer:
    """Built once per process from the served score function and the training inputs."""

    def __init__(self, score: Callable[[np.ndarray], np.ndarray], background: np.ndarray):
        self._score = score
        self._count = background.shape[1]
        self._coalitions = _coalitions(np.asarray(background, dtype=np.float64))
        self.base = float(self._coalition_values(np.zeros((1, self._count)), (False,) * self._count)[0])

    def _coalition_values(self, features: np.ndarray, mask: tuple[bool, ...]) -> np.ndarray:
        """v(S) for each row of ``features``: the weighted mean of f over the coalition's background.

        Rows equal on the present inputs have the same v(S): each distinct one is computed once (a
        batch's ages or genders repeat a lot), and its number does not depend on the rest of the batch.
        """
        present = [column for column in range(self._count) if mask[column]]
        distinct_rows, row_of = np.unique(features[:, present], axis=0, return_inverse=True)
        coalition = self._coalitions[mask]
        distinct = len(coalition.background)
        values = np.empty(len(distinct_rows))
        chunk = max(1, MAX_CELLS_PER_CHUNK // distinct)
        for start in range(0, len(distinct_rows), chunk):
            rows = distinct_rows[start : start + chunk]
            grid = np.repeat(coalition.background[np.newaxis, :, :], len(rows), axis=0)
            grid[:, :, present] = rows[:, np.newaxis, :]
            scores = self._score(grid.reshape(-1, self._count)).reshape(len(rows), distinct)
            # A sum along each row (not a matrix product): a row's number does not depend on its batch.
            values[start : start + len(rows)] = (scores * coalition.weights).sum(axis=1)
        return values[row_of.reshape(-1)]

    def explain(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 3) Shapley values and the n explained scores f(x) for an (n, 3) array of inputs."""
        features = np.asarray(features, dtype=np.float64)
        full = (True,) * self._count
        values = {full: self._score(features)}
        for mask in self._coalitions:
            values[mask] = (
                np.full(len(features), self.base) if not any(mask) else self._coalition_values(features, mask)
            )
        count = self._count
        shapley = np.zeros((len(features), count))
        for column in range(count):
            for mask, without in values.items():
                if mask[column]:
                    continue
                with_column = values[tuple(mask[c] or c == column for c in range(count))]
                size = sum(mask)
                weight = math.factorial(size) * math.factorial(count - size - 1) / math.factorial(count)
                shapley[:, column] += weight * (with_column - without)
        return shapley, values[full]

    def explanation_dicts(self, features: np.ndarray) -> list[dict[str, object]]:
        """The API's ``explanation`` object for each row."""
        shapley, scores = self.explain(features)
        return [
            {
                "base": self.base,
                "value": value,
                "contributions": dict(zip(FEATURES, contributions, strict=True)),
            }
            for contributions, value in zip(shapley.tolist(), scores.tolist(), strict=True)
        ]


def explainer_for(model: LoadedModel, data_path: Path = DATA_PATH) -> ShapleyExplainer | None:
    """The explainer of the served score against the data it was trained on, or None (logged) when that
    data is not the one the artifact records: explaining against other rows would be a different game."""
    try:
        data = load_training_data(data_path)
    except (OSError, KeyError, ValueError) as exc:
        logger.warning("explanations unavailable: cannot read the training data %s (%s)", data_path, exc)
        return None
    recorded = model.metadata.get("data", {}).get("sha256")
    if recorded != data.sha256:
        logger.warning("explanations unavailable: %s is not the data the model was trained on", data_path)
        return None
    fast_model = model.fast_model
    return ShapleyExplainer(
        lambda features: np.clip(fast_model.predict(features), SCORE_MIN, SCORE_MAX), data.features
    )
