"""GET /customers/export with the list's search, filters and sort gives exactly the filtered list."""

import csv
import io

import openpyxl
import pytest

PEOPLE = [
    ("Maria Silva", "female", 30, 120.0),
    ("Mario Souza", "male", 41, 15.0),
    ("Joana Maria", "female", 52, 64.5),
    ("Pedro Alves", "male", 23, 99.0),
    ("Maria Clara", "female", 35, 42.0),
]


@pytest.fixture
async def people(api, owner, other_owner):
    for name, gender, age, income in PEOPLE:
        await api.create_customer(owner, name=name, gender=gender, age=age, annual_income=income)
    await api.create_customer(other_owner, name="Maria Other", gender="female")


async def _listed(api, owner, query: str) -> list[str]:
    response = await api.client.get(f"/customers?limit=200&{query}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def _exported_csv(api, owner, query: str) -> list[str]:
    response = await api.client.get(f"/customers/export?{query}", headers=owner.headers)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [row["name"] for row in rows]


@pytest.mark.parametrize(
    "query",
    [
        "q=maria&sort=-annual_income",
        "gender=female&sort=age",
        "gender=male&sort=-age",
        "q=maria&gender=female&sort=name",
        "sort=-annual_income",
        "q=nobody",
    ],
)
async def test_the_export_is_the_filtered_list(api, owner, people, query):
    assert await _exported_csv(api, owner, query) == await _listed(api, owner, query)


async def test_the_xlsx_export_is_the_filtered_list_too(api, owner, people):
    query = "q=maria&sort=-annual_income"
    response = await api.client.get(f"/customers/export?format=xlsx&{query}", headers=owner.headers)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == await _listed(api, owner, query)


async def test_without_filters_it_is_every_customer_by_name(api, owner, people):
    assert await _exported_csv(api, owner, "") == sorted(name for name, *_ in PEOPLE)


@pytest.mark.parametrize("query", ["sort=email", "gender=x", "band=huge", "q=" + "a%20" * 9])
async def test_bad_filters_are_422_naming_the_field(api, owner, query):
    response = await api.client.get(f"/customers/export?{query}", headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == query.split("=")[0]
