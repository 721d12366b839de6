"""Reading an uploaded customers file (CSV in any of the usual dialects and encodings, or .xlsx):
every row checked, every problem reported once, with its line and field, in the caller's language."""

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from customers_service import contacts
from customers_service.errors import ImportRejected
from customers_service.export_labels import EXPORT_LABELS
from customers_service.messages import FIELD_LABELS, Language, message
from customers_service.schemas import (
    GENDER_VOCABULARY,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_INCOME,
    MAX_NAME_LENGTH,
    CustomerCreate,
    ImportProblem,
    has_control_character,
)
from customers_service.store_settings import (
    MODEL_UNIT,
    IncomeUnit,
    entered_income_columns,
    from_model_income,
    income_header,
    to_model_income,
    unit_words,
)
from customers_service.store_settings_schemas import MAX_INCOME_AMOUNT
from customers_service.xlsx_reader import XlsxLimitExceeded, XlsxLimits, XlsxUnreadable, read_first_sheet

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
# Rows with a value: the header, MAX_ROWS customers, and room to say "too many" past them.
XLSX_LIMITS = XlsxLimits(max_rows=MAX_ROWS + 2)

# Header names, compared without case, accents, spaces or punctuation ("Annual Income (k$)" ->
# "annualincomek"), in English and Portuguese.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "externalid", "id", "customerid", "clientid", "codigo", "código", "cod"),
    "name": ("name", "nome", "customername", "cliente", "nomecliente", "nomedocliente"),
    "gender": ("gender", "genero", "gênero", "sexo", "sex"),
    "age": ("age", "idade"),
    "annual_income": (
        "annual_income",
        "annual income (k$)",
        "annualincomek",
        "renda anual",
        "rendaanualk",
    ),
    # Issue 23: in the store's unit (GET /settings), also under its header ("renda (R$ por mês)").
    "income_amount": ("income", "renda"),
    "observed_score": (
        "observed_score",
        "spending score (1-100)",
        "spending_score",
        "pontuação",
        "pontuacao1100",
        "pontuacaoobservada",
    ),
    # Contacts (issue 24): optional columns; a re-import without them keeps the stored ones.
    "phone": ("phone", "telefone", "fone", "celular", "mobile", "whatsapp"),
    "email": ("email", "e-mail", "mail", "correio eletronico"),
}
# In a file of our own export, spending_score is the model's prediction, not an observed score.
_EXPORT_MARKERS = {"modelversion", "predictedat", "versaodomodelo"}
_PREDICTED_IN_EXPORT = {"spendingscore"}
_REQUIRED = ("gender", "age", "annual_income")
CONTACT_FIELDS = ("phone", "email")
_INCOME_FIELDS = ("annual_income", "income_amount")


def header_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum() and not unicodedata.combining(char))


_ALIAS_TO_FIELD = {
    # The localized export's own headers, so that it re-imports in either language.
    **{
        header_key(label): field
        for field, labels in EXPORT_LABELS.items()
        if field in COLUMN_ALIASES
        for label in labels.values()
    },
    **{header_key(alias): field for field, aliases in COLUMN_ALIASES.items() for alias in aliases},
}

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): the export
# puts an apostrophe before it (file_export.py); the import takes that apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DEFUSED_PART = re.compile(r"(^|[,;\t])'(?=[=+\-@\t\r])")


def from_spreadsheet_safe(text: str) -> str:
    return _DEFUSED_PART.sub(r"\1", text)


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    values: CustomerCreate  # with the observed score (a "Spending Score (1-100)" column) when given


@dataclass(frozen=True, slots=True)
class ParsedFile:
    rows: list[ImportRow]
    problems: list[ImportProblem]
    # The contact columns the file has: a re-import without one keeps what is stored.
    contact_columns: frozenset[str] = frozenset()


def problem(line: int | None, field: str, text: str) -> ImportProblem:
    return ImportProblem(line=line, field=field, message=text, reason=text)


