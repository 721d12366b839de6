"""Saved views of the customers list: named search, filters and sort, per owner."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from sqlalchemy.exc import IntegrityError

from customers_service import saved_views
from customers_service.db import SessionDep
from customers_service.deps import OwnerDep
from customers_service.errors import SavedViewLimitReached, SavedViewNameTaken, SavedViewNotFound
from customers_service.models import SavedView
from customers_service.schemas import SavedViewCreate, SavedViewRead, SavedViewUpdate

router = APIRouter(prefix="/saved-views", tags=["saved views"])
ViewId = Annotated[uuid.UUID, Path(description="The saved view's id")]


def _read(view: SavedView) -> SavedViewRead:
    return SavedViewRead.model_validate(view, from_attributes=True)


@router.get("", response_model=list[SavedViewRead])
async def list_saved_views(owner: OwnerDep, session: SessionDep) -> list[SavedViewRead]:
    """The owner's saved views, by name."""
    return [_read(view) for view in await saved_views.list_all(session=session, owner_id=owner.id)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SavedViewRead,
    responses={409: {"description": "The name is taken, or the owner has the most views allowed"}},
)
async def create_saved_view(values: SavedViewCreate, owner: OwnerDep, session: SessionDep) -> SavedViewRead:
    count = await saved_views.count_locked(session=session, owner_id=owner.id)
    if count >= saved_views.MAX_SAVED_VIEWS_PER_OWNER:
        raise SavedViewLimitReached(saved_views.MAX_SAVED_VIEWS_PER_OWNER)
    view = saved_views.create(session=session, owner_id=owner.id, values=values.model_dump())
    await _commit_or_name_taken(session)
    return _read(view)


@router.patch(
    "/{view_id}", response_model=SavedViewRead, responses={409: {"description": "The name is taken"}}
)
async def update_saved_view(
    view_id: ViewId, values: SavedViewUpdate, owner: OwnerDep, session: SessionDep
) -> SavedViewRead:
    """Rename, or change what the view opens: only the fields sent change."""
    view = await saved_views.get(session=session, owner_id=owner.id, view_id=view_id)
    if view is None:
        raise SavedViewNotFound
    changes = values.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        del changes["name"]  # a view always has a name
    saved_views.update(session=session, view=view, changes=changes)
    await _commit_or_name_taken(session)
    return _read(view)


@router.delete("/{view_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_saved_view(view_id: ViewId, owner: OwnerDep, session: SessionDep) -> Response:
    if not await saved_views.delete_one(session=session, owner_id=owner.id, view_id=view_id):
        raise SavedViewNotFound
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _commit_or_name_taken(session: SessionDep) -> None:
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise SavedViewNameTaken from error
