"""API shapes: what the customers endpoints accept and return (tables live in models.py)."""

import math
import unicodedata
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from customers_service import contacts
from customers_service.export_labels import ExportLocale, TimeZoneName
from customers_service.models import Customer as CustomerRow
from customers_service.models import Prediction as PredictionRow
from customers_service.search_text import search_words
from customers_service.segment_catalogue import Segments
from customers_service.store_settings import MODEL_UNIT, IncomeUnit, entered_income_columns, to_model_income
from customers_service.store_settings_schemas import EnteredIncome, IncomeAmount

GENDER_VOCABULARY = {
    "male": "male",
    "homem": "male",
    "masculino": "male",
    "m": "male",
    "female": "female",
    "mulher": "female",
    "feminino": "female",
    "f": "female",
}
MAX_INCOME = 100_000
MAX_NAME_LENGTH = 200
MAX_EXTERNAL_ID_LENGTH = 100


def canonical_gender(value: object) -> str:
    """``male`` or ``female`` from any word of the accepted vocabulary (case and spaces ignored)."""
    if isinstance(value, str):
        canonical = GENDER_VOCABULARY.get(value.strip().lower())
        if canonical is not None:
            return canonical
    raise ValueError(f"unknown gender; use one of: {', '.join(GENDER_VOCABULARY)}")


