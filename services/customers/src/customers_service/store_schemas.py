"""API shapes of sales, the store model and the drift panel (issue 25)."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class SaleRead(BaseModel):
    sold_on: date
    amount: float


class CorrectionRead(BaseModel):
    offset: float = Field(description="Points added to the global score (at a score of 50)")
    slope: float = Field(description="The score's scale is 1 + slope around 50")
    interval_scale: float = Field(description="The global interval's half-widths are multiplied by it")
    income_scale: float = Field(
        default=1.0,
        description="The global model reads each income multiplied by it before the offset and the "
        "slope apply (1: no income correction)",
    )


class CoverageRead(BaseModel):
    covered: int
    share: float
    low: float = Field(description="Wilson 95% range of the share, low end")
    high: float = Field(description="Wilson 95% range of the share, high end")


class HeldOutRead(BaseModel):
    count: int = Field(
        description="Observed scores after the oldest sixth, each predicted by a correction fitted on "
        "the scores dated before it"
    )
    global_mae: float
    store_mae: float
    global_coverage: CoverageRead
    store_coverage: CoverageRead
    coverage_claim: bool = Field(
        description="False below 100 scores: too few for a store-level coverage claim"
    )


class RescoreRead(BaseModel):
    total: int
    done: int
    remaining: int


class StoreModelRead(BaseModel):
    fitted: bool
    chosen: bool = False
    reason: str | None = Field(
        None, description="better_on_held_out, not_better_on_held_out or too_few_scores"
    )
    version: str | None = Field(None, description="The correction's version; null: the global model answers")
    model_version: str | None = None
    correction: CorrectionRead | None = None
    held_out: HeldOutRead | None = None
    fitted_at: datetime | None = None
    rescore: RescoreRead


class Quartiles(BaseModel):
    count: int
    mean: float | None
    p25: float | None
    median: float | None
    p75: float | None


class DriftedFeature(BaseModel):
    store: Quartiles
    training: Quartiles | None = Field(description="The global model's training customers")


class MonthlyError(BaseModel):
    month: str = Field(description="YYYY-MM of the observed scores")
    count: int
    mean_absolute_error: float


class DriftRead(BaseModel):
    age: DriftedFeature
    annual_income: DriftedFeature
    error_by_month: list[MonthlyError] = Field(
        description="Observed score against the prediction shown before it"
    )
