"""Reading the first sheet of an .xlsx workbook in bounded time and memory, whatever it declares.

A workbook is a zip of XML parts, and a few kilobytes can expand to gigabytes (a declared
``<dimension ref="A1:XFD10060"/>``, a million empty cells, a million shared strings). This reader
trusts nothing the file says about itself: it streams each part through expat counting the bytes
actually decompressed (and their ratio to the compressed size), counts rows, columns, cells and
shared strings as they arrive, ignores ``<dimension>``, keeps only the cells that hold a value, and
stops at the first limit passed. It refuses any DTD, so no entity can be declared or expanded.

Markup must pay for itself: before expat sees a chunk, its tags are counted at C speed (every ``<``
opens one) against an allowance that grows with the values read so far. A sheet of a million junk or
empty elements is refused after a few tens of thousands, in milliseconds, instead of being parsed
(expat alone spends seconds on a million distinct element names). Distinct names (a few hundred) and
attributes per tag (by the ``=`` signs) are bounded too.
"""

import io
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat

_CHUNK_BYTES = 64 * 1024
_EXCEL_MAX_ROW = 1_048_576
_EXCEL_MAX_COLUMN = 16_384


@dataclass(frozen=True, slots=True)
class XlsxLimits:
    """What a workbook may expand to; the defaults fit 10,000 customers in a few dozen columns."""

    max_part_bytes: int = 24 * 1024 * 1024  # one decompressed part (the sheet, the shared strings)
    max_total_bytes: int = 48 * 1024 * 1024  # every part read, decompressed
    max_ratio: int = 100  # decompressed / compressed, once a part passes ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024
    max_parts: int = 1_000  # entries in the zip
    max_rows: int = 10_100  # rows holding at least one value
    max_columns: int = 64  # the last column a value may be in
    # XML elements of the sheet and the shared strings, all counted: 10,000 rows of 13 inline texts.
    max_elements: int = 600_000
    max_shared_strings: int = 300_000
    # Elements allowed besides those that hold values (a template's 10,000 rows of 4 bordered empty
    # cells), and per value read (a rich-text cell with a few formatted runs has about a dozen).
    free_elements: int = 50_000
    elements_per_value: int = 16
    # A sheet's vocabulary is a few dozen names; each new one costs expat and pyexpat a table entry.
    max_names: int = 500


class XlsxLimitExceeded(Exception):
    """The workbook goes past one of XlsxLimits (``limit`` is the field's name)."""

    def __init__(self, limit: str, value: int):
        super().__init__(f"{limit} above {value}")
        self.limit = limit
        self.value = value


class XlsxUnreadable(Exception):
    """Not a workbook we can read: a broken zip, a missing part, a DTD, malformed XML."""


SheetRow = tuple[int, list[str]]  # the row's number in the sheet (1-based), its cells' texts


def read_first_sheet(raw: bytes, limits: XlsxLimits | None = None) -> list[SheetRow]:
    """The rows of the workbook's first sheet that hold a value, each padded to its last value's
    column. Raises XlsxLimitExceeded or XlsxUnreadable. CPU work: call it in a worker thread."""
    limits = limits or XlsxLimits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise XlsxUnreadable(str(exc)) from exc
    with archive:
        reader = _PartReader(archive, limits)
        workbook_path = reader.office_document_path()
        sheet_path, shared_strings_path = reader.first_sheet_paths(workbook_path)
        # A workbook without texts may name a shared-strings part it does not hold.
        shared = (
            reader.shared_strings(shared_strings_path)
            if shared_strings_path is not None and shared_strings_path in reader.infos
            else []
        )
        return reader.sheet_rows(sheet_path, shared)


def _local(name: str) -> str:
    """``x:row`` -> ``row``: writers differ in namespace prefixes, the local names are the format."""
    return name.rsplit(":", 1)[-1] if ":" in name else name


def _refuse_dtd(*_: object) -> None:
    raise XlsxUnreadable("a DTD in a workbook part")


