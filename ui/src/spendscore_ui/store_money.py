"""The store's own money on the pages (issue 23): the owner's income unit (customers' GET /settings),
incomes shown in it with the model's value beside, and typed amounts turned into the model's unit.

The default unit is the model's own (thousands of $ a year, factor 1): pages then read as before.
"""

from dataclasses import dataclass
from typing import Any

import streamlit as st
from babel import numbers as babel_numbers

from spendscore_ui import session
from spendscore_ui.api_client import ApiClient, ApiError
from spendscore_ui.i18n import babel_locale, escape_markdown, format_date, format_number, t
from spendscore_ui.locale_numbers import parse_number, typed_form

JsonObject = dict[str, Any]
UNIT_FIELDS = ("currency", "period", "in_thousands", "units_per_model_unit")
# Offered first in the settings; the service takes any ISO 4217 code.
CURRENCIES = ("BRL", "USD", "EUR", "GBP", "ARS", "CLP", "COP", "MXN", "PYG", "UYU", "CAD", "JPY")
PERIODS = ("month", "year")
MODEL_SETTINGS: JsonObject = {
    "currency": "USD",
    "period": "year",
    "in_thousands": True,
    "units_per_model_unit": 1,
}


@dataclass(frozen=True)
class StoreMoney:
    currency: str = "USD"
    period: str = "year"
    in_thousands: bool = True
    units_per_model_unit: float = 1.0
    units_set_at: str | None = None

    @classmethod
    def from_settings(cls, settings: JsonObject) -> "StoreMoney":
        return cls(
            currency=str(settings["currency"]),
            period=str(settings["period"]),
            in_thousands=bool(settings["in_thousands"]),
            units_per_model_unit=float(settings["units_per_model_unit"]),
            units_set_at=settings.get("units_set_at"),
        )

    @property
    def is_model_unit(self) -> bool:
        return (self.currency, self.period, self.in_thousands, self.units_per_model_unit) == (
            "USD",
            "year",
            True,
            1.0,
        )

    def symbol(self) -> str:
        return babel_numbers.get_currency_symbol(self.currency, locale=babel_locale())

    def unit_text(self) -> str:
        """ "R$ per month", "thousand R$ per month" / "R$ por mês", "mil R$ por mês"."""
        key = "money.unit.thousands" if self.in_thousands else "money.unit"
        return t(key, symbol=self.symbol(), period=t(f"money.period.{self.period}"))

    def to_model(self, amount: float) -> float:
        return amount if self.is_model_unit else amount / self.units_per_model_unit

    def from_model(self, annual_income: float) -> float:
        return annual_income if self.is_model_unit else annual_income * self.units_per_model_unit

    def amount_of(self, customer: JsonObject) -> float:
        """The customer's income in this unit: as entered when it was entered in it (no rounding on the
        way back), else converted from the model's value."""
        entered = customer.get("income") or {}
        if entered and tuple(entered.get(name) for name in UNIT_FIELDS) == (
            self.currency,
            self.period,
            self.in_thousands,
            self.units_per_model_unit,
        ):
            return float(entered["amount"])
        return self.from_model(float(customer["annual_income"]))

    def format_amount(self, amount: float, *, decimals: int = 2) -> str:
        """ "R$ 4.500/mês" ("45,5" in the model's unit, whose label says k$)."""
        if self.is_model_unit:
            return format_number(amount)
        thousands = "money.amount.thousands" if self.in_thousands else "money.amount"
        return t(
            thousands,
            symbol=self.symbol(),
            value=format_number(amount, decimals=decimals),
            period=t(f"money.per.{self.period}"),
        )

    def income_text(self, annual_income: float, *, decimals: int = 2) -> str:
        """A model value (thousands of $ a year) as the owner reads it in a sentence or a tooltip:
        "R$ 4.500/mês" in the store's unit, "45,5 mil $" / "45.5 k$" in the model's."""
        if self.is_model_unit:
            return t("money.model_amount", value=format_number(annual_income, decimals=decimals))
        return self.format_amount(self.from_model(annual_income), decimals=decimals)

    def customer_income_text(self, customer: JsonObject) -> str:
        """The customer's income in a sentence, as entered when it was entered in this unit."""
        if self.is_model_unit:
            return self.income_text(float(customer["annual_income"]))
        return self.format_amount(self.amount_of(customer))

    def table_number(self, annual_income: float, *, decimals: int = 2) -> str:
        """A model value as a bare number in this unit, for a column whose label (``income_label``)
        names the unit."""
        return format_number(self.from_model(annual_income), decimals=decimals)

    def model_value(self, annual_income: float) -> str:
        """ "≈ 10,8 mil $/ano para o modelo" (empty in the model's own unit: nothing to add)."""
        if self.is_model_unit:
            return ""
        return t("money.model_value", value=format_number(annual_income))

    def with_model_value(self, customer: JsonObject) -> str:
        """ "R$ 4.500/mês ≈ 10,8 mil $/ano para o modelo"."""
        shown = self.format_amount(self.amount_of(customer))
        beside = self.model_value(float(customer["annual_income"]))
        return f"{shown} {beside}" if beside else shown

    def income_label(self) -> str:
        """The income's name with its unit, for columns and metrics."""
        if self.is_model_unit:
            return t("field.annual_income")
        return t("money.income_label", unit=self.unit_text())

    def factor_sentence(self) -> str:
        """ "1 thousand $ a year for the model = R$ 416,67 per month (set on 06/12/2026)"."""
        sentence = t(
            "money.factor", value=format_number(self.units_per_model_unit, decimals=2), unit=self.unit_text()
        )
        if self.units_set_at:
            sentence += " " + t("money.factor_set_on", date=format_date(self.units_set_at))
        return sentence


