"""Importing a sales file: all or nothing, idempotent, and every customer's observed score derived
again from the store's sales (see ``sales_repository`` for the definition)."""

import hashlib
import uuid
from datetime import UTC, datetime

from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from customers_service import customer_reads, import_repository, sales_repository
from customers_service.errors import ImportRejected
from customers_service.file_import import problem, shown
from customers_service.messages import FIELD_LABELS, Language, message
from customers_service.sales_file import read_sales_file
from customers_service.schemas import ImportProblem
from customers_service.segment_catalogue import SegmentCatalogue


class SalesImportResult(BaseModel):
    imported: int = Field(description="Sales stored")
    customers: int = Field(description="Customers these sales belong to")
    scored: int = Field(description="Customers whose observed score was derived again from the store's sales")


async def import_sales(
    *,
    session: AsyncSession,
    catalogue: SegmentCatalogue,
    owner_id: uuid.UUID,
    token: str,
    raw: bytes,
    filename: str | None,
    language: Language,
) -> SalesImportResult:
    """Every row or none (ImportRejected lists every problem, unknown customers included); the same
    upload again within a day is answered with the first one's result and not stored twice."""
    digest = hashlib.sha256(b"sales\n" + raw).hexdigest()
    repeated = await import_repository.result_of_recent(session=session, owner_id=owner_id, digest=digest)
    await session.commit()
    if repeated is not None:
        return SalesImportResult.model_validate_json(repeated)
    now = datetime.now(UTC)
    parsed = await run_in_threadpool(
        read_sales_file, raw, filename=filename, language=language, today=now.date()
    )
    by_id = await customer_reads.by_external_ids(
        session=session,
        owner_id=owner_id,
        external_ids=sorted({row.external_id for row in parsed.rows if row.external_id is not None}),
    )
    by_name = await sales_repository.customers_by_names(
        session=session,
        owner_id=owner_id,
        names=sorted({row.name for row in parsed.rows if row.external_id is None and row.name is not None}),
    )
    await session.commit()
    # Every problem at once: the rows' own and the customers not found.
    sales, problems = [], list(parsed.problems)
    for row in parsed.rows:
        customer_id, found = _customer_of(row.external_id, row.name, by_id, by_name, row.line, language)
        if found is not None:
            problems.append(found)
        elif customer_id is not None:
            sales.append((customer_id, row.sold_on, row.amount))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda problem: (problem.line or 0, problem.field)))
    segments = await catalogue.segments(token)
    result = SalesImportResult(imported=len(sales), customers=len({sale[0] for sale in sales}), scored=0)
    if not await import_repository.claim(session=session, owner_id=owner_id, digest=digest, result="{}"):
        await session.rollback()
        stored = await import_repository.result_of_recent(session=session, owner_id=owner_id, digest=digest)
        await session.commit()
        return SalesImportResult.model_validate_json(stored) if stored else result
    await sales_repository.insert_sales(session=session, owner_id=owner_id, sales=sales)
    derived = await sales_repository.derived_scores(session=session, owner_id=owner_id)
    await sales_repository.store_derived_scores(
        session=session, owner_id=owner_id, scores=derived, segments=segments, now=now
    )
    result = result.model_copy(update={"scored": len(derived)})
    await import_repository.record_result(
        session=session, owner_id=owner_id, digest=digest, result=result.model_dump_json()
    )
    await session.commit()
    return result


def _customer_of(
    external_id: str | None,
    name: str | None,
    by_id: dict[str, object],
    by_name: dict[str, list[uuid.UUID]],
    line: int,
    language: Language,
) -> tuple[uuid.UUID | None, ImportProblem | None]:
    if external_id is not None:
        customer = by_id.get(external_id)
        if customer is None:
            column = FIELD_LABELS["external_id"][language]
            text = message("sales_customer_unknown", language, column=column, value=shown(external_id))
            return None, problem(line, "external_id", text)
        return customer.id, None  # type: ignore[attr-defined]
    assert name is not None
    matches = by_name.get(name, [])
    if len(matches) == 1:
        return matches[0], None
    if not matches:
        text = message(
            "sales_customer_unknown", language, column=FIELD_LABELS["name"][language], value=shown(name)
        )
    else:
        text = message("sales_customer_ambiguous", language, count=len(matches), value=shown(name))
    return None, problem(line, "name", text)
