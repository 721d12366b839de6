"""Numbers typed and read the locale's way (issue 23): "45,5" is 45.5 in pt-BR, never 455."""

import pytest

from spendscore_ui import i18n
from spendscore_ui.customer_form import check_customer, read_numbers
from spendscore_ui.locale_numbers import parse_number, typed_form
from spendscore_ui.plausibility import outside_training


def _in(locale: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "current_locale", lambda: locale)


@pytest.mark.parametrize(
    ("locale", "typed", "value"),
    [
        ("pt-BR", "45,5", 45.5),
        ("pt-BR", "1.234,5", 1234.5),
        ("pt-BR", " 455 ", 455.0),
        ("pt-BR", "0,25", 0.25),
        ("pt-BR", "-5", -5.0),
        ("en", "45.5", 45.5),
        ("en", "1,234.5", 1234.5),
        ("en", "30", 30.0),
    ],
)
def test_the_locales_way_is_read(monkeypatch, locale, typed, value):
    _in(locale, monkeypatch)
    assert parse_number(typed, locale).value == value
    assert parse_number(typed, locale).error is None


@pytest.mark.parametrize(
    ("locale", "typed", "meanings"),
    [
        ("pt-BR", "45.5", ("45,5", "455")),  # a point where a comma belongs: never silently 455
        ("en", "45,5", ("45.5", "455")),
        ("pt-BR", "1,234.5", ("1.234,5", "1,2345")),
    ],
)
def test_a_misplaced_separator_is_refused_with_both_readings(monkeypatch, locale, typed, meanings):
    _in(locale, monkeypatch)
    read = parse_number(typed, locale)
    assert read.value is None
    assert read.error is not None and typed in read.error
    assert all(meaning in read.error for meaning in meanings)


@pytest.mark.parametrize("typed", ["abc", "1e5", "NaN", "Infinity", "4 5", "--3", "12a", "9" * 41])
@pytest.mark.parametrize("locale", ["pt-BR", "en"])
def test_what_is_not_a_number_is_refused_with_an_example(monkeypatch, locale, typed):
    _in(locale, monkeypatch)
    read = parse_number(typed, locale)
    assert read.value is None
    assert read.error is not None
    assert ("45,5" if locale == "pt-BR" else "45.5") in read.error


def test_empty_is_neither_a_number_nor_an_error():
    assert parse_number("  ", "pt-BR").value is None
    assert parse_number(None, "en").error is None


@pytest.mark.parametrize("locale", ["pt-BR", "en"])
@pytest.mark.parametrize("value", [45.5, 1234.5, 0.25, 30, 100_000])
def test_what_is_shown_reads_back_to_the_same_number(monkeypatch, locale, value):
    _in(locale, monkeypatch)
    shown = typed_form(value)
    assert parse_number(shown, locale).value == value
    if locale == "pt-BR" and value == 45.5:
        assert shown == "45,5"


def test_the_form_keeps_the_reader_sentence_and_refuses_age_zero(monkeypatch):
    _in("pt-BR", monkeypatch)
    numbers, errors = read_numbers({"age": "30", "annual_income": "45.5", "observed_score": ""})
    assert numbers == {"age": 30.0, "annual_income": None, "observed_score": None}
    assert set(errors) == {"annual_income"} and "45,5" in errors["annual_income"]
    numbers, errors = read_numbers({"age": "0", "annual_income": "45,5"})
    result = check_customer(
        name="Ana", gender="female", age=numbers["age"], income=numbers["annual_income"], observed=None
    )
    assert set(result.errors) == {"age"}
    assert not errors
    result = check_customer(name="Ana", gender="female", age=30, income=-1, observed=None)
    assert set(result.errors) == {"annual_income"}


def test_inputs_outside_the_training_data_are_named(monkeypatch):
    _in("pt-BR", monkeypatch)
    ranges = {"age": (18.0, 70.0), "annual_income": (15.0, 137.0)}
    assert outside_training({"age": 30, "annual_income": 45.5}, ranges) == {}
    doubtful = outside_training({"age": 7, "annual_income": 450.5}, ranges)
    assert set(doubtful) == {"age", "annual_income"}
    assert "7" in doubtful["age"] and "18" in doubtful["age"] and "70" in doubtful["age"]
    assert "450,5" in doubtful["annual_income"]
    assert outside_training({"age": 7}, {}) == {}  # no model card: nothing to ask
