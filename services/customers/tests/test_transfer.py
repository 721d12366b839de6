"""Import of customers files (every bad-row case, all or nothing or partial, dialects, encodings,
.xlsx, external ids), with inference down."""

import io
from pathlib import Path

import openpyxl
import pytest

HEADER = "name,gender,age,annual_income\n"
MALL_CUSTOMERS = Path(__file__).resolve().parents[2] / "inference" / "data" / "Mall_Customers.csv"
PUBLISHED_HEADER = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"


def _upload(content: bytes, filename: str = "customers.csv"):
    return {"file": (filename, io.BytesIO(content), "text/csv")}


async def _import(api, owner, content: bytes, filename: str = "customers.csv", **params):
    return await api.client.post(
        "/customers/import", files=_upload(content, filename), headers=owner.headers, params=params
    )


async def _listed(api, owner) -> list[dict]:
    response = await api.client.get("/customers?sort=name&limit=200", headers=owner.headers)
    return response.json()["items"]


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_import_stores_every_row_pending_when_inference_is_down(api, owner):
    content = (HEADER + "Ana,mulher,30,40\nBruno,M,45,80.5\n\n").encode()

    response = await _import(api, owner, content)

    assert response.status_code == 201
    assert response.json() == {"imported": 2, "updated": 0, "pending_predictions": 2, "rejected": []}
    listed = await _listed(api, owner)
    assert [(c["name"], c["gender"], c["age"], c["annual_income"]) for c in listed] == [
        ("Ana", "female", 30, 40.0),
        ("Bruno", "male", 45, 80.5),
    ]
    assert {c["latest_prediction"]["status"] for c in listed} == {"pending"}


async def test_import_accepts_a_bom_quoted_fields_and_columns_in_any_order(api, owner):
    content = '\ufeffage,annual_income,gender,name,notes\n30,40,f,"Lima, Ana",vip\n'.encode()

    response = await _import(api, owner, content)

    assert response.status_code == 201
    assert (await _listed(api, owner))[0]["name"] == "Lima, Ana"


async def test_semicolons_with_decimal_commas_as_excel_writes_them_in_portuguese(api, owner):
    content = 'Nome;Gênero;Idade;Renda Anual\n"Souza; Ana";feminino;30;45,5\nJoão;masculino;41;70\n'.encode()

    response = await _import(api, owner, content)

    assert response.status_code == 201, response.text
    assert [(c["name"], c["annual_income"]) for c in await _listed(api, owner)] == [
        ("João", 70.0),
        ("Souza; Ana", 45.5),
    ]


async def test_tab_separated(api, owner):
    response = await _import(api, owner, b"name\tgender\tage\tannual_income\nAna\tf\t30\t40,5\n")

    assert response.status_code == 201, response.text
    assert (await _listed(api, owner))[0]["annual_income"] == 40.5


async def test_windows_1252_and_latin_1_files(api, owner):
    windows = "nome;sexo;idade;renda\nConceição “Ção”;f;30;40\n".encode("cp1252")
    latin = "NOME,SEXO,IDADE,RENDA\nJosé Sá,m,50,60\n".encode("latin-1")

    assert (await _import(api, owner, windows)).status_code == 201
    assert (await _import(api, owner, latin)).status_code == 201
    assert {c["name"] for c in await _listed(api, owner)} == {"Conceição “Ção”", "José Sá"}


async def test_utf8_with_a_bom_from_excel(api, owner):
    content = "\ufeffName;Gender;Age;Annual Income (k$)\nÅsa Øberg;female;30;40\n".encode()

    assert (await _import(api, owner, content)).status_code == 201
    assert (await _listed(api, owner))[0]["name"] == "Åsa Øberg"


async def test_an_xlsx_workbook_first_sheet(api, owner):
    content = _xlsx([["Código", "Nome", "Gênero", "Idade", "Renda anual"], [7, "Ana", "F", 30, 40.5]])

    response = await _import(api, owner, content, filename="clientes.xlsx")

    assert response.status_code == 201, response.text
    [customer] = await _listed(api, owner)
    assert (customer["external_id"], customer["name"], customer["annual_income"]) == ("7", "Ana", 40.5)


