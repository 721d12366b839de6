"""The recycle bin: deleted customers, restorable for CUSTOMERS_RECYCLE_BIN_DAYS days."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from customers_service import bulk_actions, recycle_bin
from customers_service.db import SessionDep
from customers_service.deps import CatalogueDep, OwnerDep, SettingsDep
from customers_service.schemas import (
    BulkResult,
    DeletedCustomerPage,
    DeletedCustomerRead,
    RestoreRequest,
    customer_read_of,
)
from spendscore_common.params import Offset

router = APIRouter(prefix="/customers/deleted", tags=["recycle bin"])


@router.get("", response_model=DeletedCustomerPage)
async def list_deleted_customers(
    owner: OwnerDep,
    session: SessionDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> DeletedCustomerPage:
    """The owner's deleted customers, the most recent first, with when each will be purged."""
    segments = await catalogue.segments(owner.token)
    rows, total = await recycle_bin.page(session=session, owner_id=owner.id, limit=limit, offset=offset)
    keep = timedelta(days=settings.recycle_bin_days)
    items = []
    for row in rows:
        deleted_at = row.customer.deleted_at
        assert deleted_at is not None
        read = customer_read_of(row.customer, row.latest, segments)
        items.append(
            DeletedCustomerRead(**read.model_dump(), deleted_at=deleted_at, purge_after=deleted_at + keep)
        )
    return DeletedCustomerPage(items=items, total=total)


@router.post(
    "/restore",
    response_model=BulkResult,
    responses={
        404: {"description": "An id is not in the owner's recycle bin: nothing was restored"},
        409: {"description": "Restoring would pass CUSTOMERS_MAX_PER_OWNER"},
    },
)
async def restore_customers(
    body: RestoreRequest, owner: OwnerDep, session: SessionDep, settings: SettingsDep
) -> BulkResult:
    """Back into the list with their history, observed scores and external id: one or many at once."""
    return await bulk_actions.restore(
        session=session, owner_id=owner.id, ids=body.ids, max_customers=settings.max_customers_per_owner
    )
