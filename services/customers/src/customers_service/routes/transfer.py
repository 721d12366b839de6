"""CSV import (all or nothing, scored by one batch call) and streamed CSV export."""

import csv
import io
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customers_service import customer_repository, customers
from customers_service.csv_import import MAX_BYTES, spreadsheet_safe
from customers_service.db import SessionDep
from customers_service.deps import ExpensiveCall, InferenceDep, OwnerDep
from customers_service.schemas import ImportResult

router = APIRouter(prefix="/customers", tags=["import and export"])
EXPORT_COLUMNS = ("id", "name", "gender", "age", "annual_income", "spending_score", "band", "created_at")


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportResult,
    responses={422: {"description": "Nothing imported: every bad row with its line, field and reason"}},
    dependencies=[ExpensiveCall],
)
async def import_customers(
    file: UploadFile, owner: OwnerDep, session: SessionDep, inference: InferenceDep
) -> ImportResult:
    """CSV with a ``name,gender,age,annual_income`` header and up to 10,000 rows; all rows or none."""
    # One byte more than allowed is enough for the parser to refuse the file as too large.
    raw = await file.read(MAX_BYTES + 1)
    return await customers.import_customers(
        session=session, inference=inference, owner_id=owner.id, token=owner.token, raw=raw
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV of the owner's customers"}},
    dependencies=[ExpensiveCall],
)
async def export_customers(request: Request, owner: OwnerDep) -> StreamingResponse:
    """Every customer with the score and band of its latest prediction, streamed as CSV."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return StreamingResponse(
        _csv_lines(sessionmaker, owner.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


async def _csv_lines(
    sessionmaker: async_sessionmaker[AsyncSession], owner_id: uuid.UUID
) -> AsyncIterator[str]:
    # Its own session: the response is streamed after the request's dependencies have closed theirs.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    async with sessionmaker() as session:
        async for chunk in customer_repository.stream_for_export(session=session, owner_id=owner_id):
            writer.writerows(
                (
                    row[0],
                    spreadsheet_safe(row[1]),
                    row[2],
                    row[3],
                    row[4],
                    "" if row[5] is None else row[5],
                    row[6] or "",
                    row[7].isoformat(),
                )
                for row in chunk
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
