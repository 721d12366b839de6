"""A store's own money (issue 23): the unit in which an owner types, imports and reads incomes, and
its conversion to the model's unit (k$ per year). Pure functions, no database, no exchange rate.

A unit is a currency, a period, whether amounts are in thousands, and ``units_per_model_unit``: how
many of the store's amounts make one model unit, a number the owner sets (it holds the exchange rate
and the period together, e.g. R$ 416,67 a month for 1 k$ a year). The default unit is the model's
own: thousands of USD a year, factor 1, so a store that never sets anything behaves as before.
"""

import math
from dataclasses import dataclass
from typing import Any, Literal

Period = Literal["month", "year"]
PERIODS: tuple[Period, ...] = ("month", "year")
DEFAULT_CURRENCY = "USD"
DEFAULT_PERIOD: Period = "year"
DEFAULT_IN_THOUSANDS = True
DEFAULT_UNITS_PER_MODEL_UNIT = 1.0
# Bounds of the owner's factor: a factor is a positive number a person can type, nothing more.
MIN_UNITS_PER_MODEL_UNIT = 1e-6
MAX_UNITS_PER_MODEL_UNIT = 1e9

# Currency symbols people read; any other ISO code is shown as the code itself.
_SYMBOLS = {"BRL": "R$", "USD": "$", "EUR": "€", "GBP": "£", "ARS": "ARS", "JPY": "¥"}
_PERIOD_WORDS = {
    "en": {"month": "month", "year": "year"},
    "pt": {"month": "mês", "year": "ano"},
}
_THOUSANDS_WORDS = {"en": "thousand", "pt": "mil"}


@dataclass(frozen=True)
class IncomeUnit:
    """The unit of an income amount: ``currency`` (ISO 4217), ``period``, ``in_thousands`` and the
    owner's ``units_per_model_unit``."""

    currency: str = DEFAULT_CURRENCY
    period: Period = DEFAULT_PERIOD
    in_thousands: bool = DEFAULT_IN_THOUSANDS
    units_per_model_unit: float = DEFAULT_UNITS_PER_MODEL_UNIT

    @property
    def is_model_unit(self) -> bool:
        """True for the model's own unit (k$ per year, factor 1): amounts are ``annual_income``."""
        return self == MODEL_UNIT


MODEL_UNIT = IncomeUnit()


def to_model_income(amount: float, unit: IncomeUnit) -> float:
    """An amount in ``unit`` as the model's annual income (k$ per year)."""
    if unit.is_model_unit:
        return amount
    return amount / unit.units_per_model_unit


def from_model_income(annual_income: float, unit: IncomeUnit) -> float:
    """An annual income in the model's unit (k$ per year) as an amount in ``unit``."""
    if unit.is_model_unit:
        return annual_income
    return annual_income * unit.units_per_model_unit


def valid_factor(value: float) -> bool:
    return math.isfinite(value) and MIN_UNITS_PER_MODEL_UNIT <= value <= MAX_UNITS_PER_MODEL_UNIT


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency, currency)


def unit_words(unit: IncomeUnit, language: Literal["en", "pt"]) -> str:
    """The unit as a header or label says it: "R$ per month", "thousand $ per year", "mil R$ por mês"."""
    symbol = currency_symbol(unit.currency)
    amount = f"{_THOUSANDS_WORDS[language]} {symbol}" if unit.in_thousands else symbol
    per = "per" if language == "en" else "por"
    return f"{amount} {per} {_PERIOD_WORDS[language][unit.period]}"


def income_header(unit: IncomeUnit, language: Literal["en", "pt"]) -> str:
    """The income column's header in the store's unit: "income (R$ per month)", "renda (R$ por mês)"
    (the import reads it back in this unit)."""
    return f"{'income' if language == 'en' else 'renda'} ({unit_words(unit, language)})"


# The customer's columns that keep an income as entered (models.Customer).
ENTERED_INCOME_COLUMNS = (
    "income_amount",
    "income_currency",
    "income_period",
    "income_in_thousands",
    "income_units_per_model_unit",
)


def entered_income_columns(amount: float | None, unit: IncomeUnit) -> dict[str, Any]:
    """A customer's ``income_*`` columns for ``amount`` entered in ``unit``; all None when there is
    no amount or the unit is the model's (then ``annual_income`` is what was entered)."""
    if amount is None or unit.is_model_unit:
        return dict.fromkeys(ENTERED_INCOME_COLUMNS)
    values = (amount, unit.currency, unit.period, unit.in_thousands, unit.units_per_model_unit)
    return dict(zip(ENTERED_INCOME_COLUMNS, values, strict=True))
