"""The store's own money (issue 23): the unit in which an owner types, imports and reads incomes."""

from fastapi import APIRouter

from customers_service import store_settings_repository
from customers_service.db import SessionDep
from customers_service.deps import OwnerDep
from customers_service.store_settings_schemas import StoreSettingsRead, StoreSettingsUpdate

router = APIRouter(prefix="/settings", tags=["store settings"])


@router.get("", response_model=StoreSettingsRead)
async def read_store_settings(owner: OwnerDep, session: SessionDep) -> StoreSettingsRead:
    """The owner's income unit; never set: the model's (k$ per year, factor 1)."""
    row = await store_settings_repository.get(session=session, owner_id=owner.id)
    return store_settings_repository.settings_read_of(row)


@router.put("", response_model=StoreSettingsRead)
async def replace_store_settings(
    values: StoreSettingsUpdate, owner: OwnerDep, session: SessionDep
) -> StoreSettingsRead:
    """Set the unit. Customers keep the model income they were scored with: a new factor applies to
    incomes entered from now on (and to how the others are shown)."""
    row = await store_settings_repository.put(session=session, owner_id=owner.id, values=values)
    await session.commit()
    return store_settings_repository.settings_read_of(row)
