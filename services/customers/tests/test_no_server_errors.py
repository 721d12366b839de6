"""Inputs and races that once answered 500 (issue 30, item 4): control characters in names, a
customer stored with one exported as .xlsx, a write racing a DELETE, JSON under any media type case."""

import io
import uuid

import asyncpg
import openpyxl
import pytest

from customers_service import customer_reads, customers
from customers_service.errors import CustomerNotFound
from customers_service.schemas import CustomerUpdate


@pytest.mark.parametrize("name", ["Ana\u0001", "Ana\x0bSouza", "Ana\nSouza"])
async def test_a_control_character_in_a_name_is_a_422_naming_the_field(api, owner, name):
    response = await api.client.post("/customers", json=api.payload(name=name), headers=owner.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


async def test_a_control_character_in_a_csv_name_is_reported_on_its_line(api, owner):
    content = b"name,gender,age,annual_income\nAna\x0bSouza,f,30,40\nBia,f,31,41\n"

    response = await api.client.post(
        "/customers/import",
        files={"file": ("customers.csv", io.BytesIO(content), "text/csv")},
        headers=owner.headers,
        params={"mode": "partial"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 1
    [problem] = response.json()["rejected"]
    assert (problem["line"], problem["field"]) == (2, "name")


async def test_a_stored_control_character_does_not_break_the_xlsx_export(api, owner, customers_database_url):
    created = await api.create_customer(owner, name="Ana Souza")
    # Stored before names refused control characters.
    connection = await asyncpg.connect(customers_database_url)
    try:
        await connection.execute(
            "UPDATE customer SET name = $1 WHERE id = $2", "Ana\x01 Souza\x0b", uuid.UUID(created["id"])
        )
    finally:
        await connection.close()

    response = await api.client.get("/customers/export?format=xlsx", headers=owner.headers)

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Ana Souza"]


@pytest.mark.parametrize("values", [CustomerUpdate(name="Bia"), CustomerUpdate(age=44)])
async def test_an_update_racing_a_delete_is_not_found(api, owner, values):
    created = await api.create_customer(owner)
    sessionmaker = api.app.state.sessionmaker
    async with sessionmaker() as session:
        found = await customer_reads.get(
            session=session, owner_id=uuid.UUID(owner.id), customer_id=uuid.UUID(created["id"])
        )
        await session.commit()
        assert found is not None
        # The DELETE lands between the customer's read and the update's commit.
        deleted = await api.client.delete(f"/customers/{created['id']}", headers=owner.headers)
        assert deleted.status_code == 204

        with pytest.raises(CustomerNotFound):
            await customers.update_customer(
                session=session,
                inference=api.app.state.inference,
                token=owner.headers["Authorization"].split()[1],
                found=found,
                values=values,
                catalogue=api.app.state.segment_catalogue,
            )


@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/JSON; charset=utf-8", None])
async def test_a_lone_surrogate_is_refused_whatever_the_media_types_case(api, owner, content_type):
    body = b'{"name": "Ana \\ud800", "gender": "female", "age": 30, "annual_income": 40}'
    headers = {**owner.headers, **({"Content-Type": content_type} if content_type else {})}

    response = await api.client.post("/customers", content=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


async def test_a_csv_mixing_utf8_and_cp1252_is_refused_not_mangled(api, owner):
    content = "name,gender,age,annual_income\nJoão,m,30,40\n".encode() + "Conceição,f,31,41\n".encode(
        "cp1252"
    )

    response = await api.client.post(
        "/customers/import",
        files={"file": ("customers.csv", io.BytesIO(content), "text/csv")},
        headers={**owner.headers, "Accept-Language": "pt-BR"},
    )

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "file" and "linha 3" in problem["message"]


async def test_a_cp1252_csv_is_still_read(api, owner):
    content = "name,gender,age,annual_income\nConceição,f,31,41\n".encode("cp1252")

    response = await api.client.post(
        "/customers/import",
        files={"file": ("customers.csv", io.BytesIO(content), "text/csv")},
        headers=owner.headers,
    )

    assert response.status_code == 201
    listed = (await api.client.get("/customers", headers=owner.headers)).json()["items"]
    assert [customer["name"] for customer in listed] == ["Conceição"]


async def _upload_twice_around(api, owner, between, **headers):
    content = b"name,gender,age,annual_income\nAna,f,30,40\nBia,f,31,41\nBad,x,1,1\n"

    async def upload(extra):
        return await api.client.post(
            "/customers/import",
            files={"file": ("customers.csv", io.BytesIO(content), "text/csv")},
            headers={**owner.headers, **extra},
            params={"mode": "partial"},
        )

    first = await upload({})
    await between()
    return first, await upload(headers)


async def test_a_replayed_import_matches_what_is_stored_now(api, owner):
    # Issue 30, item 5: the same file after its customers were deleted is imported again.
    async def delete_them():
        for customer in (await api.client.get("/customers", headers=owner.headers)).json()["items"]:
            await api.client.delete(f"/customers/{customer['id']}", headers=owner.headers)

    first, second = await _upload_twice_around(api, owner, delete_them)

    assert first.json()["imported"] == second.json()["imported"] == 2
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 2


async def test_a_replayed_import_speaks_the_callers_language(api, owner):
    async def nothing():
        return None

    first, second = await _upload_twice_around(api, owner, nothing, **{"Accept-Language": "pt-BR"})

    assert second.json()["imported"] == 2  # the replay: nothing stored twice
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 2
    assert "not a gender" in first.json()["rejected"][0]["message"]
    assert "não é um gênero" in second.json()["rejected"][0]["message"]
