"""SQL over the users table: small verbs with keyword-only arguments that return rows or None."""

import uuid
from collections.abc import Sequence

from sqlalchemy import any_, func, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.email_skeleton import email_skeleton
from auth_service.errors import EmailAlreadyUsedError, EmailLookAlikeError
from auth_service.models import User
from auth_service.schemas import fold_email


async def get(*, db_session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await db_session.get(User, user_id)


async def get_by_email(*, db_session: AsyncSession, email: str) -> User | None:
    result = await db_session.exec(select(User).where(User.email == fold_email(email)))
    return result.first()


async def get_all(
    *, db_session: AsyncSession, limit: int, offset: int, query: str | None = None
) -> tuple[Sequence[User], int]:
    """A page of users ordered by email, and how many match in total."""
    condition = None
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition = or_(col(User.email).ilike(pattern), col(User.name).ilike(pattern))
    page = select(User).order_by(col(User.email)).limit(limit).offset(offset)
    count = select(func.count()).select_from(User)
    if condition is not None:
        page, count = page.where(condition), count.where(condition)
    users = (await db_session.exec(page)).all()
    total = (await db_session.exec(count)).one()
    return users, total


async def create(
    *,
    db_session: AsyncSession,
    email: str,
    name: str,
    password_hash: str,
    roles: Sequence[str],
    is_active: bool = True,
) -> User:
    user = User(
        email=email, name=name, password_hash=password_hash, roles=sorted(set(roles)), is_active=is_active
    )
    db_session.add(user)
    await save(db_session=db_session, user=user)
    return user


async def save(*, db_session: AsyncSession, user: User) -> None:
    """Write the user's pending changes; an email that another user has raises EmailAlreadyUsedError,
    one that looks like another user's (the same confusables skeleton) EmailLookAlikeError."""
    skeleton = email_skeleton(user.email)
    if skeleton != user.email_skeleton:  # a new user or a new address
        look_alike = select(User.id).where(User.email_skeleton == skeleton, User.email != user.email)
        with db_session.no_autoflush:  # the pending change is written below, where its conflict is caught
            found = (await db_session.exec(look_alike.limit(1))).first()
        if found is not None:
            raise EmailLookAlikeError()
        user.email_skeleton = skeleton
    try:
        async with db_session.begin_nested():
            db_session.add(user)
    except IntegrityError as exc:
        raise EmailAlreadyUsedError() from exc


async def delete(*, db_session: AsyncSession, user: User) -> None:
    await db_session.delete(user)
    await db_session.flush()


async def lock_active_admin_ids(*, db_session: AsyncSession) -> set[uuid.UUID]:
    """Ids of the active admins, their rows locked until the transaction ends.

    Two concurrent demotions of the last two admins serialise here, so one of them sees it would
    remove the last admin.
    """
    statement = (
        select(User.id)
        .where(col(User.is_active), literal("admin") == any_(col(User.roles)))
        .order_by(col(User.id))
        .with_for_update()
    )
    return set((await db_session.exec(statement)).all())