def has_control_character(text: str) -> bool:
    """NUL, a line break, a vertical tab...: nothing a name or a code holds, and what a spreadsheet
    cannot store (an .xlsx export would fail on it)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if has_control_character(value):
        raise ValueError("must not contain a control character (such as a line break or a tab)")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Gender = Annotated[Literal["male", "female"], BeforeValidator(canonical_gender)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(_no_nul),
]
ExternalId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EXTERNAL_ID_LENGTH),
    AfterValidator(_no_nul),
    Field(description="The store's own code for the customer (unique per owner), e.g. a CSV's CustomerID"),
]
# Age 0 is no customer (issue 23): refused like a negative one.
Age = Annotated[int, Field(ge=1, le=120, description="Years, 1 to 120")]
AnnualIncome = Annotated[
    float, Field(ge=0, le=MAX_INCOME, description="k$ per year"), AfterValidator(_finite)
]
Band = Literal["low", "medium", "high"]
SortKey = Literal[
    "name",
    "-name",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "spending_score",
    "-spending_score",
    "band",
    "-band",
    "age",
    "-age",
    "annual_income",
    "-annual_income",
    "gender",
    "-gender",
    "segment",
    "-segment",
    "external_id",
    "-external_id",
    "observed_score",
    "-observed_score",
]
ObservedScore = Annotated[int, Field(ge=1, le=100, description="The customer's real spending score, 1-100")]
SegmentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _phone(value: str) -> str:
    return contacts.phone_e164(value)


def _email(value: str) -> str:
    return contacts.email_address(value)


Phone = Annotated[
    str,
    StringConstraints(max_length=contacts.MAX_PHONE_INPUT),
    AfterValidator(_phone),
    Field(description='Brazilian ways accepted ("(11) 98765-4321", "+55 11 98765-4321"); stored in E.164'),
]
Email = Annotated[str, StringConstraints(max_length=contacts.MAX_EMAIL_LENGTH), AfterValidator(_email)]


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    gender: Gender
    age: Age
    observed_score: ObservedScore | None = None
    external_id: ExternalId | None = None
    phone: Phone | None = None
    email: Email | None = None


class CustomerCreate(_CustomerFields):
    """A new customer's values, the income in the model's unit (and, when it was entered in the
    store's unit, that amount too)."""

    annual_income: AnnualIncome
    # The amount as entered in the store's unit, and that unit (store_settings.entered_income_columns).
    income_amount: float | None = None
    income_currency: str | None = None
    income_period: str | None = None
    income_in_thousands: bool | None = None
    income_units_per_model_unit: float | None = None


class CustomerCreateRequest(_CustomerFields):
    """``annual_income`` (k$ per year, the model's unit) or ``income_amount`` (the store's unit, GET
    /settings), not both."""

    annual_income: AnnualIncome | None = None
    income_amount: IncomeAmount | None = None

    @model_validator(mode="after")
    def _one_income(self) -> "CustomerCreateRequest":
        _check_one_income(self.annual_income, self.income_amount, required=True)
        return self

    def resolved(self, unit: IncomeUnit) -> CustomerCreate:
        """The values with the income converted to the model's unit."""
        values = self.model_dump(exclude={"annual_income", "income_amount"})
        if self.income_amount is None:
            assert self.annual_income is not None  # _one_income
            return CustomerCreate(**values, annual_income=self.annual_income)
        return CustomerCreate(
            **values,
            annual_income=model_income_of(self.income_amount, unit),
            **entered_income_columns(self.income_amount, unit),
        )


def _check_one_income(annual_income: float | None, income_amount: float | None, *, required: bool) -> None:
    if annual_income is not None and income_amount is not None:
        raise ValueError("give annual_income (k$ per year) or income_amount (the store's unit), not both")
    if required and annual_income is None and income_amount is None:
        raise ValueError("annual_income (k$ per year) or income_amount (the store's unit) is required")


def model_income_of(amount: float, unit: IncomeUnit) -> float:
    """``amount`` in the model's unit; a 422 naming ``income_amount`` when that is past MAX_INCOME."""
    income = to_model_income(amount, unit)
    if income > MAX_INCOME:
        raise RequestValidationError(
            [
                {
                    "type": "less_than_equal",
                    "loc": ("body", "income_amount"),
                    "msg": f"is more than {MAX_INCOME} k$ a year for the model at the store's "
                    f"{unit.units_per_model_unit:g} per model unit",
                    "input": amount,
                }
            ]
        )
    return income


class CustomerUpdate(BaseModel):
    """Every field optional; a field that is sent must be valid (null is not a value, except for
    ``observed_score``, ``external_id``, ``phone`` and ``email``, which null clears)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    gender: Gender | None = None
    age: Age | None = None
    annual_income: AnnualIncome | None = None
    income_amount: IncomeAmount | None = Field(None, description="The income in the store's unit")
    observed_score: ObservedScore | None = None
    external_id: ExternalId | None = None
    phone: Phone | None = None
    email: Email | None = None

    @field_validator("name", "gender", "age", "annual_income", "income_amount", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out but not set to null")
        return value

    @model_validator(mode="after")
    def _one_income(self) -> "CustomerUpdate":
        _check_one_income(self.annual_income, self.income_amount, required=False)
        return self


class Interval(BaseModel):
    low: float
    high: float


class PredictedSegment(BaseModel):
    id: str
    probability: float | None


class Contributions(BaseModel):
    gender: float
    age: float
    annual_income: float


class PredictionExplanation(BaseModel):
    base: float = Field(description="The model's average score over its training data")
    contributions: Contributions = Field(
        description="Each input's exact Shapley value: they add up to the score (before rounding) - base"
    )


class LatestPrediction(BaseModel):
    status: Literal["done", "pending"]
    spending_score: float | None
    band: Band | None
    interval: Interval | None
    modes: list[float] | None = Field(
        default=None, description="[low, high] when the model sees two peaks, else null"
    )
    segment: PredictedSegment | None = Field(default=None, description="The classifier's most likely segment")
    warnings: list[str] = Field(
        default_factory=list, description="Inference's warnings, e.g. an input outside the training ranges"
    )
    model_version: str | None
    store_model_version: str | None = Field(
        default=None,
        description="The store's correction that answered too (issue 25); null: the global model",
    )
    created_at: datetime
    explanation: PredictionExplanation | None = Field(
        default=None, description="Why this score; null while pending and for predictions made before it"
    )


class PredictionRead(LatestPrediction):
    """One entry of a customer's history, with the inputs it was computed from."""

    id: uuid.UUID
    gender: Literal["male", "female"]
    age: int
    annual_income: float
    completed_at: datetime | None


class LocalisedText(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    en: str
    pt_br: str = Field(alias="pt-BR")


class CustomerSegment(BaseModel):
    id: str
    name: LocalisedText
    description: LocalisedText
    probability: float | None = Field(description="The classifier's probability; null for an observed score")


class CustomerRead(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str
    gender: Literal["male", "female"]
    age: int
    annual_income: float = Field(description="k$ per year, the model's unit")
    income: EnteredIncome = Field(
        description="The income as entered, with its unit (the model's unit when entered as annual_income)"
    )
    observed_score: int | None = None
    observed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    latest_prediction: LatestPrediction | None
    segment: CustomerSegment | None = None
    segment_source: Literal["observed", "predicted"] | None = None
    observed_source: Literal["typed", "sales"] | None = Field(
        default=None, description="Where the observed score came from (issue 25)"
    )
    phone: str | None = Field(default=None, description="E.164, e.g. +5511987654321 (issue 24)")
    email: str | None = None
    whatsapp_url: str | None = Field(default=None, description="wa.me link of the phone")


class ObservedScoreRead(BaseModel):
    """One entry of the observed-score history (score null: the owner cleared it)."""

    score: int | None
    observed_at: datetime
    source: Literal["typed", "sales"] = Field("typed", description="Typed by the owner or derived from sales")


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    total: int


class GenderCounts(BaseModel):
    male: int
    female: int


class BandCounts(BaseModel):
    low: int
    medium: int
    high: int


class HistogramBucket(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    count: int


class AgeGroup(BaseModel):
    group: str
    count: int
    average_score: float | None


class SegmentCount(BaseModel):
    id: str
    name: LocalisedText
    count: int


class ScatterPoint(BaseModel):
    annual_income: float
    spending_score: float = Field(description="The observed score where there is one, else the predicted one")
    segment: str | None
    observed: bool


class Accuracy(BaseModel):
    """The model against the scores the owner entered, each compared with the prediction made before it."""

    observed_count: int
    mae: float | None
    r2: float | None = Field(description="Null below 20 observed customers")
    interval_coverage: float | None = Field(description="Null below 20 observed customers")


class Dashboard(BaseModel):
    total_customers: int
    by_gender: GenderCounts
    by_band: BandCounts
    pending_predictions: int = Field(description="Customers whose latest prediction is still pending")
    average_score: float | None
    score_histogram: list[HistogramBucket]
    by_age_group: list[AgeGroup]
    by_segment: list[SegmentCount] = Field(default_factory=list)
    scatter: list[ScatterPoint] = Field(
        default_factory=list, description="At most 2,000 customers, the same sample every time"
    )
    accuracy: Accuracy = Field(
        default_factory=lambda: Accuracy(observed_count=0, mae=None, r2=None, interval_coverage=None)
    )


class ImportProblem(BaseModel):
    """Why a row (or the file) was refused: the line (1 = header; None for the whole file), the field
    (a column's name, ``row``, ``header`` or ``file``) and the message in the caller's language.
    ``reason`` repeats ``message`` for clients written before ``message`` existed."""

    line: int | None
    field: str
    message: str
    reason: str


class ImportResult(BaseModel):
    imported: int = Field(description="New customers stored")
    updated: int = Field(0, description="Customers found by external id and updated")
    pending_predictions: int = Field(description="Stored rows whose prediction waits for inference")
    rejected: list[ImportProblem] = Field(
        default_factory=list, description="mode=partial only: the rows left out, with their reasons"
    )


def latest_prediction_of(prediction: PredictionRow | None) -> LatestPrediction | None:
    if prediction is None or prediction.created_at is None:
        return None
    return LatestPrediction(**_prediction_fields(prediction))


def prediction_read_of(prediction: PredictionRow) -> PredictionRead:
    return PredictionRead(
        **_prediction_fields(prediction),
        id=prediction.id,
        completed_at=prediction.completed_at,
        gender=prediction.gender,
        age=prediction.age,
        annual_income=prediction.annual_income,
    )


def _prediction_fields(prediction: PredictionRow) -> dict[str, Any]:
    assert prediction.created_at is not None
    modes = (
        None
        if prediction.mode_low is None or prediction.mode_high is None
        else [prediction.mode_low, prediction.mode_high]
    )
    segment = (
        None
        if prediction.segment_id is None
        else PredictedSegment(id=prediction.segment_id, probability=prediction.segment_probability)
    )
    return {
        "status": prediction.status,
        "spending_score": prediction.spending_score,
        "band": prediction.band,
        "interval": _interval_of(prediction),
        "modes": modes,
        "segment": segment,
        "warnings": list(prediction.warnings or []),
        "model_version": prediction.model_version,
        "store_model_version": prediction.store_model_version,
        "created_at": prediction.created_at,
        "explanation": _explanation_of(prediction),
    }


def _explanation_of(prediction: PredictionRow) -> PredictionExplanation | None:
    contributions = (
        prediction.contribution_gender,
        prediction.contribution_age,
        prediction.contribution_income,
    )
    if prediction.explanation_base is None or any(value is None for value in contributions):
        return None
    gender, age, income = contributions
    assert gender is not None and age is not None and income is not None
    return PredictionExplanation(
        base=prediction.explanation_base,
        contributions=Contributions(gender=gender, age=age, annual_income=income),
    )


def customer_read_of(
    customer: CustomerRow, latest: PredictionRow | None, segments: Segments | None = None
) -> CustomerRead:
    """``segments`` gives the segment's names and sentence; without it they fall back to its id."""
    assert customer.created_at is not None and customer.updated_at is not None
    return CustomerRead(
        id=customer.id,
        external_id=customer.external_id,
        name=customer.name,
        gender=customer.gender,
        age=customer.age,
        annual_income=customer.annual_income,
        income=entered_income_of(customer),
        observed_score=customer.observed_score,
        observed_at=customer.observed_at,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        latest_prediction=latest_prediction_of(latest),
        segment=segment_of(customer.latest_segment, customer.latest_segment_probability, segments),
        segment_source=customer.segment_source,
        # Scores typed (or imported with the customers) before issue 25 have no source: typed.
        observed_source=customer.observed_source
        or ("typed" if customer.observed_score is not None else None),
        phone=customer.phone,
        email=customer.email,
        whatsapp_url=contacts.whatsapp_url(customer.phone),
    )


def entered_income_of(customer: CustomerRow) -> EnteredIncome:
    if customer.income_amount is None:
        unit, amount = MODEL_UNIT, customer.annual_income
    else:
        unit = IncomeUnit(
            currency=customer.income_currency or MODEL_UNIT.currency,
            period="month" if customer.income_period == "month" else "year",
            in_thousands=bool(customer.income_in_thousands),
            units_per_model_unit=customer.income_units_per_model_unit or 1.0,
        )
        amount = customer.income_amount
    return EnteredIncome(amount=amount, **asdict(unit))


def segment_of(
    segment_id: str | None, probability: float | None, segments: Segments | None
) -> CustomerSegment | None:
    if segment_id is None:
        return None
    words = (segments or Segments.unknown()).describe(segment_id)
    return CustomerSegment(
        id=segment_id,
        name=LocalisedText.model_validate(words["name"]),
        description=LocalisedText.model_validate(words["description"]),
        probability=probability,
    )


def _interval_of(prediction: PredictionRow) -> Interval | None:
    if prediction.interval_low is None or prediction.interval_high is None:
        return None
    return Interval(low=prediction.interval_low, high=prediction.interval_high)


# --- saved views (issue 24) ----------------------------------------------------------------------

MAX_VIEW_NAME_LENGTH = 80
MAX_VIEW_QUERY_LENGTH = 200
MAX_VIEW_QUERY_WORDS = 8


def _few_words(value: str) -> str:
    if len(search_words(value)) > MAX_VIEW_QUERY_WORDS:
        raise ValueError(f"at most {MAX_VIEW_QUERY_WORDS} words")
    return value


ViewName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_VIEW_NAME_LENGTH),
    AfterValidator(_no_nul),
]
ViewQuery = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_VIEW_QUERY_LENGTH),
    AfterValidator(_no_nul),
    AfterValidator(_few_words),
]


