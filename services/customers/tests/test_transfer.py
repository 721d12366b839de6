"""CSV import (every bad-row case, all or nothing) and export, with inference down."""

import csv
import io

import pytest

HEADER = "name,gender,age,annual_income\n"


def _upload(content: bytes, filename: str = "customers.csv"):
    return {"file": (filename, io.BytesIO(content), "text/csv")}


async def _import(api, owner, content: bytes):
    return await api.client.post("/customers/import", files=_upload(content), headers=owner.headers)


async def test_import_stores_every_row_pending_when_inference_is_down(api, owner):
    content = (HEADER + "Ana,mulher,30,40\nBruno,M,45,80.5\n\n").encode()

    response = await _import(api, owner, content)

    assert response.status_code == 201
    assert response.json() == {"imported": 2, "pending_predictions": 2}
    listed = (await api.client.get("/customers?sort=name", headers=owner.headers)).json()
    assert [(c["name"], c["gender"], c["age"], c["annual_income"]) for c in listed["items"]] == [
        ("Ana", "female", 30, 40.0),
        ("Bruno", "male", 45, 80.5),
    ]
    assert {c["latest_prediction"]["status"] for c in listed["items"]} == {"pending"}


async def test_import_accepts_a_bom_quoted_fields_and_columns_in_any_order(api, owner):
    content = '\ufeffage,annual_income,gender,name,notes\n30,40,f,"Lima, Ana",vip\n'.encode()

    response = await _import(api, owner, content)

    assert response.status_code == 201
    assert (await api.client.get("/customers", headers=owner.headers)).json()["items"][0][
        "name"
    ] == "Lima, Ana"


async def test_every_bad_row_is_reported_and_nothing_is_stored(api, owner):
    content = (
        HEADER
        + "Good,f,30,40\n"  # line 2
        + "Bad Gender,x,30,40\n"  # line 3
        + "Too Old,m,121,40\n"  # line 4
        + "Negative,m,30,-1\n"  # line 5
        + ",f,30,40\n"  # line 6
        + ("L" * 201)
        + ",f,30,40\n"  # line 7
        + "Not A Number,f,abc,40\n"  # line 8
        + "Short Row,f,30\n"  # line 9
        + "Rich,f,30,100001\n"  # line 10
        + "Two Problems,q,-3,40\n"  # line 11
    ).encode()

    response = await _import(api, owner, content)

    assert response.status_code == 422
    problems = [(problem["line"], problem["field"]) for problem in response.json()["detail"]]
    assert problems == [
        (3, "gender"),
        (4, "age"),
        (5, "annual_income"),
        (6, "name"),
        (7, "name"),
        (8, "age"),
        (9, "row"),
        (10, "annual_income"),
        (11, "gender"),
        (11, "age"),
    ]
    assert all(problem["reason"] for problem in response.json()["detail"])
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 0


@pytest.mark.parametrize(
    ("content", "field", "reason_part"),
    [
        (b"", "header", "missing"),
        (b"\n\n", "header", "missing"),
        (b"name,gender,age\nAna,f,30\n", "header", "annual_income"),
        (b"Ana,f,30,40\n", "header", "missing column"),
        (HEADER.encode(), "file", "no customer rows"),
        (HEADER.encode() + "Jos\u00e9,m,30,40\n".encode("latin-1"), "file", "UTF-8"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "file", "UTF-8"),
    ],
)
async def test_unreadable_files_are_422(api, owner, content, field, reason_part):
    response = await _import(api, owner, content)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert reason_part in response.json()["detail"][0]["reason"]


async def test_more_than_10000_rows_is_422_and_10000_rows_import(api, owner):
    rows = "".join(f"Customer {index},f,30,40\n" for index in range(10_000))

    too_many = await _import(api, owner, (HEADER + rows + "One More,m,20,20\n").encode())
    assert too_many.status_code == 422
    assert too_many.json()["detail"] == [{"line": None, "field": "file", "reason": "more than 10000 rows"}]

    exactly = await _import(api, owner, (HEADER + rows).encode())
    assert exactly.status_code == 201
    assert exactly.json()["imported"] == 10_000


async def test_the_file_field_is_required(api, owner):
    response = await api.client.post("/customers/import", headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


async def test_export_streams_every_customer_of_the_owner(api, owner):
    assert (await api.client.get("/customers/export", headers=owner.headers)).text == (
        "id,name,gender,age,annual_income,spending_score,band,created_at\n"
    )
    created = [await api.create_customer(owner, name=f'Name "{index}", Jr') for index in range(3)]

    response = await api.client.get("/customers/export", headers=owner.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == [customer["id"] for customer in created]
    assert rows[0]["name"] == 'Name "0", Jr'
    assert rows[0]["spending_score"] == rows[0]["band"] == ""


async def test_export_defuses_formulas_and_import_restores_the_names(api, owner, other_owner):
    names = ['=HYPERLINK("http://evil.example")', "+1-555", "@SUM(A1)", "-minus", "'quoted already"]
    for name in names:
        created = await api.client.post(
            "/customers",
            json={"name": name, "gender": "f", "age": 30, "annual_income": 40},
            headers=owner.headers,
        )
        assert created.status_code == 201

    exported = (await api.client.get("/customers/export", headers=owner.headers)).text
    cells = {row["name"] for row in csv.DictReader(io.StringIO(exported))}
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert "'quoted already" in cells  # nothing to defuse: left as it is

    imported = await api.client.post(
        "/customers/import", files=_upload(exported.encode()), headers=other_owner.headers
    )
    assert imported.status_code == 201
    listed = (await api.client.get("/customers?limit=200", headers=other_owner.headers)).json()["items"]
    assert sorted(item["name"] for item in listed) == sorted(names)
