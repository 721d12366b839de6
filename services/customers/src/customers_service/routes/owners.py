"""Removing everything an account owned: called by the auth service when a user is deleted."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from customers_service import customers
from customers_service.db import SessionDep
from spendscore_common.security import require_any_role

router = APIRouter(tags=["owners"])


@router.delete(
    "/owners/{owner_id}/customers",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(require_any_role("admin", "service"))],
)
async def delete_owner_customers(
    owner_id: Annotated[uuid.UUID, "The deleted account's user id"], session: SessionDep
) -> Response:
    """Admins or the auth service only; idempotent (204 even when nothing is left)."""
    await customers.delete_owner_customers(session=session, owner_id=owner_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
