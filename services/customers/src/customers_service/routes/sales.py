"""Sales (issue 25): import a point of sale's file, list a customer's sales, export them all."""

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, UploadFile, status

from customers_service import sales_repository, store_models
from customers_service.db import SessionDep
from customers_service.deps import CatalogueDep, ExpensiveCall, InferenceDep, OwnerDep, ValidCustomer
from customers_service.file_export import CsvWriter, Delimiter
from customers_service.inference_client import InferenceRejected, InferenceUnavailable
from customers_service.messages import LanguageDep
from customers_service.sales_file import MAX_BYTES
from customers_service.sales_import import SalesImportResult, import_sales
from customers_service.store_schemas import SaleRead

logger = logging.getLogger(__name__)
router = APIRouter(tags=["sales"])
MAX_EXPORTED_SALES = 500_000
EXPORT_HEADER = ("external_id", "name", "date", "amount")


@router.post(
    "/sales/import",
    status_code=status.HTTP_201_CREATED,
    response_model=SalesImportResult,
    responses={422: {"description": "Nothing imported: every problem as {line, field, message} in `detail`"}},
    dependencies=[ExpensiveCall],
)
async def import_sales_file(
    file: UploadFile,
    request: Request,
    owner: OwnerDep,
    session: SessionDep,
    inference: InferenceDep,
    catalogue: CatalogueDep,
    language: LanguageDep,
) -> SalesImportResult:
    """CSV (`,` `;` or tab; UTF-8 or Windows-1252) or .xlsx: the customer (external id or exact name),
    the date and the amount of each sale, headers in English or Portuguese. Every row or none; the same
    file again within a day is answered with the first result. Then every customer's observed score is
    derived again from the store's sales, and the store's correction is fitted again."""
    raw = await file.read(MAX_BYTES + 1)
    result = await import_sales(
        session=session,
        catalogue=catalogue,
        owner_id=owner.id,
        token=owner.token,
        raw=raw,
        filename=file.filename,
        language=language,
    )
    try:
        await store_models.refit(
            sessionmaker=request.app.state.sessionmaker,
            inference=inference,
            owner_id=owner.id,
            token=owner.token,
        )
    except (InferenceUnavailable, InferenceRejected) as exc:
        logger.warning("store model not refitted after a sales import", extra={"reason": str(exc)})
    return result


@router.get("/customers/{customer_id}/sales", response_model=list[SaleRead])
async def customer_sales(
    found: ValidCustomer,
    owner: OwnerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SaleRead]:
    """The customer's sales, newest first."""
    lines = await sales_repository.of_customer(
        session=session, owner_id=owner.id, customer_id=found.customer.id, limit=limit
    )
    return [SaleRead(sold_on=line.sold_on, amount=float(line.amount)) for line in lines]


@router.get(
    "/sales/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Every sale of the owner's customers"}},
    dependencies=[ExpensiveCall],
)
async def export_sales(
    owner: OwnerDep,
    session: SessionDep,
    delimiter: Annotated[Delimiter, Query(description="semicolon: `;` and decimal commas")] = "comma",
) -> Response:
    """Every sale (at most 500,000), oldest first, in the import's own columns: it imports back."""
    sales = await sales_repository.all_of_owner(session=session, owner_id=owner.id, limit=MAX_EXPORTED_SALES)
    writer = CsvWriter(delimiter, header=EXPORT_HEADER)
    body = writer.start() + writer.lines(
        (sale.external_id, sale.name, sale.sold_on.isoformat(), float(sale.amount)) for sale in sales
    )
    return Response(
        body.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sales.csv"'},
    )
