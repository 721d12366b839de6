"""Request and response shapes of the prediction API, with the input rules (422 on bad input)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_BATCH_ITEMS = 10_000
MALE_WORDS = frozenset({"male", "homem", "masculino", "m"})
FEMALE_WORDS = frozenset({"female", "mulher", "feminino", "f"})
GENDER_WORDS = dict.fromkeys(MALE_WORDS, "male") | dict.fromkeys(FEMALE_WORDS, "female")

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
        # The words as written most of the time first: one look-up per item of a batch.
        normal = GENDER_WORDS.get(value) or GENDER_WORDS.get(value.strip().lower())
        if normal is not None:
            return normal
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


class LocalisedText(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    en: str
    pt_br: str = Field(alias="pt-BR")


class SegmentPrediction(BaseModel):
    id: str = Field(description='Stable slug from the centroid\'s position, e.g. "high-income-high-spending"')
    name: LocalisedText
    description: LocalisedText
    probability: float = Field(description="The classifier's probability of this, the most likely segment")


class Contributions(BaseModel):
    gender: float
    age: float
    annual_income: float


class Explanation(BaseModel):
    base: float = Field(description="The average score over the model's training data")
    value: float = Field(description="The score explained: spending_score before rounding")
    contributions: Contributions = Field(
        description="Each input's exact Shapley value (interventional, against the training data); "
        "they add up to value - base"
    )


class Prediction(BaseModel):
    spending_score: float = Field(description="Predicted spending score, clipped to 1..100")
    band: Literal["low", "medium", "high"] = Field(description="low < 25, medium 25 to 75, high > 75")
    interval: PredictionInterval = Field(
        description="80% prediction interval, its width depends on the customer"
    )
    modes: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(
        description="[low, high] when similar customers' scores have two clear peaks, otherwise null"
    )
    segment: SegmentPrediction
    model_version: str
    warnings: list[str]
    explanation: Explanation | None = Field(
        default=None, description="Only with `?explain=true`: why the score is what it is"
    )


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


class HonestSelection(BaseModel):
    r2: CvFigure = Field(
        description="R² of the candidate chosen on the other CV repeats, on the repeat left out"
    )


class ModelMetrics(BaseModel):
    cv: CvMetrics = Field(description="The selected candidate on the same folds that selected it")
    honest_selection: HonestSelection


class IntervalInfo(BaseModel):
    level: float
    method: str
    cv_coverage: float
    cv_coverage_by_group: dict[str, dict[str, float]] = Field(
        description="Outer-CV coverage by income tercile and age band: "
        '{"income": {"15-48": 0.79, ...}, "age": {"18-29": 0.82, ...}}'
    )
    mean_width: float = Field(description="Mean width of the served (clipped) interval under the outer CV")
    fixed_width: float = Field(description="Width of the one-size interval this replaces")


class ModesInfo(BaseModel):
    enabled: bool
    cv_share_flagged: float | None = Field(description="Share of held-out customers given two modes")
    share_of_training_customers: float


class Centroid(BaseModel):
    annual_income: float
    spending_score: float


class SegmentInfo(BaseModel):
    id: str
    name: LocalisedText
    description: LocalisedText
    centroid: Centroid
    size: int
    share: float


class ScaleInfo(BaseModel):
    mean: float
    std: float


class ClassifierMetrics(BaseModel):
    accuracy: CvFigure
    log_loss: CvFigure


class SegmentClassifierInfo(BaseModel):
    candidate: str
    cv: ClassifierMetrics
    baseline_cv: ClassifierMetrics = Field(
        description="Always answering the training folds' class frequencies"
    )


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
    modes: ModesInfo
    baseline: BaselineMetrics
    segments: list[SegmentInfo]
    segmentation_scale: dict[str, ScaleInfo] = Field(
        description="annual_income and spending_score mean and std: standardise with them, "
        "then take the nearest centroid"
    )
    segment_classifier: SegmentClassifierInfo
    training_distribution: dict[str, "FeatureQuartiles"] | None = Field(
        None, description="Issue 25: age and annual_income of the training customers, for drift checks"
    )


class FeatureQuartiles(BaseModel):
    count: int
    mean: float
    p25: float
    median: float
    p75: float