def current(api: ApiClient) -> StoreMoney:
    """The signed-in owner's unit, asked on every run (one small read): a unit changed in another tab
    must not leave this one typing incomes in the old unit."""
    try:
        settings = api.store_settings()
    except ApiError as error:
        session.fail(error, context=t("money.load_failed"))
    return StoreMoney.from_settings(settings)


def settings_form(api: ApiClient) -> None:
    """The Account page's section where the owner sets the store's money."""
    money = current(api)
    st.header(t("money.settings.title"))
    st.caption(t("money.settings.explain"))
    if not money.is_model_unit:
        st.markdown(escape_markdown(money.factor_sentence()))
    with st.form("store_money"):
        currencies = tuple(dict.fromkeys((*CURRENCIES, money.currency)))
        currency = st.selectbox(
            t("money.settings.currency"),
            currencies,
            index=currencies.index(money.currency),
        )
        period = st.radio(
            t("money.settings.period"),
            PERIODS,
            index=PERIODS.index(money.period),
            format_func={name: t(f"money.period.{name}") for name in PERIODS}.__getitem__,
            horizontal=True,
            key="store_money_period",
        )
        in_thousands = st.checkbox(t("money.settings.in_thousands"), value=money.in_thousands)
        factor = st.text_input(
            t("money.settings.factor"),
            value=typed_form(money.units_per_model_unit),
            max_chars=40,
            help=escape_markdown(t("money.settings.factor_help")),
        )
        factor_error = st.empty()
        st.caption(t("money.settings.existing_note"))
        save = st.form_submit_button(t("money.settings.save"), type="primary")
    if not money.is_model_unit and st.button(t("money.settings.reset"), key="store_money_reset"):
        _save(api, MODEL_SETTINGS)
    if save:
        read = parse_number(factor)
        if read.error is not None or read.value is None or read.value <= 0:
            factor_error.markdown(
                ":red[:material/error: " + (read.error or t("money.settings.factor_missing")) + "]"
            )
        else:
            settings = {"currency": currency, "period": period, "in_thousands": in_thousands}
            _save(api, {**settings, "units_per_model_unit": read.value})


def _save(api: ApiClient, settings: JsonObject) -> None:
    try:
        saved = api.replace_store_settings(settings)
    except ApiError as error:
        session.show_error(error, context=t("money.settings.could_not_save"))
        return
    unit = StoreMoney.from_settings(saved).unit_text()
    session.toast_next(escape_markdown(t("money.settings.saved", unit=unit)))
    st.rerun()
