"""The owner's store settings row (issue 23). Filtered by the owner; nothing here commits."""

import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from customers_service.models import StoreSettings
from customers_service.store_settings import MODEL_UNIT, IncomeUnit
from customers_service.store_settings_schemas import StoreSettingsRead, StoreSettingsUpdate


async def get(*, session: AsyncSession, owner_id: uuid.UUID) -> StoreSettings | None:
    return await session.get(StoreSettings, owner_id)


async def unit_of(*, session: AsyncSession, owner_id: uuid.UUID) -> IncomeUnit:
    """The owner's income unit; the model's when the owner never set one."""
    return unit_of_row(await get(session=session, owner_id=owner_id))


def unit_of_row(row: StoreSettings | None) -> IncomeUnit:
    if row is None:
        return MODEL_UNIT
    return IncomeUnit(
        currency=row.currency,
        period="month" if row.period == "month" else "year",
        in_thousands=row.in_thousands,
        units_per_model_unit=row.units_per_model_unit,
    )


async def put(*, session: AsyncSession, owner_id: uuid.UUID, values: StoreSettingsUpdate) -> StoreSettings:
    """Replace the owner's settings; ``units_set_at`` moves only when the factor changes."""
    now = datetime.now(UTC)
    row = await session.get(StoreSettings, owner_id, with_for_update=True)
    if row is None:
        row = StoreSettings(owner_id=owner_id, units_set_at=now, **values.model_dump())
    elif row.units_per_model_unit != values.units_per_model_unit:
        row.units_set_at = now
    for field, value in values.model_dump().items():
        setattr(row, field, value)
    row.updated_at = now
    session.add(row)
    return row


async def forget_owner(*, session: AsyncSession, owner_id: uuid.UUID) -> None:
    await session.execute(delete(StoreSettings).where(col(StoreSettings.owner_id) == owner_id))


def settings_read_of(row: StoreSettings | None) -> StoreSettingsRead:
    unit = unit_of_row(row)
    return StoreSettingsRead(
        **asdict(unit),
        units_set_at=None if row is None else row.units_set_at,
        is_model_unit=unit.is_model_unit,
    )