@pytest.mark.parametrize("header", [None, PUBLISHED_HEADER])
async def test_the_mall_customers_file_as_published_imports_all_200(api, owner, header):
    lines = MALL_CUSTOMERS.read_text().splitlines()
    if header is not None:
        lines[0] = header

    response = await _import(api, owner, "\r\n".join(lines).encode())

    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 200
    found = (await api.client.get("/customers?q=17", headers=owner.headers)).json()["items"]
    # "Customer 17" to "Customer 179" (a word starting with 17); the external id 17 is among them.
    assert len(found) == 11
    # The file's spending score is the customer's observed score.
    assert ("17", "Customer 17", 35, 35) in [
        (c["external_id"], c["name"], c["age"], c["observed_score"]) for c in found
    ]


async def test_a_retried_upload_is_answered_with_the_first_result(api, owner, other_owner):
    content = (HEADER + "Ana,f,30,40\nBruno,m,45,80\n").encode()

    first = await _import(api, owner, content)
    again = await _import(api, owner, content)
    another_owner = await _import(api, other_owner, content)
    changed = await _import(api, owner, content + b"Carla,f,20,10\n")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert another_owner.json()["imported"] == 2
    assert changed.json()["imported"] == 3
    assert len(await _listed(api, owner)) == 5


async def test_reimport_by_external_id_updates_and_adds_a_prediction_when_the_model_inputs_change(api, owner):
    first = await _import(api, owner, b"id,name,gender,age,annual_income\nA1,Ana,f,30,40\nB2,Bruno,m,45,80\n")
    assert first.json()["imported"] == 2

    second = await _import(
        api,
        owner,
        b"id,name,gender,age,annual_income\nA1,Ana Lima,f,30,40\nB2,Bruno,m,46,80\nC3,Carla,f,20,10\n",
    )

    assert second.status_code == 201, second.text
    assert second.json() == {"imported": 1, "updated": 2, "pending_predictions": 2, "rejected": []}
    by_id = {c["external_id"]: c for c in await _listed(api, owner)}
    assert (by_id["A1"]["name"], by_id["B2"]["age"]) == ("Ana Lima", 46)
    histories = {
        key: (
            await api.client.get(f"/customers/{by_id[key]['id']}/predictions", headers=owner.headers)
        ).json()
        for key in ("A1", "B2")
    }
    assert len(histories["A1"]) == 1  # a new name only: no new prediction
    assert [(point["status"], point["age"]) for point in histories["B2"]] == [
        ("pending", 45),
        ("pending", 46),
    ]


async def test_every_bad_row_is_reported_once_and_nothing_is_stored(api, owner):
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
        + "Nul\x00Name,f,30,40\n"  # line 12
        + "Infinite,f,30,inf\n"  # line 13
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
        (12, "name"),
        (13, "annual_income"),
    ]
    details = response.json()["detail"]
    assert all(problem["message"] and problem["reason"] == problem["message"] for problem in details)
    assert (
        details[0]["message"] == '"x" is not a gender we know: use male or female (also m, f, homem, mulher).'
    )
    assert "NUL" in details[-2]["message"]
    assert (await _listed(api, owner)) == []


async def test_problems_are_written_in_the_callers_language(api, owner):
    response = await api.client.post(
        "/customers/import",
        files=_upload(HEADER.encode() + b"Ana,f,trinta,40\n"),
        headers={**owner.headers, "Accept-Language": "pt-BR,pt;q=0.9,en;q=0.8"},
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "line": 2,
            "field": "age",
            "message": '"trinta" não é uma idade: use um número inteiro de 1 a 120.',
            "reason": '"trinta" não é uma idade: use um número inteiro de 1 a 120.',
        }
    ]


async def test_partial_mode_imports_the_good_rows_and_returns_the_bad_ones(api, owner):
    content = (HEADER + "Ana,f,30,40\nBad,x,30,40\nBruno,m,45,80\nWorse,f,200,40\n").encode()

    response = await _import(api, owner, content, mode="partial")

    assert response.status_code == 201
    body = response.json()
    assert (body["imported"], body["pending_predictions"]) == (2, 2)
    assert [(problem["line"], problem["field"]) for problem in body["rejected"]] == [
        (3, "gender"),
        (5, "age"),
    ]
    assert all(problem["message"] for problem in body["rejected"])
    assert [c["name"] for c in await _listed(api, owner)] == ["Ana", "Bruno"]


