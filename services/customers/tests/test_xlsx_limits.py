""".xlsx decompression bombs (issue 30, item 1), each built here: the declared dimension is ignored,
rows, columns, cells, shared strings, decompressed bytes and ratio are bounded while streaming, and
the service bounds its concurrent imports across owners."""

import io
import random
import tracemalloc
import zipfile

import pytest

from customers_service.xlsx_reader import XlsxLimitExceeded, XlsxLimits, XlsxUnreadable, read_first_sheet

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _workbook(
    sheet_data: str, *, dimension: str = "A1", shared: list[str] | None = None, prolog: str = ""
) -> bytes:
    """A minimal workbook, written by hand so that it can lie and be as large as a bomb is."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"/>',
        "_rels/.rels": f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
        '<sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'{prolog}<worksheet xmlns="{_MAIN}"><dimension ref="{dimension}"/>'
        f"<sheetData>{sheet_data}</sheetData></worksheet>",
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = (
            f'<sst xmlns="{_MAIN}">' + "".join(f"<si><t>{text}</t></si>" for text in shared) + "</sst>"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _inline_row(number: int, cells: list[str]) -> str:
    written = "".join(
        f'<c r="{chr(65 + index)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for index, text in enumerate(cells)
    )
    return f'<row r="{number}">{written}</row>'


HEADER = ["name", "gender", "age", "annual_income"]


def _upload(content: bytes) -> dict:
    return {"file": ("customers.xlsx", io.BytesIO(content), "application/octet-stream")}


def _file_problem(response) -> str:
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["field"] == "file"
    return problem["message"]


def test_a_declared_dimension_is_ignored_and_only_the_rows_with_values_cost_memory():
    # The 1,965-byte workbook of the report: a header, one row at 10060, the whole width declared.
    bomb = _workbook(
        _inline_row(1, HEADER) + _inline_row(10060, ["Ana", "f", "30", "40"]), dimension="A1:XFD10060"
    )
    assert len(bomb) < 2_000

    tracemalloc.start()
    try:
        rows = read_first_sheet(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert rows == [(1, HEADER), (10060, ["Ana", "f", "30", "40"])]
    assert peak < 2 * 1024 * 1024


async def test_the_dimension_bomb_imports_its_one_customer(api, owner):
    bomb = _workbook(
        _inline_row(1, HEADER) + _inline_row(10060, ["Ana", "f", "30", "40"]), dimension="A1:XFD10060"
    )

    response = await api.client.post("/customers/import", files=_upload(bomb), headers=owner.headers)

    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 1


async def test_a_row_of_a_million_empty_cells_is_refused(api, owner):
    bomb = _workbook(_inline_row(1, HEADER) + '<row r="2">' + "<c/>" * 1_000_000 + "</row>")
    assert len(bomb) < 20_000

    response = await api.client.post("/customers/import", files=_upload(bomb), headers=owner.headers)

    assert "expands more than 100 times" in _file_problem(response)


async def test_a_million_shared_strings_are_refused_in_the_callers_language(api, owner):
    bomb = _workbook(_inline_row(1, HEADER), shared=["x"] * 1_000_000)

    response = await api.client.post(
        "/customers/import",
        files=_upload(bomb),
        headers={**owner.headers, "Accept-Language": "pt-BR"},
    )

    assert "se expande mais de 100 vezes" in _file_problem(response)


def _junk_elements(count: int) -> str:
    """Empty elements with random attributes: they compress a few times, well within the ratio limit."""
    rng = random.Random(30)
    return "".join(f'<{rng.choice("xyz")} v="{rng.randrange(10**6)}"/>' for _ in range(count))


async def test_a_sheet_of_junk_elements_is_refused_before_it_is_parsed(api, owner):
    bomb = _workbook(_inline_row(1, HEADER) + _junk_elements(60_000))
    # Far below the ratio and element limits: without the markup allowance it would be parsed whole.
    assert len(bomb) < 300_000

    response = await api.client.post(
        "/customers/import", files=_upload(bomb), headers={**owner.headers, "Accept-Language": "pt-BR"}
    )

    assert "outros elementos do que valores (mais de 16 por valor)" in _file_problem(response)


def test_markup_is_allowed_in_proportion_to_the_values_read():
    # Each value earns its cell a few formatted runs: 3,000 such cells pass the free allowance.
    limits = XlsxLimits(free_elements=10_000, elements_per_value=16)
    rich_cell = '<c r="A{n}" t="inlineStr"><is>' + '<r><rPr><b/><sz val="11"/></rPr><t>x</t></r>' * 2
    rows = "".join(f'<row r="{n}">' + rich_cell.format(n=n) + "</is></c></row>" for n in range(1, 3001))
    assert len(read_first_sheet(_workbook(rows), limits)) == 3000

    with pytest.raises(XlsxLimitExceeded) as refused:
        # Junk after a few values, far below max_elements: refused once it outgrows what they earned.
        read_first_sheet(_workbook(_inline_row(1, HEADER) + _junk_elements(30_000)), limits)
    assert refused.value.limit == "elements_per_value"


@pytest.mark.parametrize(
    ("sheet_data", "shared", "limits", "limit"),
    [
        # Each count is checked as it grows, without trusting any size the file declares.
        ('<row r="1">' + "<c/>" * 101 + "</row>", None, XlsxLimits(max_elements=100), "max_elements"),
        (
            "".join(f"<row><c><v>{n}</v></c></row>" for n in range(11)),
            None,
            XlsxLimits(max_rows=10),
            "max_rows",
        ),
        ('<row r="1"><c r="BM1"><v>1</v></c></row>', None, XlsxLimits(), "max_columns"),
        (
            '<row r="1"><c t="s"><v>0</v></c></row>',
            ["a"] * 11,
            XlsxLimits(max_shared_strings=10),
            "max_shared_strings",
        ),
        (
            '<row r="1"><c><v>1</v></c></row>' * 2000,
            None,
            XlsxLimits(max_part_bytes=10_000),
            "max_part_bytes",
        ),
        (
            '<row r="1"><c><v>1</v></c></row>' * 2000,
            None,
            XlsxLimits(max_total_bytes=10_000),
            "max_total_bytes",
        ),
        (
            "<row><c><v>1</v></c></row>" * 100_000,
            None,
            XlsxLimits(max_elements=10**6, max_rows=10**6),
            "max_ratio",
        ),
    ],
)
def test_every_limit_stops_the_reader(sheet_data, shared, limits, limit):
    with pytest.raises(XlsxLimitExceeded) as refused:
        read_first_sheet(_workbook(sheet_data, shared=shared), limits)

    assert refused.value.limit == limit


def test_empty_styled_cells_past_the_last_column_are_ignored():
    rows = read_first_sheet(_workbook('<row r="1"><c r="A1"><v>7</v></c><c r="XFD1" s="1"/></row>'))

    assert rows == [(1, ["7"])]


@pytest.mark.parametrize(
    ("sheet_data", "prolog"),
    [
        # A DTD could declare entities (billion laughs, external files): none is accepted.
        (_inline_row(1, HEADER), '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'),
        ('<row r="2"><c><v>1</v></c></row><row r="1"><c><v>1</v></c></row>', ""),  # rows out of order
        ('<row r="1"><c r="1A"><v>1</v></c></row>', ""),  # not a cell reference
        ('<row r="1"><c t="s"><v>3</v></c></row>', ""),  # a shared string that does not exist
        ("<row><c><v>1</v></row>", ""),  # malformed XML
        # A million distinct names would each cost expat and pyexpat a table entry: a few hundred at most.
        pytest.param("".join(f"<n{number}/>" for number in range(600)), "", id="600 distinct names"),
        # One element with a huge dict of attributes.
        pytest.param(
            '<row r="1" ' + " ".join(f'a{number}=""' for number in range(20_000)) + "/>",
            "",
            id="20,000 attributes",
        ),
    ],
)
def test_broken_or_hostile_sheets_are_unreadable(sheet_data, prolog):
    with pytest.raises(XlsxUnreadable):
        read_first_sheet(_workbook(sheet_data, prolog=prolog, shared=["a"]))


async def test_a_hostile_sheet_answers_the_plain_unreadable_message(api, owner):
    bomb = _workbook(_inline_row(1, HEADER), prolog='<!DOCTYPE worksheet [<!ENTITY a "a">]>')

    response = await api.client.post("/customers/import", files=_upload(bomb), headers=owner.headers)

    assert "could not be opened" in _file_problem(response)


async def test_imports_are_bounded_across_owners(api_with, settings_for, token_issuer, new_owner):
    content = _workbook(_inline_row(1, HEADER) + _inline_row(2, ["Ana", "f", "30", "40"]))
    async with api_with(settings_for(max_concurrent_imports=1), token_issuer) as api:
        first, second = new_owner(), new_owner()
        # One owner's import holds the process's only slot: another owner's import waits its turn.
        with api.app.state.import_capacity.slot():
            busy = await api.client.post("/customers/import", files=_upload(content), headers=second.headers)
        after = await api.client.post("/customers/import", files=_upload(content), headers=first.headers)

    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "2"
    assert after.status_code == 201
    assert api.app.state.import_capacity.running == 0
