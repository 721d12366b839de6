"""Request and response shapes of the prediction API, with the input rules (422 on bad input)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_BATCH_ITEMS = 10_000
MALE_WORDS = frozenset({"male", "homem", "masculino", "m"})
FEMALE_WORDS = frozenset({"female", "mulher", "feminino", "f"})

Age = Annotated[float, Field(strict=True, ge=0, le=120, allow_inf_nan=False, description="Years, 0 to 120")]
Income = Annotated[
    float,
    Field(
        strict=True, ge=0, le=100_000, allow_inf_nan=False, description="Annual income in k$, 0 to 100,000"
    ),
]


class CustomerFeatures(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"gender": "female", "age": 31, "annual_income": 70}]},
    )

    gender: Annotated[
        str,
        Field(
            strict=True,
            description="male / homem / masculino / m or female / mulher / feminino / f (any case)",
        ),
    ]
    age: Age
    annual_income: Income

    @field_validator("gender")
    @classmethod
    def _normalise_gender(cls, value: str) -> str:
        word = value.strip().lower()
        if word in MALE_WORDS:
            return "male"
        if word in FEMALE_WORDS:
            return "female"
        raise ValueError(
            "unknown gender; use one of "
            + ", ".join(sorted(MALE_WORDS))
            + " or "
            + ", ".join(sorted(FEMALE_WORDS))
        )


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[CustomerFeatures], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]


class PredictionInterval(BaseModel):
    low: float
    high: float


class Prediction(BaseModel):
    spending_score: float = Field(description="Predicted spending score, clipped to 1..100")
    band: Literal["low", "medium", "high"] = Field(description="low < 25, medium 25 to 75, high > 75")
    interval: PredictionInterval
    model_version: str
    warnings: list[str]


class BatchResponse(BaseModel):
    predictions: list[Prediction]


class CvFigure(BaseModel):
    mean: float
    std: float


class CvMetrics(BaseModel):
    r2: CvFigure
    rmse: CvFigure
    mae: CvFigure


class HoldoutMetrics(BaseModel):
    mse: float
    r2: float


class BaselineMetrics(BaseModel):
    holdout: HoldoutMetrics
    cv: CvMetrics


class ModelMetrics(BaseModel):
    cv: CvMetrics


class IntervalInfo(BaseModel):
    level: float
    cv_coverage: float


class FeatureRange(BaseModel):
    min: float
    max: float


class ModelCard(BaseModel):
    name: str
    version: str
    created_at: str
    features: list[str]
    training_ranges: dict[str, FeatureRange]
    metrics: ModelMetrics
    interval: IntervalInfo
    baseline: BaselineMetrics
