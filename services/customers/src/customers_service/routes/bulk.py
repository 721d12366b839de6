"""Bulk actions on the ticked customers, or on all that match the list's filters: one request each,
bounded, all or nothing, answering what was done."""

from typing import Any

from fastapi import APIRouter, Request, Response

from customers_service import bulk_actions
from customers_service.customer_reads import CustomerFilters
from customers_service.db import SessionDep
from customers_service.deps import CatalogueDep, ExpensiveCall, InferenceDep, OwnerDep
from customers_service.routes.transfer import (
    XLSX_MEDIA_TYPE,
    ExportSelection,
    default_delimiter,
    export_response,
    localized_export,
)
from customers_service.schemas import BulkExport, BulkResult, BulkSelection

router = APIRouter(prefix="/customers/bulk", tags=["bulk actions"])
MAX_BULK_PREDICT = 1000
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "An id is not one of the owner's customers: nothing was done"}
}


@router.post("/delete", response_model=BulkResult, responses=_NOT_FOUND)
async def bulk_delete(selection: BulkSelection, owner: OwnerDep, session: SessionDep) -> BulkResult:
    """Move the customers into the recycle bin (restorable for CUSTOMERS_RECYCLE_BIN_DAYS)."""
    return await bulk_actions.delete(session=session, owner_id=owner.id, selection=selection)


@router.post(
    "/predict",
    response_model=BulkResult,
    responses={**_NOT_FOUND, 503: {"description": "Inference is unavailable: nothing was stored"}},
    dependencies=[ExpensiveCall],
)
async def bulk_predict(
    selection: BulkSelection, owner: OwnerDep, session: SessionDep, inference: InferenceDep
) -> BulkResult:
    """A new prediction with the current model for each customer (at most 1,000 at once)."""
    return await bulk_actions.predict_again(
        session=session,
        inference=inference,
        token=owner.token,
        owner_id=owner.id,
        selection=selection,
        max_customers=MAX_BULK_PREDICT,
    )


@router.post(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}, **_NOT_FOUND},
    dependencies=[ExpensiveCall],
)
async def bulk_export(
    request: Request, body: BulkExport, owner: OwnerDep, session: SessionDep, catalogue: CatalogueDep
) -> Response:
    """The selected customers as the export writes them (CSV or .xlsx), in ``sort`` (by name without),
    in ``lang`` as GET /customers/export writes it."""
    ids = await bulk_actions.selected_ids(session=session, owner_id=owner.id, selection=body)
    await session.commit()
    selection = ExportSelection(sort=body.sort, filters=CustomerFilters(), ids=ids)
    delimiter = body.delimiter if "delimiter" in body.model_fields_set else default_delimiter(body.lang)
    language = await localized_export(
        session=session, catalogue=catalogue, owner=owner, locale=body.lang, zone_name=body.tz
    )
    return await export_response(
        request.app.state.sessionmaker, owner.id, selection, body.format, delimiter, language
    )
