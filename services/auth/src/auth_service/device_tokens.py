"""Device cookies (OWASP): an opaque token that a browser gets at every successful login and sends back.

A login presenting a valid device token of the account it names is throttled per device token, so that
strangers who lock the account by guessing cannot lock out its owner on a browser that signed in before.
Only the SHA-256 of a token is stored; a token is bound to one user and lives 90 days. A successful
login replaces the token it presented (rotation), so a copied token stops working once its owner signs
in again.
"""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.models import DeviceToken, User

DEVICE_TOKEN_LIFETIME = timedelta(days=90)
# Browsers remembered per account; a login beyond that forgets the oldest (logins without a device
# token, a script's for instance, cannot grow the table without bound).
MAX_DEVICES_PER_USER = 20


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(*, db_session: AsyncSession, user_id: uuid.UUID, now: datetime) -> str:
    """A new device token for the user (256 random bits); only its hash is stored. The user's oldest
    tokens beyond MAX_DEVICES_PER_USER are forgotten."""
    token = secrets.token_urlsafe(32)
    db_session.add(
        DeviceToken(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + DEVICE_TOKEN_LIFETIME,
        )
    )
    await db_session.flush()
    newest = (
        select(DeviceToken.token_hash)
        .where(col(DeviceToken.user_id) == user_id)
        .order_by(col(DeviceToken.created_at).desc())
        .limit(MAX_DEVICES_PER_USER)
    )
    await db_session.exec(
        delete(DeviceToken).where(
            col(DeviceToken.user_id) == user_id, col(DeviceToken.token_hash).not_in(newest.scalar_subquery())
        )
    )
    return token


async def valid_for(*, db_session: AsyncSession, token: str, email: str, now: datetime) -> str | None:
    """The token's hash when it is an unexpired device token of the account with this email, else None."""
    hashed = token_hash(token)
    statement = (
        select(DeviceToken.token_hash)
        .join(User, col(User.id) == col(DeviceToken.user_id))
        .where(
            col(DeviceToken.token_hash) == hashed, col(User.email) == email, col(DeviceToken.expires_at) > now
        )
    )
    return (await db_session.exec(statement)).first()


async def forget(*, db_session: AsyncSession, hashed: str) -> None:
    await db_session.exec(delete(DeviceToken).where(col(DeviceToken.token_hash) == hashed))


async def delete_expired(*, db_session: AsyncSession, now: datetime) -> int:
    result = await db_session.exec(delete(DeviceToken).where(col(DeviceToken.expires_at) <= now))
    return result.rowcount
