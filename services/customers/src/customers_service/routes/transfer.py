"""Import (CSV or .xlsx; all or nothing, or partial), the import template, and the export (CSV with
`,` or `;`, or .xlsx)."""

import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customers_service import customer_reads, customers, store_settings_repository
from customers_service.customer_reads import CustomerFilters
from customers_service.customers import ImportMode
from customers_service.db import SessionDep
from customers_service.deps import (
    CatalogueDep,
    ExpensiveCall,
    FiltersDep,
    ImportWork,
    InferenceDep,
    Owner,
    OwnerDep,
    SettingsDep,
)
from customers_service.export_labels import (
    DATE_FORMATS,
    SHEET_NAMES,
    XLSX_DATE_FORMATS,
    ExportLanguage,
    ExportLocale,
    TimeZoneName,
    export_language,
)
from customers_service.file_export import (
    EXPORT_COLUMNS,
    XLSX_MEDIA_TYPE,
    CsvWriter,
    Delimiter,
    XlsxWriter,
    template,
)
from customers_service.file_import import MAX_BYTES
from customers_service.messages import LanguageDep
from customers_service.schemas import ImportResult, SortKey
from customers_service.segment_catalogue import SegmentCatalogue

router = APIRouter(prefix="/customers", tags=["import and export"])
FileFormat = Literal["csv", "xlsx"]


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportResult,
    responses={
        409: {"description": "The owner's customer limit would be passed, or an external id is taken"},
        422: {"description": "Nothing imported: every problem as {line, field, message} in `detail`"},
        503: {"description": "Every import slot of the service is taken: try again after `Retry-After`"},
    },
    dependencies=[ExpensiveCall, ImportWork],
)
async def import_customers(
    file: UploadFile,
    owner: OwnerDep,
    session: SessionDep,
    inference: InferenceDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    language: LanguageDep,
    mode: Annotated[
        ImportMode,
        Query(description="all: every row or none (422); partial: the good rows, the bad ones in `rejected`"),
    ] = "all",
) -> ImportResult:
    """CSV (`,` `;` or tab; UTF-8 or Windows-1252) or .xlsx, up to 10,000 rows, with a header naming
    the columns in English or Portuguese. Rows whose external id the owner already has update those
    customers. The same file uploaded again within a day is answered with the first result."""
    # One byte more than allowed is enough for the parser to refuse the file as too large.
    raw = await file.read(MAX_BYTES + 1)
    return await customers.import_customers(
        session=session,
        inference=inference,
        catalogue=catalogue,
        owner_id=owner.id,
        token=owner.token,
        raw=raw,
        filename=file.filename,
        mode=mode,
        language=language,
        max_customers=settings.max_customers_per_owner,
    )


@router.get(
    "/import/template",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "A file to fill in"}},
)
async def import_template(
    language: LanguageDep,
    owner: OwnerDep,
    session: SessionDep,
    format: Annotated[FileFormat, Query()] = "csv",  # noqa: A002 - the query parameter's name
    delimiter: Annotated[Delimiter, Query()] = "comma",
) -> Response:
    """The header and two example rows, in the caller's language (`Accept-Language`) and the
    store's income unit (GET /settings)."""
    unit = await store_settings_repository.unit_of(session=session, owner_id=owner.id)
    header, rows = template(language, unit)
    if format == "xlsx":
        writer = XlsxWriter(header)
        writer.append(rows)
        return _download(writer.finish(), XLSX_MEDIA_TYPE, "customers-template.xlsx")
    csv_writer = CsvWriter(delimiter, header=EXPORT_COLUMNS[:5])
    body = csv_writer.start(header) + csv_writer.lines(rows)
    return _download(body.encode(), "text/csv; charset=utf-8", "customers-template.csv")


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "The owner's customers"}
    },
    dependencies=[ExpensiveCall],
)
async def export_customers(
    request: Request,
    owner: OwnerDep,
    session: SessionDep,
    filters: FiltersDep,
    catalogue: CatalogueDep,
    format: Annotated[FileFormat, Query()] = "csv",  # noqa: A002 - the query parameter's name
    delimiter: Annotated[
        Delimiter | None,
        Query(
            description="semicolon: `;` between cells and decimal commas (pt-BR Excel); by default "
            "semicolon with lang=pt-BR, else comma"
        ),
    ] = None,
    sort: Annotated[
        SortKey | None, Query(description="The list's order; by name then id without one")
    ] = None,
    lang: Annotated[
        ExportLocale | None,
        Query(
            description="The file's language: headers, genders, bands, segment names, the sheet's name "
            "and local dates in it. Without it, the machine-readable file (English column names, "
            "ISO 8601 UTC times)"
        ),
    ] = None,
    tz: Annotated[
        TimeZoneName | None,
        Query(description="With lang: the dates' IANA time zone (America/Sao_Paulo for pt-BR, else UTC)"),
    ] = None,
) -> Response:
    """The customers the list shows with the same search, filters and sort (every customer without
    them), with their latest prediction and contacts: CSV (UTF-8 with BOM) streamed, or .xlsx."""
    selection = ExportSelection(sort=sort, filters=filters)
    language = await localized_export(
        session=session, catalogue=catalogue, owner=owner, locale=lang, zone_name=tz
    )
    return await export_response(
        request.app.state.sessionmaker,
        owner.id,
        selection,
        format,
        delimiter or default_delimiter(lang),
        language,
    )


