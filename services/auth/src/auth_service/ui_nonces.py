"""One-time values of the UI's browser sessions, used up once across every UI replica: a sign-in code
is redeemed once, a signed-out session cookie stays signed out. The value is random (the UI makes it)
and stored hashed with its user's id, so a user can only spend or look up values of their own."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.models import SpentUiNonce

# A session cookie lives at most 2 h (the token's lifetime); a little more for clock skew.
LONGEST_LIFETIME = timedelta(hours=2, minutes=5)


def _hash(user_id: uuid.UUID, nonce: str) -> str:
    return hashlib.sha256(f"{user_id}:{nonce}".encode()).hexdigest()


async def spend(*, db_session: AsyncSession, user_id: uuid.UUID, nonce: str, expires_at: datetime) -> bool:
    """Use the value up; True the first time, False when it was spent before (by any replica). Kept
    until ``expires_at`` (at most LONGEST_LIFETIME from now); expired ones are dropped on the way."""
    now = datetime.now(UTC)
    kept_until = min(expires_at, now + LONGEST_LIFETIME)
    await db_session.exec(delete(SpentUiNonce).where(col(SpentUiNonce.expires_at) < now))
    spent = await db_session.exec(
        insert(SpentUiNonce)
        .values(nonce_hash=_hash(user_id, nonce), expires_at=kept_until)
        .on_conflict_do_nothing(index_elements=[col(SpentUiNonce.nonce_hash)])
        .returning(col(SpentUiNonce.nonce_hash))
    )
    first_time = spent.first() is not None
    await db_session.commit()
    return first_time


async def is_spent(*, db_session: AsyncSession, user_id: uuid.UUID, nonce: str) -> bool:
    found = await db_session.exec(
        select(col(SpentUiNonce.nonce_hash)).where(col(SpentUiNonce.nonce_hash) == _hash(user_id, nonce))
    )
    return found.first() is not None