class SavedViewValues(BaseModel):
    """The list's search, filters and sort that a view opens (each optional)."""

    model_config = ConfigDict(extra="forbid")

    q: ViewQuery | None = None
    gender: Gender | None = None
    band: Band | None = None
    segment: SegmentId | None = None
    sort: SortKey | None = None


class SavedViewCreate(SavedViewValues):
    name: ViewName


class SavedViewUpdate(SavedViewValues):
    """A rename and/or new values: only the fields sent change (null clears a filter)."""

    name: ViewName | None = None


class SavedViewRead(BaseModel):
    id: uuid.UUID
    name: str
    q: str | None
    gender: Literal["male", "female"] | None
    band: Band | None
    segment: str | None
    sort: SortKey | None
    created_at: datetime
    updated_at: datetime


# --- bulk actions and the recycle bin (issue 24) -----------------------------------------------

MAX_BULK_IDS = 1000
MAX_BULK_MATCHING = 10_000


class BulkFilters(BaseModel):
    """ "Every customer matching": the list's search and filters (none: every customer)."""

    model_config = ConfigDict(extra="forbid")

    q: ViewQuery | None = None
    gender: Gender | None = None
    band: Band | None = None
    segment: SegmentId | None = None


class BulkSelection(BaseModel):
    """The customers a bulk action applies to: ``ids`` (the rows ticked), or ``filters`` (all that
    match, at most MAX_BULK_MATCHING). Exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_BULK_IDS)] | None = None
    filters: BulkFilters | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "BulkSelection":
        if (self.ids is None) == (self.filters is None):
            raise ValueError("give either ids or filters")
        if self.ids is not None and len(set(self.ids)) != len(self.ids):
            raise ValueError("ids must not repeat")
        return self


class BulkExport(BulkSelection):
    sort: SortKey | None = None
    format: Literal["csv", "xlsx"] = "csv"
    delimiter: Literal["comma", "semicolon"] = Field(
        default="comma", description="Left out: semicolon with lang=pt-BR, else comma"
    )
    lang: ExportLocale | None = Field(default=None, description="As GET /customers/export's lang")
    tz: TimeZoneName | None = Field(default=None, description="As GET /customers/export's tz")


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_BULK_IDS)]


class BulkResult(BaseModel):
    """What a bulk action did: to how many customers, and which."""

    action: Literal["deleted", "restored", "predicted"]
    count: int
    ids: list[uuid.UUID]


class DeletedCustomerRead(CustomerRead):
    deleted_at: datetime
    purge_after: datetime


class DeletedCustomerPage(BaseModel):
    items: list[DeletedCustomerRead]
    total: int


class CustomerDataExport(BaseModel):
    """Everything stored about one customer (issue 24: a data-protection request)."""

    exported_at: datetime
    customer: CustomerRead
    predictions: list[PredictionRead]
    observed_scores: list[ObservedScoreRead]