def default_delimiter(locale: ExportLocale | None) -> Delimiter:
    return "semicolon" if locale == "pt-BR" else "comma"


async def localized_export(
    *,
    session: AsyncSession,
    catalogue: SegmentCatalogue,
    owner: Owner,
    locale: ExportLocale | None,
    zone_name: str | None,
) -> ExportLanguage | None:
    """The export's language with the model's segment names (their ids when inference never answered)
    and the store's income unit."""
    if locale is None:
        return None
    unit = await store_settings_repository.unit_of(session=session, owner_id=owner.id)
    await session.commit()
    return export_language(locale, zone_name, await catalogue.segments(owner.token), unit)


@dataclass(frozen=True, slots=True)
class ExportSelection:
    """Which customers an export writes, in which order (by name then id without ``sort``)."""

    sort: str | None = None
    filters: CustomerFilters | None = None
    ids: Sequence[uuid.UUID] | None = None


async def export_response(
    sessionmaker: async_sessionmaker[AsyncSession],
    owner_id: uuid.UUID,
    selection: ExportSelection,
    file_format: FileFormat,
    delimiter: Delimiter,
    language: ExportLanguage | None = None,
) -> Response:
    if file_format == "xlsx":
        return StreamingResponse(
            _streamed(await _xlsx_export(sessionmaker, owner_id, selection, language)),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="customers.xlsx"'},
        )
    writer = CsvWriter(delimiter, date_format=DATE_FORMATS[language.language] if language else None)
    return StreamingResponse(
        _csv_export(sessionmaker, owner_id, selection, writer, language),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


async def _rows(
    session: AsyncSession, owner_id: uuid.UUID, selection: ExportSelection, language: ExportLanguage | None
) -> AsyncIterator[Sequence[Any]]:
    chunks = customer_reads.stream_for_export(
        session=session, owner_id=owner_id, sort=selection.sort, filters=selection.filters, ids=selection.ids
    )
    async for chunk in chunks:
        yield chunk if language is None else [language.row(EXPORT_COLUMNS, row) for row in chunk]


async def _csv_export(
    sessionmaker: async_sessionmaker[AsyncSession],
    owner_id: uuid.UUID,
    selection: ExportSelection,
    writer: CsvWriter,
    language: ExportLanguage | None,
) -> AsyncIterator[str]:
    # Its own session: the response is streamed after the request's dependencies have closed theirs.
    yield writer.start(language.header(EXPORT_COLUMNS) if language else None)
    async with sessionmaker() as session:
        async for chunk in _rows(session, owner_id, selection, language):
            yield writer.lines(chunk)


async def _xlsx_export(
    sessionmaker: async_sessionmaker[AsyncSession],
    owner_id: uuid.UUID,
    selection: ExportSelection,
    language: ExportLanguage | None,
) -> IO[bytes]:
    """The workbook in a temporary file (a million rows make tens of MB: not kept in memory), built
    whole before the answer starts, so that a failure is still a proper error status."""
    writer = (
        XlsxWriter(
            language.header(EXPORT_COLUMNS),
            sheet_name=SHEET_NAMES[language.language],
            date_format=XLSX_DATE_FORMATS[language.language],
        )
        if language
        else XlsxWriter()
    )
    async with sessionmaker() as session:
        async for chunk in _rows(session, owner_id, selection, language):
            await run_in_threadpool(writer.append, chunk)
    workbook = tempfile.TemporaryFile()
    try:
        await run_in_threadpool(writer.finish, workbook)
    except BaseException:
        workbook.close()
        raise
    workbook.seek(0)
    return workbook


async def _streamed(file: IO[bytes], chunk_bytes: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A file's bytes in chunks, read off the event loop; the file is closed (and so deleted) after."""
    try:
        while chunk := await run_in_threadpool(file.read, chunk_bytes):
            yield chunk
    finally:
        file.close()
