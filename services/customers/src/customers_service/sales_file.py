"""Reading an uploaded sales file (as a point of sale or a spreadsheet exports it: CSV in the usual
dialects and encodings, or .xlsx) with the customer import's reading rules: every row checked, every
problem reported once with its line and field, in the caller's language.

A row names its customer by external id or by exact name, and has a date and an amount."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from customers_service.errors import ImportRejected
from customers_service.file_import import (
    COLUMN_ALIASES,
    Table,
    file_rejected,
    from_spreadsheet_safe,
    header_key,
    open_table,
    problem,
    shown,
)
from customers_service.messages import FIELD_LABELS, Language, message
from customers_service.schemas import MAX_EXTERNAL_ID_LENGTH, MAX_NAME_LENGTH, ImportProblem

MAX_SALE_ROWS = 50_000
MAX_BYTES = 5 * 1024 * 1024
MAX_AMOUNT = Decimal("1000000000")
EARLIEST = date(2000, 1, 1)

SALES_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": (*COLUMN_ALIASES["external_id"], "customer_id", "codigocliente", "idcliente"),
    "name": (*COLUMN_ALIASES["name"], "customer"),
    "date": ("date", "data", "sale date", "saledate", "sold_on", "datadavenda", "datavenda", "dia", "day"),
    "amount": (
        "amount",
        "valor",
        "total",
        "value",
        "sale amount",
        "valordavenda",
        "valortotal",
        "montante",
        "price",
        "preco",
        "preço",
    ),
}
_ALIAS_TO_FIELD = {
    header_key(alias): field for field, aliases in SALES_COLUMN_ALIASES.items() for alias in aliases
}
_CURRENCY = re.compile(r"^(r\$|us\$|\$|brl|usd)\s*|\s*(r\$|\$|brl|usd)$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True, slots=True)
class SaleRow:
    line: int
    external_id: str | None
    name: str | None
    sold_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ParsedSales:
    rows: list[SaleRow]
    problems: list[ImportProblem]


def read_sales_file(raw: bytes, *, filename: str | None, language: Language, today: date) -> ParsedSales:
    """The good rows and the problems of the bad ones. Raises ImportRejected when the file as a whole
    cannot be read. CPU work: call it in a worker thread."""
    table = open_table(raw, filename=filename, language=language, max_bytes=MAX_BYTES)
    return _read(table, language, today)


def _read(table: Table, language: Language, today: date) -> ParsedSales:
    header_line, header = table.header(language)
    positions = _positions(header, header_line, language)
    rows: list[SaleRow] = []
    problems: list[ImportProblem] = []
    lines = table.rows(
        header, positions, language, problems, max_rows=MAX_SALE_ROWS, too_many_rows="sales_too_many_rows"
    )
    for line, cells in lines:
        texts = {field: cells[index].strip() for field, index in positions.items()}
        row, row_problems = _row(line, texts, language, today, table.decimal_comma, table.defused)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems:
        raise file_rejected(message("sales_no_rows", language))
    return ParsedSales(rows, problems)


def _positions(header: list[str], line: int, language: Language) -> dict[str, int]:
    if not any(cell.strip() for cell in header):
        raise ImportRejected([problem(line, "header", message("header_missing", language))])
    positions: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for index, cell in enumerate(header):
        field = _ALIAS_TO_FIELD.get(header_key(cell))
        if field is None:
            continue
        if field in positions:
            problems.append(
                problem(line, "header", message("column_repeated", language, column=cell.strip()))
            )
        positions[field] = index
    if "external_id" not in positions and "name" not in positions:
        aliases = ", ".join(("external_id", "id", "codigo", "name", "nome", "cliente"))
        problems.append(problem(line, "header", message("sales_customer_column", language, aliases=aliases)))
    for field in ("date", "amount"):
        if field not in positions:
            aliases = ", ".join(alias for alias in SALES_COLUMN_ALIASES[field] if " " not in alias)
            column = FIELD_LABELS[field][language]
            problems.append(
                problem(line, "header", message("column_missing", language, column=column, aliases=aliases))
            )
    if problems:
        raise ImportRejected(problems)
    return positions


def _row(
    line: int,
    texts: dict[str, str],
    language: Language,
    today: date,
    decimal_comma: bool,
    defused_names: bool,
) -> tuple[SaleRow | None, list[ImportProblem]]:
    problems: list[ImportProblem] = []
    for field, text in texts.items():
        if "\x00" in text:
            column = FIELD_LABELS.get(field, FIELD_LABELS["name"])[language]
            problems.append(problem(line, field, message("nul", language, column=column)))
    if problems:
        return None, problems
    external_id = texts.get("external_id") or None
    name = texts.get("name") or None
    if name is not None and defused_names:
        name = from_spreadsheet_safe(name)
    for field, value, limit in (
        ("external_id", external_id, MAX_EXTERNAL_ID_LENGTH),
        ("name", name, MAX_NAME_LENGTH),
    ):
        if value is not None and len(value) > limit:
            column = FIELD_LABELS[field][language]
            problems.append(
                problem(line, field, message("too_long", language, column=column, max_length=limit))
            )
    if external_id is None and name is None:
        field = "external_id" if "external_id" in texts else "name"
        problems.append(
            problem(line, field, message("required", language, column=FIELD_LABELS[field][language]))
        )
    sold_on = parse_date(texts["date"], language)
    if sold_on is None or not EARLIEST <= sold_on <= today:
        problems.append(
            problem(line, "date", message("sales_date_invalid", language, value=shown(texts["date"])))
        )
    amount = parse_amount(texts["amount"], decimal_comma)
    if amount is None or not 0 <= amount <= MAX_AMOUNT:
        problems.append(
            problem(
                line,
                "amount",
                message(
                    "sales_amount_invalid", language, value=shown(texts["amount"]), max_amount=MAX_AMOUNT
                ),
            )
        )
    if problems or sold_on is None or amount is None:
        return None, problems
    return SaleRow(line, external_id, name, sold_on, amount), []


def parse_date(text: str, language: Language) -> date | None:
    """ISO dates (a spreadsheet's cells come as 2026-12-31T00:00:00), or day/month/year with slashes,
    dots or dashes; month/day/year only in English files where the day cannot be the first number."""
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _SLASHED.match(text):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            month_first = language == "en" and second > 12 >= first
            return date(year, first, second) if month_first else date(year, second, first)
    except ValueError:
        return None
    return None


def parse_amount(text: str, decimal_comma: bool) -> Decimal | None:
    """A money amount as a point of sale writes it: an optional currency sign, thousands separators
    ("1.234,56" where ; or tab separates, "1,234.56" where , does), two decimals at most."""
    cleaned = _CURRENCY.sub("", text.strip()).replace(" ", "").replace("\u00a0", "")
    if decimal_comma:
        if "," in cleaned:
            cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(",") and "." in cleaned:
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1 and "." not in cleaned and len(cleaned.split(",")[1]) <= 2:
        cleaned = cleaned.replace(",", ".")  # a lone decimal comma in a comma-less cell of a workbook
    if not re.fullmatch(r"\d{1,13}(\.\d{1,2})?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None
