"""The JSON batch of objects read straight into the model's matrix when every item is plainly valid.

Validating a 1,000-item batch as 1,000 ``CustomerFeatures`` (a Python validator per item for the
gender words) and then copying them into a matrix was about a fifth of the request. Here the body is
parsed once and checked as columns; whatever this does not accept at once (a gender word in another
case or with spaces, a missing or extra field, a number out of range, too many items...) returns None,
and the route validates the body with ``BatchRequest`` as before: the same 422s and 413s, word for word.
It accepts only what ``BatchRequest`` accepts, and gives the matrix ``SpendingScorePredictor.to_matrix``
gives for it.
"""

from typing import Any

import numpy as np
import orjson

from inference_service.columnar import GENDER_CODES, NUMBER_LIMITS
from inference_service.schemas import MAX_BATCH_ITEMS

_NUMBER_TYPES = frozenset({int, float})  # not bool: strict fields refuse true and false


def plain_batch_features(body: bytes) -> np.ndarray | None:
    """The (n, 3) matrix of a ``{"items": [...]}`` body whose every item is plainly valid, else None."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(parsed) is not dict or len(parsed) != 1:
        return None
    items = parsed.get("items")
    if type(items) is not list or not 1 <= len(items) <= MAX_BATCH_ITEMS:
        return None
    try:
        # Three keys, all of them present: exactly the model's fields (extra fields are refused). The
        # gender words as listed only: others in any case or with spaces are ``CustomerFeatures``'s to read.
        rows = [
            (GENDER_CODES[item["gender"]], item["age"], item["annual_income"])
            for item in items
            if len(item) == 3
        ]
    except (KeyError, TypeError):  # an unknown word, a missing field, an item that is not an object
        return None
    if len(rows) != len(items):
        return None
    if not {type(age) for _, age, _ in rows} | {type(income) for _, _, income in rows} <= _NUMBER_TYPES:
        return None
    try:
        matrix = np.array(rows, dtype=np.float64)
    except OverflowError:  # an integer beyond a double: out of range anyway
        return None
    for column, (_, low, high) in enumerate(NUMBER_LIMITS, start=1):
        values = matrix[:, column]
        if not bool(np.all((values >= low) & (values <= high))):
            return None
    return matrix