class _PartReader:
    def __init__(self, archive: zipfile.ZipFile, limits: XlsxLimits):
        self.archive = archive
        self.limits = limits
        self.total_bytes = 0
        self.elements = 0
        self.start_tags = 0
        self.equals_signs = 0  # attributes and a few texts' "="
        self.values_read = 0  # values (cells, shared strings, relationships) of the parts already read
        infos = archive.infolist()
        if len(infos) > limits.max_parts:
            raise XlsxLimitExceeded("max_parts", limits.max_parts)
        self.infos = {info.filename: info for info in infos}

    def parse(
        self,
        path: str,
        start: Callable[[str, dict[str, str]], None],
        end: Callable[[str], None] | None = None,
        text: Callable[[str], None] | None = None,
        values: Callable[[], int] = lambda: 0,
    ) -> None:
        """Stream one part through expat, stopping at the first limit its bytes pass. ``values``
        counts what the part has yielded so far: the markup allowance grows with it."""
        info = self.infos.get(path)
        if info is None:
            raise XlsxUnreadable(f"no part {path}")
        limits = self.limits
        if info.file_size > limits.max_part_bytes:
            raise XlsxLimitExceeded("max_part_bytes", limits.max_part_bytes)
        if self.total_bytes + info.file_size > limits.max_total_bytes:
            raise XlsxLimitExceeded("max_total_bytes", limits.max_total_bytes)
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise XlsxLimitExceeded("max_ratio", limits.max_ratio)
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        max_elements = limits.max_elements

        def counted_start(name: str, attributes: dict[str, str]) -> None:
            self.elements += 1
            if self.elements > max_elements:
                raise XlsxLimitExceeded("max_elements", max_elements)
            start(name if ":" not in name else _local(name), attributes)

        parser.StartElementHandler = counted_start
        if end is not None:
            parser.EndElementHandler = lambda name: end(name if ":" not in name else _local(name))
        if text is not None:
            parser.CharacterDataHandler = text
        part_bytes = 0
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(_CHUNK_BYTES):
                    # The sizes in the zip's headers may lie: count what really comes out.
                    part_bytes += len(chunk)
                    self.total_bytes += len(chunk)
                    if part_bytes > limits.max_part_bytes:
                        raise XlsxLimitExceeded("max_part_bytes", limits.max_part_bytes)
                    if self.total_bytes > limits.max_total_bytes:
                        raise XlsxLimitExceeded("max_total_bytes", limits.max_total_bytes)
                    if part_bytes > limits.ratio_floor_bytes and part_bytes > limits.max_ratio * max(
                        info.compress_size, 1
                    ):
                        raise XlsxLimitExceeded("max_ratio", limits.max_ratio)
                    self._count_tags(chunk, self.values_read + values())
                    parser.Parse(chunk, False)
                    # pyexpat interns every element and attribute name: a table of distinct names.
                    if parser.intern is not None and len(parser.intern) > limits.max_names:
                        raise XlsxUnreadable(f"{path}: more than {limits.max_names} distinct names")
                parser.Parse(b"", True)
            self.values_read += values()
        except (expat.ExpatError, zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:
            # RuntimeError: an encrypted part; BadZipFile: a CRC or size that does not match.
            raise XlsxUnreadable(f"{path}: {exc}") from exc

    def _count_tags(self, chunk: bytes, values: int) -> None:
        """Refuse a chunk whose elements would pass the allowance earned by the values read so far.
        Every ``<`` opens a tag (text holds ``&lt;``); those of ``</`` close one."""
        self.start_tags += chunk.count(b"<") - chunk.count(b"</")
        limits = self.limits
        if self.start_tags > limits.free_elements + limits.elements_per_value * values:
            raise XlsxLimitExceeded("elements_per_value", limits.elements_per_value)
        # An element has a handful of attributes; one with a million would be a million-entry dict.
        self.equals_signs += chunk.count(b"=")
        if self.equals_signs > 16 * (self.start_tags + 1024):
            raise XlsxUnreadable("far more attributes than elements")

    def relationships(self, path: str) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []

        def start(name: str, attributes: dict[str, str]) -> None:
            if name == "Relationship":
                if len(found) >= self.limits.max_parts:
                    raise XlsxLimitExceeded("max_parts", self.limits.max_parts)
                found.append(attributes)

        self.parse(path, start, values=found.__len__)
        return found

    def office_document_path(self) -> str:
        if "_rels/.rels" in self.infos:
            for relationship in self.relationships("_rels/.rels"):
                if relationship.get("Type", "").endswith("/officeDocument"):
                    return _resolve("", relationship.get("Target", ""))
        return "xl/workbook.xml"

    def first_sheet_paths(self, workbook_path: str) -> tuple[str, str | None]:
        first_sheet_id: list[str] = []

        def start(name: str, attributes: dict[str, str]) -> None:
            if name == "sheet" and not first_sheet_id:
                first_sheet_id.extend(value for key, value in attributes.items() if _local(key) == "id")

        self.parse(workbook_path, start)
        if not first_sheet_id:
            raise XlsxUnreadable("the workbook has no sheet")
        folder, file_name = posixpath.split(workbook_path)
        relationships = self.relationships(posixpath.join(folder, "_rels", file_name + ".rels"))
        sheet_path = shared_strings_path = None
        for relationship in relationships:
            target = _resolve(folder, relationship.get("Target", ""))
            if relationship.get("Id") == first_sheet_id[0]:
                sheet_path = target
            elif relationship.get("Type", "").endswith("/sharedStrings"):
                shared_strings_path = target
        if sheet_path is None:
            raise XlsxUnreadable("the first sheet's part is not named")
        return sheet_path, shared_strings_path

    def shared_strings(self, path: str) -> list[str]:
        strings: list[str] = []
        parts: list[str] = []
        state = {"in_text": False, "phonetic": 0}
        limit = self.limits.max_shared_strings

        def start(name: str, _: dict[str, str]) -> None:
            if name == "si":
                parts.clear()
            elif name == "rPh":  # a phonetic guide, not part of the text
                state["phonetic"] += 1
            elif name == "t" and not state["phonetic"]:
                state["in_text"] = True

        def end(name: str) -> None:
            if name == "t":
                state["in_text"] = False
            elif name == "rPh":
                state["phonetic"] -= 1
            elif name == "si":
                if len(strings) >= limit:
                    raise XlsxLimitExceeded("max_shared_strings", limit)
                strings.append("".join(parts))

        def text(content: str) -> None:
            if state["in_text"]:
                parts.append(content)

        self.parse(path, start, end, text, values=strings.__len__)
        return strings

    def sheet_rows(self, path: str, shared: list[str]) -> list[SheetRow]:
        sheet = _SheetBuilder(self.limits, shared)
        self.parse(path, sheet.start, sheet.end, sheet.text, values=lambda: sheet.values)
        return sheet.rows


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _column_index(reference: str) -> int:
    """``"C7"`` -> 2 (0-based); XlsxUnreadable for anything that is not a cell reference."""
    index = 0
    letters = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
            letters += 1
            if letters > 3:
                break
        else:
            break
    if not letters or index > _EXCEL_MAX_COLUMN or not reference[letters:].isdigit():
        raise XlsxUnreadable(f"bad cell reference {reference[:20]!r}")
    return index - 1


def _number_text(text: str) -> str:
    """A numeric cell as the importer reads it: ``30.0`` -> ``30``, ``40.5`` stays."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else repr(number)


class _SheetBuilder:
    """expat callbacks building the rows of a sheet, every count checked as it grows."""

    def __init__(self, limits: XlsxLimits, shared: list[str]):
        self.limits = limits
        self.shared = shared
        self.rows: list[SheetRow] = []
        self.values = 0
        self.row_number = 0
        self.row: dict[int, str] = {}
        self.column = -1
        self.cell_type = "n"
        self.text_parts: list[str] = []
        self.collecting = False
        self.phonetic = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "row":
            declared = attributes.get("r")
            number = int(declared) if declared and declared.isdigit() else self.row_number + 1
            if not self.row_number < number <= _EXCEL_MAX_ROW:
                raise XlsxUnreadable(f"row {number} out of order")
            self.row_number = number
            self.row = {}
            self.column = -1
        elif name == "c":
            reference = attributes.get("r")
            column = _column_index(reference) if reference else self.column + 1
            if column <= self.column:
                raise XlsxUnreadable(f"cell {reference} out of order")
            self.column = column
            self.cell_type = attributes.get("t", "n")
            self.text_parts = []
        elif name == "rPh":
            self.phonetic += 1
        elif name == "v" or (name == "t" and not self.phonetic):
            self.collecting = True

    def text(self, content: str) -> None:
        if self.collecting:
            self.text_parts.append(content)

    def end(self, name: str) -> None:
        if name in ("v", "t"):
            self.collecting = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c":
            value = self._cell_value("".join(self.text_parts))
            if value:
                if self.column >= self.limits.max_columns:
                    raise XlsxLimitExceeded("max_columns", self.limits.max_columns)
                self.row[self.column] = value
                self.values += 1
        elif name == "row" and self.row:
            if len(self.rows) >= self.limits.max_rows:
                raise XlsxLimitExceeded("max_rows", self.limits.max_rows)
            cells = [""] * (max(self.row) + 1)
            for column, value in self.row.items():
                cells[column] = value
            self.rows.append((self.row_number, cells))

    def _cell_value(self, text: str) -> str:
        if not text:
            return ""
        if self.cell_type == "s":
            if not text.strip().isdigit() or int(text) >= len(self.shared):
                raise XlsxUnreadable("a shared string that does not exist")
            return self.shared[int(text)]
        if self.cell_type == "b":
            return "True" if text.strip() == "1" else "False"
        if self.cell_type == "n":
            return _number_text(text)
        return text  # inlineStr, str (a formula's text), e (an error such as #N/A), d (an ISO date)
