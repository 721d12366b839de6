"""Saved views: an owner's named search, filters and sort of the customers list, kept here so that
they follow the owner to any browser. Every function is filtered by the owner; none commits."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from customers_service.models import SavedView

MAX_SAVED_VIEWS_PER_OWNER = 50


async def list_all(*, session: AsyncSession, owner_id: uuid.UUID) -> list[SavedView]:
    """The owner's views by name."""
    rows = await session.scalars(
        select(SavedView).where(col(SavedView.owner_id) == owner_id).order_by(col(SavedView.name))
    )
    return list(rows)


async def get(*, session: AsyncSession, owner_id: uuid.UUID, view_id: uuid.UUID) -> SavedView | None:
    return await session.scalar(
        select(SavedView).where(col(SavedView.owner_id) == owner_id, col(SavedView.id) == view_id)
    )


async def count_locked(*, session: AsyncSession, owner_id: uuid.UUID) -> int:
    """How many views the owner has, with the owner's views locked against another create until the
    transaction ends (two creates at once cannot both pass the limit)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended('saved_view ' || :owner, 0))"),
        {"owner": str(owner_id)},
    )
    count = await session.scalar(select(func.count()).where(col(SavedView.owner_id) == owner_id))
    return int(count or 0)


def create(*, session: AsyncSession, owner_id: uuid.UUID, values: dict[str, Any]) -> SavedView:
    now = datetime.now(UTC)
    view = SavedView(id=uuid.uuid4(), owner_id=owner_id, created_at=now, updated_at=now, **values)
    session.add(view)
    return view


def update(*, session: AsyncSession, view: SavedView, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        setattr(view, field, value)
    view.updated_at = datetime.now(UTC)
    session.add(view)


async def delete_one(*, session: AsyncSession, owner_id: uuid.UUID, view_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(SavedView).where(col(SavedView.owner_id) == owner_id, col(SavedView.id) == view_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
