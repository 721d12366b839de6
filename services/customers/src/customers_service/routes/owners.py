"""Removing everything an account owned: called by the auth service when a user is deleted."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from customers_service import customers
from customers_service.db import SessionDep
from spendscore_common.security import require_auth_service

router = APIRouter(tags=["owners"])


@router.delete(
    "/owners/{owner_id}/customers",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(require_auth_service)],
)
async def delete_owner_customers(
    owner_id: Annotated[uuid.UUID, "The deleted account's user id"], session: SessionDep
) -> Response:
    """The auth service only (its own service token), once it has checked in its database that the
    caller may delete that account: an admin's token alone is not enough. Idempotent (204 even when
    nothing is left)."""
    await customers.delete_owner_customers(session=session, owner_id=owner_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
