"""A store's own money (issue 23): the conversion to the model's unit, the owner's settings, and each
customer's income as entered."""

import pytest

from customers_service.store_settings import (
    MODEL_UNIT,
    IncomeUnit,
    from_model_income,
    to_model_income,
    unit_words,
)

REAIS_A_MONTH = IncomeUnit(currency="BRL", period="month", in_thousands=False, units_per_model_unit=416.0)


def test_the_model_unit_converts_to_itself_exactly() -> None:
    for amount in (0.0, 45.5, 137.0, 1e-9):
        assert to_model_income(amount, MODEL_UNIT) == amount
        assert from_model_income(amount, MODEL_UNIT) == amount
    assert MODEL_UNIT.is_model_unit
    assert not REAIS_A_MONTH.is_model_unit


def test_a_store_unit_divides_by_the_owners_factor_and_back() -> None:
    assert to_model_income(4160.0, REAIS_A_MONTH) == pytest.approx(10.0)
    assert to_model_income(4500.0, REAIS_A_MONTH) == pytest.approx(10.8173, abs=1e-4)
    for amount in (0.0, 1.0, 4500.0, 123456.78):
        model_income = to_model_income(amount, REAIS_A_MONTH)
        assert from_model_income(model_income, REAIS_A_MONTH) == pytest.approx(amount)


def test_unit_words_in_both_languages() -> None:
    assert unit_words(MODEL_UNIT, "en") == "thousand $ per year"
    assert unit_words(MODEL_UNIT, "pt") == "mil $ por ano"
    assert unit_words(REAIS_A_MONTH, "pt") == "R$ por mês"
    assert unit_words(IncomeUnit(currency="CHF", units_per_model_unit=2.0), "en") == "thousand CHF per year"
