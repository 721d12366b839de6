"""API shapes of the stateless store-correction fit (POST /model/store-correction)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inference_service.schemas import CustomerFeatures

Score = Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)]
MAX_PAIRS = 10_000


class ObservedPair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    predicted: Score = Field(description="The global model's score for the customer")
    observed: Score = Field(description="The customer's observed score")
    interval_low: Score = Field(description="The global model's interval, low end")
    interval_high: Score = Field(description="The global model's interval, high end")
    customer: CustomerFeatures | None = Field(
        default=None,
        description="The customer's gender, age and annual income as the store recorded them; "
        "sent on every pair, they let the fit find an income scale",
    )

    @model_validator(mode="after")
    def _ordered(self) -> "ObservedPair":
        if not self.interval_low <= self.predicted <= self.interval_high:
            raise ValueError("interval_low <= predicted <= interval_high is required")
        return self


class StoreCorrectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pairs: list[ObservedPair] = Field(
        max_length=MAX_PAIRS,
        description="Oldest first: the correction is judged on each later block of pairs by a fit on "
        "the pairs before it",
    )

    @model_validator(mode="after")
    def _customer_on_every_pair_or_none(self) -> "StoreCorrectionRequest":
        given = sum(pair.customer is not None for pair in self.pairs)
        if 0 < given < len(self.pairs):
            raise ValueError("customer is needed on every pair or on none")
        return self


class CorrectionOut(BaseModel):
    offset: float = Field(description="Added to the score (at a score of 50)")
    slope: float = Field(description="The score's scale is 1 + slope around 50")
    interval_scale: float = Field(description="The interval's half-widths are multiplied by it")
    income_scale: float = Field(
        description="The global model reads each income multiplied by it before the offset and the "
        "slope apply (1: no income correction)"
    )


class HeldOutOut(BaseModel):
    count: int
    global_mae: float
    store_mae: float
    global_covered: int
    store_covered: int


class StoreCorrectionResponse(BaseModel):
    chosen: bool = Field(description="Whether the store's correction should answer")
    reason: Literal["better_on_held_out", "not_better_on_held_out", "too_few_scores"]
    correction: CorrectionOut
    held_out: HeldOutOut | None = Field(
        description="The later pairs, each answered by a fit on the pairs before it (forward chaining); "
        "null below 20 pairs"
    )
    version: str | None = Field(description="The correction's version; null when the global model answers")
    model_version: str
    min_pairs: int
