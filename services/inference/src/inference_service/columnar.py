"""The columnar form of a batch: one array per field in and out, checked per column, not per item.

``POST /model/predict/columns`` (JSON arrays) and the Open Inference Protocol's tensors
(``open_inference.py``) both come down to ``feature_matrix`` and ``SpendingScorePredictor.predict_columns``.
A new output column (explanations, say) is one more field of ``PredictionColumns`` and of the answers here.
"""

from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from inference_service.predictor import PredictionColumns, SpendingScorePredictor
from inference_service.schemas import (
    FEMALE_WORDS,
    MALE_WORDS,
    MAX_BATCH_ITEMS,
    Age,
    Income,
    LocalisedText,
)

GENDER_CODES = dict.fromkeys(MALE_WORDS, 1.0) | dict.fromkeys(FEMALE_WORDS, 0.0)
GENDER_HINT = "use one of " + ", ".join(sorted(MALE_WORDS)) + " or " + ", ".join(sorted(FEMALE_WORDS))
# (field, lowest, highest): the same limits as ``schemas.Age`` and ``schemas.Income``.
NUMBER_LIMITS = (("age", 0.0, 120.0), ("annual_income", 0.0, 100_000.0))
FEATURE_COLUMNS = ("gender", "age", "annual_income")


class ColumnError(ValueError):
    """A value of an input column is not usable: says which column and which row."""

    def __init__(self, column: str, row: int | None, message: str):
        super().__init__(f"{column}" + ("" if row is None else f"[{row}]") + f": {message}")
        self.column, self.row, self.message = column, row, message


class TooManyRows(ValueError):
    pass


def gender_codes(values: Sequence[str], column: str = "gender") -> np.ndarray:
    """1.0 for male, 0.0 for female, from any of the accepted words in any case."""
    codes = np.empty(len(values))
    for row, value in enumerate(values):
        code = GENDER_CODES.get(value)
        if code is None:
            if not isinstance(value, str):
                raise ColumnError(column, row, "must be text")
            code = GENDER_CODES.get(value.strip().lower())
            if code is None:
                raise ColumnError(column, row, f"unknown gender; {GENDER_HINT}")
        codes[row] = code
    return codes


def checked_numbers(values: np.ndarray, column: str, low: float, high: float) -> np.ndarray:
    """``values`` as float64 when every one is a finite number within [low, high]."""
    numbers = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(numbers) & (numbers >= low) & (numbers <= high)))
    if len(bad):
        row = int(bad[0])
        raise ColumnError(column, row, f"{numbers[row]:g} is not a number from {low:g} to {high:g}")
    return numbers


def feature_matrix(gender: Sequence[str], age: Any, annual_income: Any) -> np.ndarray:
    """The (n, 3) matrix the model takes, from three columns of the same length (1 to 10,000)."""
    lengths = {len(gender), len(age), len(annual_income)}
    if len(lengths) > 1:
        raise ColumnError(
            "gender, age, annual_income",
            None,
            f"the columns must have the same length (got {len(gender)}, {len(age)}, {len(annual_income)})",
        )
    rows = lengths.pop()
    if rows == 0:
        raise ColumnError("gender", None, "at least one row is needed")
    if rows > MAX_BATCH_ITEMS:
        raise TooManyRows(f"a batch holds at most {MAX_BATCH_ITEMS} rows")
    matrix = np.empty((rows, 3))
    matrix[:, 0] = gender_codes(gender)
    for column, (name, low, high) in enumerate(NUMBER_LIMITS, start=1):
        matrix[:, column] = checked_numbers(age if name == "age" else annual_income, name, low, high)
    return matrix


Column = Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]


class FeatureColumns(BaseModel):
    """The columnar request: row i is (gender[i], age[i], annual_income[i])."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"gender": ["female", "male"], "age": [31, 58], "annual_income": [70, 41.5]}]
        },
    )

    gender: Annotated[list[str], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
    age: Annotated[list[Age], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
    annual_income: Annotated[list[Income], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]


class SegmentText(BaseModel):
    name: LocalisedText
    description: LocalisedText


class PredictionColumnsResponse(BaseModel):
    """The answers as columns, row i of each for row i of the request."""

    model_version: str
    rows: int
    spending_score: list[float] = Field(description="Clipped to 1..100")
    band: list[str] = Field(description="low < 25, medium 25 to 75, high > 75")
    interval_low: list[float] = Field(description="80% prediction interval, low end")
    interval_high: list[float]
    modes: list[Annotated[list[float], Field(min_length=2, max_length=2)] | None] = Field(
        description="[low, high] where similar customers' scores have two clear peaks, else null"
    )
    segment_id: list[str]
    segment_probability: list[float]
    warnings: list[list[str]]
    segments: dict[str, SegmentText] = Field(description="Name and description of each segment id, once")
    explanation_base: float | None = Field(
        None, description="With `explain=true`: the training data's average score, the same for every row"
    )
    contributions: dict[str, list[float]] | None = Field(
        None,
        description="With `explain=true`: each input's exact Shapley contribution per row "
        "(`gender`, `age`, `annual_income`); a row's contributions add up to its score minus the base",
    )


def columns_answer(predictor: SpendingScorePredictor, columns: PredictionColumns) -> dict[str, Any]:
    """The ``PredictionColumnsResponse`` shape, as plain values ready for orjson."""
    ids = [str(segment["id"]) for segment in predictor.segments]
    return {
        "model_version": predictor.version,
        "rows": len(columns.spending_score),
        "spending_score": columns.spending_score,
        "band": columns.band,
        "interval_low": columns.interval_low,
        "interval_high": columns.interval_high,
        "modes": columns.modes,
        "segment_id": [ids[segment] for segment in columns.segment],
        "segment_probability": columns.segment_probability,
        "warnings": columns.warnings,
        "segments": {
            str(segment["id"]): {"name": segment["name"], "description": segment["description"]}
            for segment in predictor.segments
        },
    }
