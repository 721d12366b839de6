"""Exports in the caller's language (issue 23 item 6) and contacts in files (issue 24 item 8): the
headers, words, sheet name and local dates a person reads, and every such file re-importing to the
same customers."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

CUSTOMERS = [
    {
        "name": "Ana Conceição",
        "gender": "female",
        "age": 34,
        "annual_income": 45.5,
        "external_id": "C-1",
        "observed_score": 77,
        "phone": "(11) 98765-4321",
        "email": "ana@example.com",
    },
    {"name": "João, Silva", "gender": "male", "age": 52, "annual_income": 120, "external_id": "C-2"},
    {"name": "=Bia", "gender": "female", "age": 23, "annual_income": 15.25, "phone": "+351 912 345 678"},
]
PORTUGUESE_HEADER = [
    "Código",
    "Nome",
    "Gênero",
    "Idade",
    "Renda anual (mil $)",
    "Pontuação prevista",
    "Faixa",
    "Intervalo mínimo",
    "Intervalo máximo",
    "Versão do modelo",
    "Previsto em (America/Sao_Paulo)",
    "Segmento",
    "Pontuação observada",
    "Telefone",
    "E-mail",
]


async def _customers_of(api, owner) -> set[tuple]:
    items = (await api.client.get("/customers?limit=200", headers=owner.headers)).json()["items"]
    return {
        (c["external_id"], c["name"], c["gender"], c["age"], c["annual_income"], c["observed_score"])
        + (c["phone"], c["email"])
        for c in items
    }


def _csv_rows(content: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


async def test_the_portuguese_export_speaks_portuguese_and_reimports(live_api, live_owner, live_stack):
    for customer in CUSTOMERS:
        await live_api.create_customer(live_owner, **customer)
    plain = await live_api.client.get("/customers/export", headers=live_owner.headers)
    predicted_at = {row["name"]: row["predicted_at"] for row in csv.DictReader(io.StringIO(plain.text[1:]))}

    exported = await live_api.client.get("/customers/export?lang=pt-BR", headers=live_owner.headers)

    assert exported.status_code == 200, exported.text
    header, *rows = _csv_rows(exported.content, ";")
    assert header == PORTUGUESE_HEADER
    ana = dict(zip(header, next(row for row in rows if row[1] == "Ana Conceição"), strict=True))
    assert (ana["Gênero"], ana["Renda anual (mil $)"], ana["Telefone"]) == (
        "Feminino",
        "45,5",
        "'+5511987654321",
    )
    assert ana["Faixa"] in {"baixa", "média", "alta"}
    listed = (await live_api.client.get("/customers", headers=live_owner.headers)).json()["items"]
    segment = next(c for c in listed if c["name"] == "Ana Conceição")["segment"]
    assert ana["Segmento"] == segment["name"]["pt-BR"] != segment["id"]
    local = datetime.fromisoformat(predicted_at["Ana Conceição"]).astimezone(ZoneInfo("America/Sao_Paulo"))
    assert ana["Previsto em (America/Sao_Paulo)"] == local.strftime("%d/%m/%Y %H:%M")
    other = live_stack.create_user()
    imported = await live_api.client.post(
        "/customers/import", files={"file": ("clientes.csv", exported.content)}, headers=other.headers
    )
    assert imported.status_code == 201, imported.text
    assert await _customers_of(live_api, other) == await _customers_of(live_api, live_owner)


async def test_the_english_workbook_reimports_to_the_same_customers(live_api, live_owner, live_stack):
    for customer in CUSTOMERS:
        await live_api.create_customer(live_owner, **customer)
    other = live_stack.create_user()

    exported = await live_api.client.get(
        "/customers/export?lang=en&format=xlsx&tz=Europe/Lisbon", headers=live_owner.headers
    )
    imported = await live_api.client.post(
        "/customers/import", files={"file": ("customers.xlsx", exported.content)}, headers=other.headers
    )

    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == len(CUSTOMERS)
    assert await _customers_of(live_api, other) == await _customers_of(live_api, live_owner)
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).worksheets[0]
    assert sheet.title == "Customers"
    assert sheet.cell(row=1, column=11).value == "Predicted at (Europe/Lisbon)"
    date_cell = sheet.cell(row=2, column=11)
    assert isinstance(date_cell.value, datetime)  # a date the spreadsheet formats, not text
    assert date_cell.number_format == "yyyy-mm-dd hh:mm"


async def test_the_english_export_names_its_columns_and_words_and_refuses_unknown_ones(api, owner):
    await api.create_customer(owner, name="Ana", gender="male", annual_income=45.5)

    exported = await api.client.get("/customers/export?lang=en&tz=America/Manaus", headers=owner.headers)

    header, row = _csv_rows(exported.content, ",")
    assert header[:5] == ["External id", "Name", "Gender", "Age", "Annual income (k$)"]
    assert header[10] == "Predicted at (America/Manaus)"
    assert (row[2], row[4]) == ("Male", "45.5")
    for query, field in (("lang=fr", "lang"), ("lang=pt-BR&tz=Mars/Olympus", "tz")):
        refused = await api.client.get(f"/customers/export?{query}", headers=owner.headers)
        assert refused.status_code == 422
        assert field in refused.text


async def test_contacts_import_in_portuguese_and_export(api, owner, caplog):
    content = (
        "código;nome;gênero;idade;renda anual;telefone;e-mail\n"
        "C-1;Ana;feminino;30;45,5;(11) 98765-4321;Ana@Example.COM\n"
        "C-2;Bruno;masculino;40;50;;\n"
    ).encode()

    imported = await api.client.post(
        "/customers/import", files={"file": ("c.csv", content)}, headers=owner.headers
    )

    assert imported.status_code == 201, imported.text
    found = {
        c["external_id"]: c
        for c in (await api.client.get("/customers", headers=owner.headers)).json()["items"]
    }
    assert (found["C-1"]["phone"], found["C-1"]["email"]) == ("+5511987654321", "Ana@example.com")
    assert found["C-1"]["whatsapp_url"] == "https://wa.me/5511987654321"
    assert found["C-2"]["phone"] is None
    rows = list(
        csv.DictReader(
            io.StringIO((await api.client.get("/customers/export", headers=owner.headers)).text[1:])
        )
    )
    assert {row["external_id"]: (row["phone"], row["email"]) for row in rows} == {
        "C-1": ("'+5511987654321", "Ana@example.com"),
        "C-2": ("", ""),
    }
    assert "98765" not in caplog.text and "Ana@" not in caplog.text

    # A re-import without contact columns keeps them; with the column, an empty cell clears.
    kept = b"external_id,name,gender,age,annual_income\nC-1,Ana,female,31,40\n"
    assert (
        await api.client.post("/customers/import", files={"file": ("k.csv", kept)}, headers=owner.headers)
    ).status_code == 201
    customer = (await api.client.get("/customers?q=C-1", headers=owner.headers)).json()["items"][0]
    assert (customer["age"], customer["phone"], customer["email"]) == (
        31,
        "+5511987654321",
        "Ana@example.com",
    )

    cleared = b"external_id,name,gender,age,annual_income,phone\nC-1,Ana,female,31,40,\n"
    assert (
        await api.client.post("/customers/import", files={"file": ("c.csv", cleared)}, headers=owner.headers)
    ).status_code == 201
    customer = (await api.client.get("/customers?q=C-1", headers=owner.headers)).json()["items"][0]
    assert (customer["phone"], customer["email"]) == (None, "Ana@example.com")


async def test_bad_contacts_are_refused_naming_line_and_field_not_the_value(api, owner, caplog):
    content = (
        b"name,gender,age,annual_income,phone,email\n"
        b"Ana,f,30,40,12345,ok@example.com\nBia,f,31,41,,no-at-sign\n"
    )

    for language, phone_words, email_words in (
        ("en", "The phone", "The e-mail"),
        ("pt-BR", "O telefone", "O e-mail"),
    ):
        response = await api.client.post(
            "/customers/import",
            files={"file": ("c.csv", content)},
            headers={**owner.headers, "Accept-Language": language},
        )

        assert response.status_code == 422
        problems = {
            (problem["line"], problem["field"]): problem["message"] for problem in response.json()["detail"]
        }
        assert set(problems) == {(2, "phone"), (3, "email")}
        assert problems[(2, "phone")].startswith(phone_words) and "12345" not in problems[(2, "phone")]
        assert problems[(3, "email")].startswith(email_words) and "no-at-sign" not in problems[(3, "email")]
    assert "12345" not in caplog.text and "no-at-sign" not in caplog.text


async def test_the_localized_export_gives_the_income_in_the_stores_unit_and_reimports(
    api, owner, other_owner
):
    reais = {"currency": "BRL", "period": "month", "in_thousands": False, "units_per_model_unit": 416}
    for someone in (owner, other_owner):
        stored = await api.client.put("/settings", json=reais, headers=someone.headers)
        assert stored.status_code == 200, stored.text
    await api.create_customer(owner, name="Ana", external_id="C-1", annual_income=10.5)

    exported = await api.client.get("/customers/export?lang=pt-BR", headers=owner.headers)

    header, row = _csv_rows(exported.content, ";")
    assert header[4] == "renda (R$ por mês)"
    assert row[4] == "4368"  # 10,5 k$ a year at R$ 416 a month for each
    imported = await api.client.post(
        "/customers/import", files={"file": ("c.csv", exported.content)}, headers=other_owner.headers
    )
    assert imported.status_code == 201, imported.text
    [customer] = (await api.client.get("/customers", headers=other_owner.headers)).json()["items"]
    assert customer["annual_income"] == pytest.approx(10.5)
