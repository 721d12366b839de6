"""The store's own money (issue 23 item 3) and one story per customer (item 5) on the pages, against the
fake services: a store in R$ a month types R$ and sees the model's value; band, segment and the two
kinds never contradict each other."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from spendscore_ui import i18n
from spendscore_ui.charts import history_chart
from spendscore_ui.customer_view import interval_sentence, prediction_warnings, shown_segment
from spendscore_ui.store_money import StoreMoney
from spendscore_ui.store_panels import drift_rows

REAIS_A_MONTH = StoreMoney(currency="BRL", period="month", in_thousands=False, units_per_model_unit=416.67)


def _in(locale: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "current_locale", lambda: locale)


def test_amounts_read_in_the_stores_unit_with_the_models_value_beside(monkeypatch):
    _in("pt-BR", monkeypatch)
    entered = {"amount": 4500.0, "currency": "BRL", "period": "month", "in_thousands": False}
    customer = {"annual_income": 4500 / 416.67, "income": {**entered, "units_per_model_unit": 416.67}}
    assert REAIS_A_MONTH.with_model_value(customer) == "R$ 4.500/mês ≈ 10,8 mil $/ano para o modelo"
    older = {"annual_income": 12.0, "income": {**entered, "amount": 4000.0, "units_per_model_unit": 400.0}}
    assert REAIS_A_MONTH.amount_of(older) == pytest.approx(12 * 416.67), "another unit: converted"
    assert REAIS_A_MONTH.income_label() == "Renda (R$ por mês)"
    _in("en", monkeypatch)
    assert StoreMoney().with_model_value({"annual_income": 45.5, "income": None}) == "45.5"
    assert StoreMoney().income_label() == "Annual income (k$)"


DRIFT = {
    "age": {"store": {"count": 3, "p25": 30.0, "median": 40.0, "p75": 52.0}, "training": None},
    "annual_income": {
        "store": {"count": 3, "p25": 19.2, "median": 45.5, "p75": 60.0},
        "training": {"count": 200, "p25": 41.5, "median": 61.5, "p75": 78.0},
    },
}


def test_drift_history_and_warnings_read_incomes_in_the_stores_unit(monkeypatch):
    _in("pt-BR", monkeypatch)
    rows = drift_rows(DRIFT, REAIS_A_MONTH)
    incomes = [row for row in rows if row["O quê"] == "Renda (R$ por mês)"]
    assert [(row["De quem"], row["Mediana"], row["Metade do meio"]) for row in incomes] == [
        ("Sua loja", "18.958", "8.000 a 25.000"),
        ("Dados de treino", "25.625", "17.292 a 32.500"),
    ]
    assert not any("mil $" in str(value) for row in rows for value in row.values())
    model_unit = drift_rows(DRIFT, StoreMoney())
    assert [row["Mediana"] for row in model_unit if row["O quê"] == "Renda anual (mil $)"] == ["46", "62"]

    history = pd.DataFrame(
        [
            {
                "created_at": pd.Timestamp("2026-12-06T10:00:00Z"),
                "spending_score": 50.0,
                "low": 30.0,
                "high": 70.0,
                "band": "medium",
                "gender": "Feminino",
                "age": 40,
                "annual_income": 8000 / 416.67,
                "model_version": "m1",
            }
        ]
    )
    chart = history_chart(history, REAIS_A_MONTH).to_dict()
    [points] = [layer for layer in chart["layer"] if "tooltip" in layer.get("encoding", {})]
    assert {"field": "Renda (R$ por mês)", "type": "nominal"} in points["encoding"]["tooltip"]
    [rows_data] = [rows for rows in chart["datasets"].values() if rows and "Renda (R$ por mês)" in rows[0]]
    assert rows_data[0]["Renda (R$ por mês)"] == "8.000"

    warning = {"warnings": ["annual_income 400.0 is outside the training range 15.0-137.0 k$"]}
    [sentence] = prediction_warnings(warning, REAIS_A_MONTH)
    assert "R$ 166.668/mês" in sentence and "(R$ 6.250/mês a R$ 57.084/mês)" in sentence
    assert "mil $" not in sentence
    _in("en", monkeypatch)
    [sentence] = prediction_warnings(warning)
    assert "An income of 400 k$ lies outside" in sentence and "(15 to 137 k$)" not in sentence
    assert "(15 k$ to 137 k$)" in sentence
    assert drift_rows(DRIFT, REAIS_A_MONTH)[2]["What"] == "Income (R$ per month)"


def _customer(score: float, segment_id: str, *, modes=None, source="predicted"):  # type: ignore[no-untyped-def]
    band = "low" if score < 25 else "high" if score > 75 else "medium"
    prediction = {"status": "done", "spending_score": score, "band": band, "modes": modes}
    segment = {"id": segment_id, "name": {"en": segment_id}, "description": {"en": ""}}
    return {"latest_prediction": prediction, "segment": segment, "segment_source": source}


@pytest.mark.parametrize(
    ("customer", "named"),
    [
        (_customer(70, "high-income-high-spending"), False),  # "medium" beside "high spending": not named
        (_customer(80, "high-income-high-spending"), True),
        (_customer(50, "average-income-average-spending"), True),
        (_customer(49, "high-income-high-spending", modes=[21.0, 82.0]), True),  # one of the two kinds
        (_customer(49, "low-income-low-spending", modes=[60.0, 82.0]), False),
        (_customer(70, "high-income-low-spending", source="observed"), True),  # the owner's real score
        (_customer(70, "savers"), True),  # not named by spending: nothing to contradict
    ],
)
def test_a_predicted_segment_is_named_only_when_the_band_agrees(customer, named):
    assert (shown_segment(customer) is not None) is named


def test_the_two_kinds_sentence_says_where_the_score_stands(monkeypatch):
    _in("pt-BR", monkeypatch)
    sentence = interval_sentence({"spending_score": 49.2, "modes": [82.0, 21.0]})
    assert "por volta de 21, outros por volta de 82; 49 é a média dos dois" in sentence


def _text_input(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    [field] = [field for field in at.text_input if field.label == label]
    return field


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(widget for widget in at.button if widget.label == label)


def test_a_store_in_reais_a_month_types_reais_and_sees_the_model_value(app_test, fake, submit_login):
    app_test.context["locale"] = "pt-BR"
    app_test.run()
    at = submit_login(app_test, "owner@example.com", "owner-password")
    at.switch_page("app_pages/account.py").run()
    [currency] = [box for box in at.selectbox if box.label == "Moeda"]
    currency.select("BRL")
    [period] = [radio for radio in at.radio if radio.label == "Período"]
    period.set_value("month")
    [thousands] = [box for box in at.checkbox if box.label == "Valores em milhares"]
    thousands.uncheck()
    _text_input(at, "Quantos destes equivalem a 1 mil $ por ano para o modelo *").input("416,67")
    _button(at, "Salvar o dinheiro da loja").click().run()
    assert not at.exception
    [settings] = fake.store_settings.values()
    assert (settings.currency, settings.period, settings.in_thousands) == ("BRL", "month", False)
    assert settings.units_per_model_unit == 416.67

    at.switch_page("app_pages/customers.py").run()
    _button(at, "Adicionar cliente").click().run()
    _text_input(at, "Nome *").input("Ana Lima")
    [gender] = [radio for radio in at.radio if radio.key == "create_customer_gender"]
    gender.set_value("female")
    _text_input(at, "Idade *").input("34")
    _text_input(at, "Renda (R$ por mês) *").input("8.000")  # 19,2 k$: inside the training incomes
    _button(at, "Criar cliente").click().run()
    [customer] = fake.customers.values()
    assert customer["income_amount"] == 8000.0
    assert customer["annual_income"] == pytest.approx(8000 / 416.67)

    at.query_params["id"] = customer["id"]
    at.switch_page("app_pages/customer.py").run()
    assert [metric.value for metric in at.metric if metric.label == "Renda (R$ por mês)"] == ["8.000"]
    captions = [caption.value for caption in at.caption]
    assert any("8\\.000/mês ≈ 19,2 mil" in caption and "para o modelo" in caption for caption in captions)
