"""Token revocation: per user, the time before which their tokens are void, and the feed that publishes it.

A password change, a deactivation, a deletion, a role change or a password reset voids every token the
user holds. Auth refuses such a token at once (it reads this table on every request); the other
services refuse it as soon as they next poll GET /revocations (every 2 s). A row is dropped once every
token it voids has expired anyway.
"""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.models import TokenRevocation, User
from auth_service.tokens import ACCESS_TOKEN_TTL_SECONDS, issued_at_now
from spendscore_common.tokens import revocation_key

# Past the verifiers' 30 s leeway and clock skew between hosts.
_EXPIRY_MARGIN = timedelta(minutes=5)
KEPT_FOR = timedelta(seconds=ACCESS_TOKEN_TTL_SECONDS) + _EXPIRY_MARGIN


async def revoke_tokens(*, db_session: AsyncSession, user_id: uuid.UUID) -> float:
    """Void every token of the user issued until now; returns the cut-off (Unix time). A token issued
    after this call (in this process) is not voided."""
    cutoff = issued_at_now()
    issued_before = datetime.fromtimestamp(cutoff, UTC)
    await db_session.exec(
        insert(TokenRevocation)
        .values(user_id=user_id, issued_before=issued_before)
        .on_conflict_do_update(
            index_elements=[col(TokenRevocation.user_id)], set_={"issued_before": issued_before}
        )
    )
    return cutoff


# Built once, not per request (auth reads it for every signed-in call).
_USER_AND_CUTOFF = (
    select(User, col(TokenRevocation.issued_before))
    .outerjoin(TokenRevocation, col(TokenRevocation.user_id) == col(User.id))
    .where(col(User.id) == bindparam("user_id"))
)


async def user_and_cutoff(
    *, db_session: AsyncSession, user_id: uuid.UUID
) -> tuple[User | None, float | None]:
    """The user (None when there is none) and their cut-off (Unix time; None when none of their
    tokens is void), in one statement."""
    row = (await db_session.exec(_USER_AND_CUTOFF, params={"user_id": user_id})).first()
    if row is None:
        return None, None
    user, cutoff = row
    return user, None if cutoff is None else cutoff.timestamp()


async def current_feed(*, db_session: AsyncSession, now: datetime) -> tuple[bytes, str]:
    """The feed's JSON body and its ETag: only the revocations that still void an unexpired token."""
    rows = (
        await db_session.exec(
            select(TokenRevocation)
            .where(col(TokenRevocation.issued_before) > now - KEPT_FOR)
            .order_by(col(TokenRevocation.user_id))
        )
    ).all()
    # Named by a hash of the user id: the feed is public, and says nothing about who changed what.
    document = {
        "revocations": [
            {"subject_hash": revocation_key(str(row.user_id)), "issued_before": row.issued_before.timestamp()}
            for row in rows
        ]
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def delete_expired(*, db_session: AsyncSession, now: datetime) -> int:
    result = await db_session.exec(
        delete(TokenRevocation).where(col(TokenRevocation.issued_before) <= now - KEPT_FOR)
    )
    return result.rowcount
