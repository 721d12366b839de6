"""Export (CSV with `,` or `;`, .xlsx) and the import template: what spreadsheets open, round trips
back through the import, formulas defused whatever the reader splits on."""

import csv
import io

import openpyxl
import pytest

CUSTOMERS = [
    {"name": "João Conceição", "gender": "male", "age": 41, "annual_income": 70.5, "external_id": "C-2"},
    {
        "name": "Ana, Lima",
        "gender": "female",
        "age": 30,
        "annual_income": 40,
        "external_id": "C-1",
        "observed_score": 77,
    },
    {"name": 'Bia "B" Sá', "gender": "female", "age": 22, "annual_income": 15.25},
    {"name": "x;=cmd|' /C calc'!A0", "gender": "male", "age": 50, "annual_income": 99},
    {"name": '=HYPERLINK("http://evil.example")', "gender": "female", "age": 60, "annual_income": 0},
    {"name": "-minus, +plus;@at", "gender": "female", "age": 33, "annual_income": 12},
]


async def _create_all(api, owner) -> None:
    for customer in CUSTOMERS:
        created = await api.client.post("/customers", json=customer, headers=owner.headers)
        assert created.status_code == 201, created.text


async def _customers_of(api, owner) -> set[tuple]:
    items = (await api.client.get("/customers?limit=200", headers=owner.headers)).json()["items"]
    return {
        (c["external_id"], c["name"], c["gender"], c["age"], c["annual_income"], c["observed_score"])
        for c in items
    }


def _expected() -> set[tuple]:
    return {
        (
            c.get("external_id"),
            c["name"],
            c["gender"],
            c["age"],
            float(c["annual_income"]),
            c.get("observed_score"),
        )
        for c in CUSTOMERS
    }


async def test_an_empty_export_is_the_bom_and_the_header(api, owner):
    response = await api.client.get("/customers/export", headers=owner.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.decode("utf-8") == (
        '\ufeff"external_id","name","gender","age","annual_income","spending_score","band",'
        '"interval_low","interval_high","model_version","predicted_at","segment","observed_score",'
        '"phone","email"\r\n'
    )


async def test_export_is_ordered_by_name_then_id_and_quotes_every_text_cell(api, owner):
    for name in ("Carla", "Ana", "Bruno", "Carla"):
        await api.create_customer(owner, name=name, annual_income=45.5)

    response = await api.client.get("/customers/export", headers=owner.headers)

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["name"] for row in rows] == ["Ana", "Bruno", "Carla", "Carla"]
    assert rows[0]["spending_score"] == rows[0]["band"] == rows[0]["predicted_at"] == ""  # pending
    assert response.content.decode("utf-8-sig").splitlines()[1] == ',"Ana","female",31,45.5,,,,,,,,,,'


@pytest.mark.parametrize("params", [{}, {"delimiter": "semicolon"}, {"format": "xlsx"}])
async def test_export_then_import_gives_the_same_customers(api, owner, other_owner, params):
    await _create_all(api, owner)

    exported = await api.client.get("/customers/export", headers=owner.headers, params=params)
    assert exported.status_code == 200
    filename = "customers.xlsx" if params.get("format") == "xlsx" else "customers.csv"
    imported = await api.client.post(
        "/customers/import", files={"file": (filename, exported.content)}, headers=other_owner.headers
    )

    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == len(CUSTOMERS)
    assert await _customers_of(api, other_owner) == _expected()


async def test_semicolon_export_writes_decimal_commas(api, owner):
    await api.create_customer(owner, name="Ana", annual_income=45.5)

    text = (await api.client.get("/customers/export?delimiter=semicolon", headers=owner.headers)).text

    assert text.splitlines()[1] == ';"Ana";"female";31;45,5;;;;;;;;;;'


@pytest.mark.parametrize(("delimiter", "separator"), [("comma", ","), ("semicolon", ";")])
async def test_no_cell_part_starts_a_formula_whatever_the_reader_splits_on(api, owner, delimiter, separator):
    await _create_all(api, owner)

    text = (await api.client.get(f"/customers/export?delimiter={delimiter}", headers=owner.headers)).text

    for line in text.lstrip("\ufeff").splitlines()[1:]:
        # A reader that honours the quotes, and naive ones that split on any usual delimiter.
        cells = next(csv.reader([line], delimiter=separator))
        parts = [part for splitter in (",", ";", "\t") for part in line.split(splitter)]
        for piece in cells + parts:
            stripped = piece.strip('"')
            assert not stripped.startswith(("=", "+", "@")), (piece, line)
            assert not (stripped.startswith("-") and not stripped[1:2].isdigit()), (piece, line)
    assert "\"x;'=cmd|' /C calc'!A0\"" in text


async def test_xlsx_export_holds_text_cells_never_formulas(api, owner):
    await _create_all(api, owner)

    response = await api.client.get("/customers/export?format=xlsx", headers=owner.headers)

    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]][:5] == ["external_id", "name", "gender", "age", "annual_income"]
    names = {row[1].value: row[1].data_type for row in rows[1:]}
    assert names['=HYPERLINK("http://evil.example")'] == "s"
    assert set(names) == {customer["name"] for customer in CUSTOMERS}


@pytest.mark.parametrize(
    ("language", "header"),
    [
        ("en-US,en;q=0.9", '\ufeff"external_id","name","gender","age","annual_income"'),
        ("pt-BR,pt;q=0.9", '\ufeff"código","nome","gênero","idade","renda_anual"'),
    ],
)
async def test_the_template_is_in_the_callers_language_and_imports(api, owner, language, header):
    headers = {**owner.headers, "Accept-Language": language}

    template = await api.client.get("/customers/import/template", headers=headers)

    assert template.status_code == 200
    assert template.content.decode().splitlines()[0] == header
    assert len(template.content.decode().splitlines()) == 3
    imported = await api.client.post(
        "/customers/import", files={"file": ("template.csv", template.content)}, headers=owner.headers
    )
    assert imported.json()["imported"] == 2


async def test_the_xlsx_template_imports(api, owner):
    headers = {**owner.headers, "Accept-Language": "pt-BR"}
    template = await api.client.get(
        "/customers/import/template?format=xlsx&delimiter=semicolon", headers=headers
    )

    imported = await api.client.post(
        "/customers/import", files={"file": ("modelo.xlsx", template.content)}, headers=owner.headers
    )

    assert imported.status_code == 201, imported.text
    assert {c[1] for c in await _customers_of(api, owner)} == {"Ana Souza", "João Silva"}
