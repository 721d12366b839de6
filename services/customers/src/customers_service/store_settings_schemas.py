"""API shapes of a store's own money (issue 23): the owner's settings and a customer's income as
entered."""

import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from customers_service.store_settings import (
    MAX_UNITS_PER_MODEL_UNIT,
    MIN_UNITS_PER_MODEL_UNIT,
    IncomeUnit,
)

# An income typed in the store's unit: bounded, whatever the unit (its conversion is bounded too).
MAX_INCOME_AMOUNT = 1e12


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"),
    Field(description="ISO 4217 code, e.g. BRL, USD, EUR", examples=["BRL"]),
]
UnitsPerModelUnit = Annotated[
    float,
    Field(
        ge=MIN_UNITS_PER_MODEL_UNIT,
        le=MAX_UNITS_PER_MODEL_UNIT,
        description="How many of the store's amounts (in its currency and period) make one model unit "
        "(1 k$ per year); set by the owner, no exchange rate is built in",
        examples=[416.67],
    ),
    AfterValidator(_finite),
]
IncomeAmount = Annotated[
    float,
    Field(ge=0, le=MAX_INCOME_AMOUNT, description="An income in the store's unit (GET /settings)"),
    AfterValidator(_finite),
]


class StoreSettingsUpdate(BaseModel):
    """The store's income unit, replaced whole."""

    model_config = ConfigDict(extra="forbid")

    currency: Currency
    period: Literal["month", "year"]
    in_thousands: bool = Field(False, description="Amounts are typed in thousands of the currency")
    units_per_model_unit: UnitsPerModelUnit

    def unit(self) -> IncomeUnit:
        return IncomeUnit(self.currency, self.period, self.in_thousands, self.units_per_model_unit)


class StoreSettingsRead(BaseModel):
    currency: str
    period: Literal["month", "year"]
    in_thousands: bool
    units_per_model_unit: float
    units_set_at: datetime | None = Field(
        description="When the owner set units_per_model_unit; null: never set (the model's unit)"
    )
    is_model_unit: bool = Field(description="True: incomes are typed as the model's k$ per year")


class EnteredIncome(BaseModel):
    """A customer's income as entered, with its unit; ``annual_income`` is its conversion."""

    amount: float
    currency: str
    period: Literal["month", "year"]
    in_thousands: bool
    units_per_model_unit: float
