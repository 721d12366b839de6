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


REAIS = {"currency": "brl", "period": "month", "units_per_model_unit": 416}


async def _put(api, owner, **values):
    response = await api.client.put("/settings", json=values, headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_settings_default_to_the_model_unit_and_are_kept_per_owner(api, owner, other_owner):
    default = (await api.client.get("/settings", headers=owner.headers)).json()
    assert default == {
        "currency": "USD",
        "period": "year",
        "in_thousands": True,
        "units_per_model_unit": 1.0,
        "units_set_at": None,
        "is_model_unit": True,
    }
    stored = await _put(api, owner, **REAIS)
    assert (stored["currency"], stored["period"], stored["in_thousands"]) == ("BRL", "month", False)
    assert stored["units_set_at"] is not None and not stored["is_model_unit"]
    again = await _put(api, owner, **{**REAIS, "currency": "EUR"})
    assert again["units_set_at"] == stored["units_set_at"], "the factor's date moves only with the factor"
    assert (await _put(api, owner, **{**REAIS, "units_per_model_unit": 400}))["units_set_at"] > stored[
        "units_set_at"
    ]
    assert (await api.client.get("/settings", headers=other_owner.headers)).json() == default


BAD_SETTINGS = [
    ({**REAIS, "currency": "R$"}, "currency"),
    ({**REAIS, "currency": "REAL"}, "currency"),
    ({**REAIS, "period": "week"}, "period"),
    ({**REAIS, "units_per_model_unit": 0}, "units_per_model_unit"),
    ({**REAIS, "units_per_model_unit": -3}, "units_per_model_unit"),
    ({**REAIS, "units_per_model_unit": 1e30}, "units_per_model_unit"),
    ({"currency": "BRL", "period": "month"}, "units_per_model_unit"),
    ({**REAIS, "rate_source": "bcb"}, "rate_source"),
]


async def test_bad_settings_are_refused_naming_the_field(api, owner):
    for values, field in BAD_SETTINGS:
        response = await api.client.put("/settings", json=values, headers=owner.headers)
        assert response.status_code == 422, values
        assert field in {error["loc"][-1] for error in response.json()["detail"]}, values
    assert (await api.client.get("/settings", headers=owner.headers)).json()["is_model_unit"]


async def test_a_customer_typed_in_the_stores_unit_keeps_the_amount_and_its_model_income(api, owner):
    await _put(api, owner, **REAIS)
    created = await api.create_customer(owner, annual_income=None, income_amount=4500)
    assert created["annual_income"] == pytest.approx(4500 / 416)
    assert created["income"] == {
        "amount": 4500.0,
        "currency": "BRL",
        "period": "month",
        "in_thousands": False,
        "units_per_model_unit": 416.0,
    }
    await _put(api, owner, **{**REAIS, "units_per_model_unit": 500})
    shown = (await api.client.get(f"/customers/{created['id']}", headers=owner.headers)).json()
    assert shown["income"]["units_per_model_unit"] == 416.0, "the unit it was entered in, not today's"
    assert shown["annual_income"] == pytest.approx(4500 / 416)

    patched = await api.client.patch(
        f"/customers/{created['id']}", json={"income_amount": 5000}, headers=owner.headers
    )
    assert patched.json()["annual_income"] == pytest.approx(10.0)
    assert patched.json()["income"]["amount"] == 5000.0
    history = (await api.client.get(f"/customers/{created['id']}/predictions", headers=owner.headers)).json()
    assert [row["annual_income"] for row in history] == pytest.approx([4500 / 416, 10.0])

    in_model_unit = await api.client.patch(
        f"/customers/{created['id']}", json={"annual_income": 30}, headers=owner.headers
    )
    assert in_model_unit.json()["income"] == {
        "amount": 30.0,
        "currency": "USD",
        "period": "year",
        "in_thousands": True,
        "units_per_model_unit": 1.0,
    }


async def test_incomes_are_one_of_two_fields_and_bounded_after_conversion(api, owner):
    await _put(api, owner, **{**REAIS, "units_per_model_unit": 0.001})
    cases = [
        ({"annual_income": 50, "income_amount": 4500}, "income_amount"),
        ({"annual_income": None}, "annual_income"),
        ({"annual_income": None, "income_amount": -1}, "income_amount"),
        ({"annual_income": None, "income_amount": 1000}, "income_amount"),  # 1,000,000 k$ for the model
    ]
    for overrides, field in cases:
        response = await api.client.post("/customers", json=api.payload(**overrides), headers=owner.headers)
        assert response.status_code == 422, overrides
        assert field in str(response.json()["detail"]), response.text
    created = await api.create_customer(owner)
    both = await api.client.patch(
        f"/customers/{created['id']}", json={"annual_income": 1, "income_amount": 1}, headers=owner.headers
    )
    assert both.status_code == 422


async def test_the_template_and_the_import_use_the_stores_unit(api, owner):
    await _put(api, owner, **REAIS)
    headers = {**owner.headers, "Accept-Language": "pt-BR"}
    template = await api.client.get("/customers/import/template?delimiter=semicolon", headers=headers)
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(';"renda (R$ por mês)"'), lines[0]
    assert lines[1].endswith(";21840"), lines[1]  # 52.5 k$ a year at R$ 416 a month each

    imported = await api.client.post(
        "/customers/import", files={"file": ("t.csv", template.content)}, headers=headers
    )
    assert imported.status_code == 201, imported.text
    listed = (await api.client.get("/customers?sort=name", headers=owner.headers)).json()["items"]
    assert [(item["income"]["amount"], item["annual_income"]) for item in listed] == [
        (21840.0, pytest.approx(52.5)),
        (29120.0, pytest.approx(70.0)),
    ]
    as_model = b"name,gender,age,annual_income\nAna,f,30,45.5\n"
    response = await api.client.post(
        "/customers/import", files={"file": ("m.csv", as_model)}, headers=headers
    )
    assert response.status_code == 201
    ana = (await api.client.get("/customers?q=ana", headers=owner.headers)).json()["items"][0]
    assert ana["annual_income"] == 45.5 and ana["income"]["currency"] == "USD"
