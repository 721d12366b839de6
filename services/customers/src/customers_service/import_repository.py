"""SQL about stored imports (by the digest of the uploaded bytes), so a retried upload is recognised.

Nothing here commits: the caller owns the transaction."""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

REPEAT_WINDOW = "24 hours"


async def result_of_recent(*, session: AsyncSession, owner_id: uuid.UUID, digest: str) -> str | None:
    """The stored result of the same upload by the same owner within the last day, if any."""
    row = (
        await session.execute(
            text(
                "SELECT result FROM import_upload WHERE owner_id = :owner_id AND digest = :digest "
                f"AND created_at > now() - interval '{REPEAT_WINDOW}'"
            ),
            {"owner_id": owner_id, "digest": digest},
        )
    ).first()
    return None if row is None else str(row[0])


async def claim(*, session: AsyncSession, owner_id: uuid.UUID, digest: str, result: str) -> bool:
    """Record this upload in the open transaction; False when the same upload was stored in the last
    day (a concurrent one waits here for the first to commit or roll back). Also forgets this
    owner's uploads older than a day."""
    await session.execute(
        text(
            "DELETE FROM import_upload WHERE owner_id = :owner_id "
            f"AND created_at <= now() - interval '{REPEAT_WINDOW}'"
        ),
        {"owner_id": owner_id},
    )
    claimed = await session.execute(
        text(
            "INSERT INTO import_upload (owner_id, digest, created_at, result) "
            "VALUES (:owner_id, :digest, now(), :result) ON CONFLICT (owner_id, digest) DO NOTHING "
            "RETURNING digest"
        ),
        {"owner_id": owner_id, "digest": digest, "result": result},
    )
    return claimed.first() is not None


async def forget_owner_uploads(*, session: AsyncSession, owner_id: uuid.UUID) -> None:
    """After customers are deleted a stored result no longer describes what is stored: the same file
    uploaded again is read again, not answered with the old counts."""
    await session.execute(
        text("DELETE FROM import_upload WHERE owner_id = :owner_id"), {"owner_id": owner_id}
    )


async def record_result(*, session: AsyncSession, owner_id: uuid.UUID, digest: str, result: str) -> None:
    """Replace the result of a claimed upload (known only once the upload is stored) in the open
    transaction."""
    await session.execute(
        text("UPDATE import_upload SET result = :result WHERE owner_id = :owner_id AND digest = :digest"),
        {"owner_id": owner_id, "digest": digest, "result": result},
    )