def read_customers_file(
    raw: bytes, *, filename: str | None, language: Language, unit: IncomeUnit = MODEL_UNIT
) -> ParsedFile:
    """The good rows and the problems of the bad ones (each once). Raises ImportRejected when the
    file as a whole cannot be read: size, encoding, header, no rows, too many rows. CPU work: call
    it in a worker thread. An income column named for the store (``income``, ``renda`` or the
    store's header) is read in ``unit``; ``annual_income`` and its aliases in k$ per year."""
    table = open_table(raw, filename=filename, language=language, max_bytes=MAX_BYTES)
    return _read_table(table, language, unit)


def open_table(raw: bytes, *, filename: str | None, language: Language, max_bytes: int) -> "Table":
    """The lines of a CSV or .xlsx upload (customers or sales); ImportRejected for a file too large,
    an old .xls, or one that cannot be read."""
    if len(raw) > max_bytes:
        raise file_rejected(message("file_too_large", language, mb=max_bytes // (1024 * 1024)))
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_rejected(message("file_old_excel", language))
    if raw.startswith(b"PK\x03\x04") or (filename or "").lower().endswith(".xlsx"):
        return _xlsx_table(raw, language)
    return _csv_table(raw, language)


@dataclass(frozen=True, slots=True)
class Table:
    # None in place of the cells: the line cannot be read (an unclosed quote runs to the end).
    lines: Iterator[tuple[int, list[str] | None]]
    decimal_comma: bool
    # A workbook leaves out a row's empty cells at its end: a short row is not a broken one there.
    short_rows_padded: bool = False
    # A CSV's cells come with the apostrophe our export puts before a formula's start; a workbook's
    # text cells need none.
    defused: bool = True

    def header(self, language: Language) -> tuple[int, list[str]]:
        """The first line with a value, and its line number."""
        line, header = next(
            ((line, row) for line, row in self.lines if row is None or any(cell.strip() for cell in row)),
            (1, []),
        )
        if header is None:
            raise ImportRejected([problem(line, "header", message("row_unreadable", language))])
        return line, header

    def rows(
        self,
        header: list[str],
        positions: dict[str, int],
        language: Language,
        problems: list[ImportProblem],
        *,
        max_rows: int,
        too_many_rows: str,
    ) -> Iterator[tuple[int, list[str]]]:
        """The lines after the header that have a value and the header's width; a broken or wrong-width
        line goes to ``problems``. ImportRejected (``too_many_rows``) past ``max_rows``."""
        count = 0
        for line, cells in self.lines:
            if cells is None:
                problems.append(problem(line, "row", message("row_unreadable", language)))
                return
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > max_rows:
                raise file_rejected(message(too_many_rows, language, max_rows=max_rows))
            if self.short_rows_padded:
                cells = cells + [""] * (len(header) - len(cells))
            if len(cells) < max(positions.values()) + 1 or any(cell.strip() for cell in cells[len(header) :]):
                found = message("row_width", language, found=len(cells), expected=len(header))
                problems.append(problem(line, "row", found))
                continue
            yield line, cells


# A character of UTF-8 beyond ASCII: a lead byte and its continuation bytes.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _decode(raw: bytes, language: Language) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw.count(b"\x00") > max(len(raw) // 50, 2):
        raise file_rejected(message("file_encoding", language))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _UTF8_SEQUENCE.search(raw):
            # UTF-8 in part, something else elsewhere (a file pasted together): read as Windows-1252
            # its UTF-8 would come out mangled ("JoÃ£o"), so it is refused, naming the first bad line.
            line = raw.count(b"\n", 0, exc.start) + 1
            raise file_rejected(message("file_mixed_encoding", language, line=line)) from exc
    try:
        content = raw.decode("cp1252")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    controls = sum(1 for char in content if unicodedata.category(char) == "Cc" and char not in "\t\r\n\x00")
    if controls > len(content) // 100:
        raise file_rejected(message("file_encoding", language))
    return content


def _csv_table(raw: bytes, language: Language) -> Table:
    content = _decode(raw, language)
    first_line = next((line for line in content.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)

    def lines() -> Iterator[tuple[int, list[str] | None]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield reader.line_num, None
                return
            yield reader.line_num, row

    return Table(lines(), decimal_comma=delimiter != ",")


def _xlsx_table(raw: bytes, language: Language) -> Table:
    try:
        rows = read_first_sheet(raw, XLSX_LIMITS)
    except XlsxLimitExceeded as exc:
        if exc.limit == "max_rows":
            raise file_rejected(message("too_many_rows", language, max_rows=MAX_ROWS)) from exc
        raise file_rejected(message(f"xlsx_{exc.limit}", language, value=_limitshown(exc, language))) from exc
    except XlsxUnreadable as exc:  # a broken zip, a missing part, a DTD, a sheet of another kind
        raise file_rejected(message("file_bad_xlsx", language)) from exc
    lines: list[tuple[int, list[str] | None]] = [(line, cells) for line, cells in rows]
    return Table(iter(lines), decimal_comma=False, short_rows_padded=True, defused=False)


def _limitshown(exc: XlsxLimitExceeded, language: Language) -> str:
    """A limit as the reader writes numbers: 300,000 in English, 300.000 in Portuguese."""
    value = exc.value // (1024 * 1024) if exc.limit.endswith("_bytes") else exc.value
    text = f"{value:,}".replace(",", "." if language == "pt" else ",")
    return f"{text} MB" if exc.limit.endswith("_bytes") else text


def _read_table(table: Table, language: Language, unit: IncomeUnit) -> ParsedFile:
    header_line, header = table.header(language)
    positions = _column_positions(header, header_line, language, unit)
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    first_line_of_id: dict[str, int] = {}
    lines = table.rows(
        header, positions, language, problems, max_rows=MAX_ROWS, too_many_rows="too_many_rows"
    )
    for line, cells in lines:
        checked = _RowCheck(line, language, table.decimal_comma, unit)
        row = checked.row({field: cells[index] for field, index in positions.items()}, table.defused)
        if row is not None and row.values.external_id is not None:
            first = first_line_of_id.setdefault(row.values.external_id, line)
            if first != line:
                checked.add("external_id", message("external_id_repeated", language, first_line=first))
                row = None
        problems.extend(checked.problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems:
        raise file_rejected(message("no_rows", language))
    contact_columns = frozenset(field for field in CONTACT_FIELDS if field in positions)
    return ParsedFile(rows, problems, contact_columns)


def _column_positions(header: list[str], line: int, language: Language, unit: IncomeUnit) -> dict[str, int]:
    if not any(cell.strip() for cell in header):
        raise ImportRejected([problem(line, "header", message("header_missing", language))])
    keys = [header_key(cell) for cell in header]
    store_headers = {header_key(income_header(unit, words)): "income_amount" for words in ("en", "pt")}
    positions: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for index, key in enumerate(keys):
        field = _ALIAS_TO_FIELD.get(key) or store_headers.get(key)
        if field in _INCOME_FIELDS and any(income in positions for income in _INCOME_FIELDS):
            field = "annual_income" if "annual_income" in positions else "income_amount"  # two incomes
        if key in _PREDICTED_IN_EXPORT and _EXPORT_MARKERS & set(keys):
            continue
        if field is None:
            continue
        if field in positions:
            problems.append(
                problem(line, "header", message("column_repeated", language, column=header[index].strip()))
            )
        positions[field] = index
    required = [*_REQUIRED, *(() if "external_id" in positions else ("name",))]
    for field in ("name", *_REQUIRED):
        if field in required and field not in positions:
            if field == "annual_income" and "income_amount" in positions:
                continue
            names = [
                *COLUMN_ALIASES[field],
                *(COLUMN_ALIASES["income_amount"] if field in _INCOME_FIELDS else ()),
            ]
            aliases = ", ".join(dict.fromkeys(alias for alias in names if " " not in alias))
            problems.append(
                problem(
                    line,
                    "header",
                    message(
                        "column_missing", language, column=FIELD_LABELS[field][language], aliases=aliases
                    ),
                )
            )
    if problems:
        raise ImportRejected(problems)
    return positions


class _RowCheck:
    """The checks of one row; each field's problem is reported once, in plain words."""

    def __init__(self, line: int, language: Language, decimal_comma: bool, unit: IncomeUnit):
        self.line = line
        self.language = language
        self.decimal_comma = decimal_comma
        self.unit = unit
        self.problems: list[ImportProblem] = []

    def add(self, field: str, text: str) -> None:
        self.problems.append(problem(self.line, field, text))

    def _say(self, key: str, field: str, **values: object) -> None:
        self.add(field, message(key, self.language, column=FIELD_LABELS[field][self.language], **values))

    def row(self, cells: dict[str, str], defused: bool) -> ImportRow | None:
        texts = {field: cell.strip() for field, cell in cells.items()}
        for field, text in texts.items():
            if "\x00" in text:
                self._say("nul", field)
            elif field in ("name", "external_id") and has_control_character(text):
                self._say("control_character", field)
        if self.problems:
            return None
        external_id = self._text(texts, "external_id", MAX_EXTERNAL_ID_LENGTH, required=False)
        name = self._text(texts, "name", MAX_NAME_LENGTH, required=external_id is None)
        if name is not None and defused:
            name = from_spreadsheet_safe(name)
        if name is None and external_id is not None:
            name = message("default_name", self.language, external_id=external_id)
        gender = GENDER_VOCABULARY.get(texts["gender"].lower())
        if gender is None:
            self.add("gender", message("gender_unknown", self.language, value=shown(texts["gender"])))
        age = self._number(texts["age"])
        if age is None or not age.is_integer() or not 0 <= age <= 120:
            self.add("age", message("age_invalid", self.language, value=shown(texts["age"])))
        income, entered = self._income(texts)
        observed_score = None
        if texts.get("observed_score"):
            score = self._number(texts["observed_score"])
            if score is None or not score.is_integer() or not 1 <= score <= 100:
                self.add(
                    "observed_score",
                    message("score_invalid", self.language, value=shown(texts["observed_score"])),
                )
            else:
                observed_score = int(score)
        phone = self._contact(texts, "phone", contacts.phone_e164, defused)
        email = self._contact(texts, "email", contacts.email_address, defused)
        if self.problems or name is None or gender is None or age is None or income is None:
            return None
        values = CustomerCreate(
            name=name,
            gender=gender,
            age=int(age),
            annual_income=income,
            external_id=external_id,
            observed_score=observed_score,
            phone=phone,
            email=email,
            **entered_income_columns(entered, self.unit),
        )
        return ImportRow(self.line, values)

    def _income(self, texts: dict[str, str]) -> tuple[float | None, float | None]:
        """The income in k$ per year, and the amount as entered when its column is the store's."""
        if "annual_income" in texts:
            income = self._number(texts["annual_income"])
            if income is None or not 0 <= income <= MAX_INCOME:
                self.add(
                    "annual_income",
                    message(
                        "income_invalid",
                        self.language,
                        value=shown(texts["annual_income"]),
                        max_income=MAX_INCOME,
                    ),
                )
                return None, None
            return income, None
        amount = self._number(texts["income_amount"])
        if (
            amount is None
            or not 0 <= amount <= MAX_INCOME_AMOUNT
            or to_model_income(amount, self.unit) > MAX_INCOME
        ):
            self.add(
                "income_amount",
                message(
                    "income_amount_invalid",
                    self.language,
                    value=shown(texts["income_amount"]),
                    unit=unit_words(self.unit, self.language),
                    max_amount=f"{from_model_income(MAX_INCOME, self.unit):.0f}",
                ),
            )
            return None, None
        return to_model_income(amount, self.unit), amount

    def _text(self, texts: dict[str, str], field: str, max_length: int, *, required: bool) -> str | None:
        text = texts.get(field, "")
        if not text:
            if required:
                self._say("required", field)
            return None
        if len(text) > max_length:
            self._say("too_long", field, max_length=max_length)
            return None
        return text

    def _contact(
        self, texts: dict[str, str], field: str, parse: Callable[[str], str], defused: bool
    ) -> str | None:
        """The stored form of a phone or e-mail cell; the problem names the field, never the value (a
        contact is personal data)."""
        text = texts.get(field, "")
        if not text:
            return None
        try:
            return parse(from_spreadsheet_safe(text) if defused else text)
        except contacts.ContactError:
            self.add(field, message(f"{field}_invalid", self.language))
            return None

    def _number(self, text: str) -> float | None:
        if self.decimal_comma and text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None


def shown(text: str) -> str:
    """A cell as quoted back to the user: short, so a long input is not echoed whole."""
    return text if len(text) <= 40 else text[:37] + "..."


def file_rejected(text: str) -> ImportRejected:
    return ImportRejected([problem(None, "file", text)])