async def test_an_external_id_repeated_in_the_file_is_a_row_problem(api, owner):
    response = await _import(api, owner, b"codigo,nome,genero,idade,renda\n1,Ana,f,30,40\n1,Bia,f,31,40\n")

    assert response.status_code == 422
    assert response.json()["detail"][0]["line"] == 3
    assert response.json()["detail"][0]["field"] == "external_id"
    assert "line 2" in response.json()["detail"][0]["message"]


@pytest.mark.parametrize(
    ("content", "field", "message_part"),
    [
        (b"", "header", "first line must name the columns"),
        (b"\n\n", "header", "first line must name the columns"),
        (b"name,gender,age\nAna,f,30\n", "header", "annual income"),
        (b"Ana,f,30,40\n", "header", "is missing"),
        (HEADER.encode(), "file", "no customer rows"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "file", "CSV UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "file", ".xls"),
        (b"PK\x03\x04 not really a workbook", "file", ".xlsx"),
        (HEADER.encode() + b'"Ana,f,30,40\n', "row", "quote"),
    ],
)
async def test_unreadable_files_are_422(api, owner, content, field, message_part):
    response = await _import(api, owner, content)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert message_part in response.json()["detail"][0]["message"]


async def test_more_than_10000_rows_is_422_and_10000_rows_import(api, owner):
    rows = "".join(f"Customer {index},f,30,40\n" for index in range(10_000))

    too_many = await _import(api, owner, (HEADER + rows + "One More,m,20,20\n").encode())
    assert too_many.status_code == 422
    assert [(p["line"], p["field"]) for p in too_many.json()["detail"]] == [(None, "file")]
    assert "more than 10000" in too_many.json()["detail"][0]["message"]

    exactly = await _import(api, owner, (HEADER + rows).encode())
    assert exactly.status_code == 201
    assert exactly.json()["imported"] == 10_000


async def test_the_owner_customer_limit_is_a_409_on_import_and_create(
    settings_for, api_with, token_issuer, owner
):
    async with api_with(settings_for(max_customers_per_owner=3), token_issuer) as api:
        assert (await _import(api, owner, (HEADER + "A,f,30,40\nB,f,30,40\n").encode())).status_code == 201

        too_many = await _import(api, owner, (HEADER + "C,f,30,40\nD,f,30,40\n").encode())
        assert too_many.status_code == 409
        assert "limit of 3 customers" in too_many.json()["detail"]
        await api.create_customer(owner)
        refused = await api.client.post("/customers", json=api.payload(), headers=owner.headers)
        assert refused.status_code == 409
        assert len(await _listed(api, owner)) == 3


async def test_the_file_field_is_required(api, owner):
    response = await api.client.post("/customers/import", headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


async def test_an_upload_cut_off_mid_body_imports_nothing(api, owner):
    # What the server's pace rule (spendscore_common.http_protocol) leaves the app: half the file,
    # then http.disconnect. The same body whole imports its rows, so the test can tell.
    csv = (HEADER + "".join(f"Cut {index},female,30,50\n" for index in range(50))).encode()
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="customers.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + csv + b"\r\n--b--\r\n"
    )

    async def post(messages: list[dict]) -> list[dict]:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/customers/import", "raw_path": b"/customers/import",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": ("customers", 80),
            "headers": [
                (b"host", b"customers"),
                (b"authorization", owner.headers["Authorization"].encode()),
                (b"content-type", b"multipart/form-data; boundary=b"),
                (b"content-length", str(len(body)).encode()),
            ],
        }  # fmt: skip
        sent: list[dict] = []

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await api.app(scope, receive, send)
        return sent

    half = len(body) // 2
    cut = [{"type": "http.request", "body": body[:half], "more_body": True}, {"type": "http.disconnect"}]
    await post(cut)
    assert await _listed(api, owner) == []
    answer = await post([{"type": "http.request", "body": body, "more_body": False}])
    assert answer[0]["status"] == 201
    assert len(await _listed(api, owner)) == 50
