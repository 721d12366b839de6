"""Reading an uploaded customers CSV: every row checked, every problem reported with its line."""

import csv
import io

from pydantic import ValidationError

from customers_service.errors import ImportRejected
from customers_service.schemas import CustomerCreate, ImportProblem

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
REQUIRED_COLUMNS = ("name", "gender", "age", "annual_income")


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): the export quotes
# such a name with a leading apostrophe, and the import takes that apostrophe off again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def from_spreadsheet_safe(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def parse_customers_csv(raw: bytes) -> list[CustomerCreate]:
    """The customers of a UTF-8 CSV with a ``name,gender,age,annual_income`` header (other columns,
    such as those of an export, are ignored). Raises ImportRejected listing every problem."""
    if len(raw) > MAX_BYTES:
        raise ImportRejected([_file_problem(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")])
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([_file_problem(f"the file is not UTF-8 text (byte {exc.start})")]) from exc
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        header = [column.strip().lower() for column in next(reader, [])]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if not header or not any(header):
            raise ImportRejected([ImportProblem(line=1, field="header", reason="the header line is missing")])
        if missing:
            raise ImportRejected(
                [
                    ImportProblem(line=1, field="header", reason=f"missing column {column!r}")
                    for column in missing
                ]
            )
        positions = {column: header.index(column) for column in REQUIRED_COLUMNS}
        customers: list[CustomerCreate] = []
        problems: list[ImportProblem] = []
        rows = 0
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise ImportRejected([_file_problem(f"more than {MAX_ROWS} rows")])
            if len(row) != len(header):
                problems.append(
                    ImportProblem(
                        line=reader.line_num,
                        field="row",
                        reason=f"{len(row)} fields where the header has {len(header)}",
                    )
                )
                continue
            try:
                values = {column: row[index] for column, index in positions.items()}
                values["name"] = from_spreadsheet_safe(values["name"])
                customers.append(CustomerCreate.model_validate(values))
            except ValidationError as exc:
                problems.extend(
                    ImportProblem(line=reader.line_num, field=str(error["loc"][0]), reason=error["msg"])
                    for error in exc.errors()
                )
    except csv.Error as exc:
        raise ImportRejected([ImportProblem(line=reader.line_num, field="row", reason=str(exc))]) from exc
    if problems:
        raise ImportRejected(problems)
    if not customers:
        raise ImportRejected([_file_problem("the file has no customer rows")])
    return customers


def _file_problem(reason: str) -> ImportProblem:
    return ImportProblem(line=None, field="file", reason=reason)
