"""Writing customers as a spreadsheet opens them: CSV (UTF-8 with BOM, `,` or `;` with decimal
commas) or .xlsx, every text cell defused so that no spreadsheet runs it as a formula."""

import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any, Literal

from customers_service.file_import import FORMULA_STARTS
from customers_service.messages import Language
from customers_service.store_settings import IncomeUnit, from_model_income, income_header

Delimiter = Literal["comma", "semicolon"]
EXPORT_COLUMNS = (
    "external_id",
    "name",
    "gender",
    "age",
    "annual_income",
    "spending_score",
    "band",
    "interval_low",
    "interval_high",
    "model_version",
    "predicted_at",
    "segment",
    "observed_score",
    "phone",
    "email",
)
# The columns that hold text a user typed; the others are numbers, dates or our own words. A phone
# in E.164 starts with "+", which a spreadsheet would read as a formula.
_TEXT_COLUMNS = frozenset({"external_id", "name", "phone", "email"})
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A formula may start a cell or, for a reader that splits on another delimiter than ours (or
# ignores quotes), any part after a `,` `;` or tab: each such start gets an apostrophe before it.
_FORMULA_PART = re.compile(r"(^|[,;\t])(?=[" + re.escape("".join(FORMULA_STARTS)) + "])")


def defuse(text: str) -> str:
    """``x;=cmd`` -> ``x;'=cmd``: file_import.from_spreadsheet_safe takes the apostrophes off again."""
    return _FORMULA_PART.sub(r"\1'", text)


def _number_text(value: float | int, decimal_comma: bool) -> str:
    text = str(int(value)) if float(value).is_integer() else repr(round(float(value), 6))
    return text.replace(".", ",") if decimal_comma else text


def _csv_cell(value: Any, *, is_text: bool, decimal_comma: bool, date_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(date_format) if date_format else value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_text(value, decimal_comma)
    text = str(value)
    if is_text:
        text = defuse(text)
    # Every text cell quoted: a reader that honours quotes never splits it, whatever its delimiter.
    return '"' + text.replace('"', '""') + '"'


class CsvWriter:
    """Lines of CSV for rows in EXPORT_COLUMNS order (or any header given); dates in ISO 8601, or in
    ``date_format`` (strftime)."""

    def __init__(
        self, delimiter: Delimiter, header: Sequence[str] = EXPORT_COLUMNS, *, date_format: str | None = None
    ):
        self.separator = ";" if delimiter == "semicolon" else ","
        self.decimal_comma = delimiter == "semicolon"
        self.header = header
        self.date_format = date_format
        self._text_positions = {index for index, column in enumerate(header) if column in _TEXT_COLUMNS}

    def start(self, header_labels: Sequence[str] | None = None) -> str:
        """The BOM (Excel then reads UTF-8) and the header line."""
        labels = header_labels or self.header
        return "\ufeff" + self.separator.join(f'"{label}"' for label in labels) + "\r\n"

    def lines(self, rows: Iterable[Sequence[Any]]) -> str:
        return "".join(
            self.separator.join(
                _csv_cell(
                    value,
                    is_text=index in self._text_positions,
                    decimal_comma=self.decimal_comma,
                    date_format=self.date_format,
                )
                for index, value in enumerate(row)
            )
            + "\r\n"
            for row in rows
        )


class XlsxWriter:
    """A one-sheet workbook built row by row (openpyxl's write-only mode keeps memory flat). Dates as
    ISO 8601 text, or with ``date_format`` (an Excel number format) as date cells."""

    def __init__(
        self,
        header: Sequence[str] = EXPORT_COLUMNS,
        *,
        sheet_name: str = "customers",
        date_format: str | None = None,
    ):
        from openpyxl import Workbook

        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(sheet_name)
        self._sheet.append(list(header))
        self._date_format = date_format

    def append(self, rows: Iterable[Sequence[Any]]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        for row in rows:
            cells: list[Any] = []
            for value in row:
                if isinstance(value, datetime) and self._date_format:
                    date_cell = WriteOnlyCell(self._sheet, value=value)
                    date_cell.number_format = self._date_format
                    cells.append(date_cell)
                    continue
                if isinstance(value, datetime):
                    value = value.isoformat()
                if isinstance(value, str):
                    # A string cell, never a formula, even when it starts with "=". A workbook cannot
                    # hold control characters (stored before names refused them): they are dropped.
                    cell = WriteOnlyCell(self._sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                    cell.data_type = "s"
                    cells.append(cell)
                else:
                    cells.append(value)
            self._sheet.append(cells)

    def finish(self, target: IO[bytes] | None = None) -> bytes:
        """The workbook's bytes; with a ``target`` file, written there instead (and b"" returned)."""
        if target is not None:
            self._workbook.save(target)
            return b""
        buffer = io.BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()


TEMPLATE_HEADERS: dict[Language, tuple[str, ...]] = {
    "en": ("external_id", "name", "gender", "age", "annual_income"),
    "pt": ("código", "nome", "gênero", "idade", "renda_anual"),
}
TEMPLATE_ROWS: dict[Language, tuple[tuple[Any, ...], ...]] = {
    "en": (("C-001", "Ana Souza", "female", 34, 52.5), ("C-002", "John Smith", "male", 41, 70)),
    "pt": (("C-001", "Ana Souza", "feminino", 34, 52.5), ("C-002", "João Silva", "masculino", 41, 70)),
}


def template(language: Language, unit: IncomeUnit) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    """The import template's header and rows; in a store's own unit (issue 23) its income column is
    named for the unit and the examples are converted to it."""
    header, rows = TEMPLATE_HEADERS[language], TEMPLATE_ROWS[language]
    if unit.is_model_unit:
        return header, rows
    converted = tuple((*row[:-1], round(from_model_income(row[-1], unit), 2)) for row in rows)
    return (*header[:-1], income_header(unit, language)), converted
