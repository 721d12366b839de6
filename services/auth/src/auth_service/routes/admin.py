"""Admins manage every account: create, list and search, read, edit (roles, activation), delete."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from auth_service import accounts, login_throttle, user_repository
from auth_service.deps import CurrentAdmin, DeletionWorkerDep, HasherDep, SessionDep, UserById
from auth_service.models import User
from auth_service.schemas import TemporaryPassword, UserCreate, UserPublic, UsersPage, UserUpdate
from spendscore_common.params import Offset

router = APIRouter(prefix="/admin/users", tags=["admin"])


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(
    request: UserCreate, _admin: CurrentAdmin, db_session: SessionDep, hasher: HasherDep
) -> User:
    return await accounts.create_user(db_session=db_session, hasher=hasher, request=request)


@router.get("", response_model=UsersPage, status_code=status.HTTP_200_OK, summary="List and search users")
async def list_users(
    _admin: CurrentAdmin,
    db_session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=320, description="Part of an email or a name")] = None,
) -> UsersPage:
    users, total = await user_repository.get_all(db_session=db_session, limit=limit, offset=offset, query=q)
    return UsersPage(items=[UserPublic.model_validate(user) for user in users], total=total)


@router.get("/{user_id}", response_model=UserPublic, status_code=status.HTTP_200_OK, summary="Read a user")
async def read_user(user: UserById) -> User:
    return user


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    status_code=status.HTTP_200_OK,
    summary="Edit a user: name, email, roles (promote/demote), is_active",
)
async def update_user(changes: UserUpdate, user: UserById, db_session: SessionDep) -> User:
    return await accounts.update_user(db_session=db_session, user=user, changes=changes)


@router.delete(
    "/{user_id}",
    response_model=None,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user and all their customers",
)
async def delete_user(user: UserById, db_session: SessionDep, worker: DeletionWorkerDep) -> Response:
    await accounts.delete_user(db_session=db_session, user=user)
    worker.wake()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{user_id}/password-reset",
    response_model=TemporaryPassword,
    status_code=status.HTTP_200_OK,
    summary=(
        "Reset a user's password: returns a temporary password once; the user must choose a new one "
        "at the next sign-in, and every token they hold is void"
    ),
)
async def reset_password(user: UserById, db_session: SessionDep, hasher: HasherDep) -> TemporaryPassword:
    password = await accounts.reset_password(db_session=db_session, hasher=hasher, user=user)
    return TemporaryPassword(temporary_password=password)


@router.post(
    "/{user_id}/unlock",
    response_model=None,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Forget the account's failed sign-ins, so that its owner can sign in from a new device at once",
)
async def unlock(user: UserById, db_session: SessionDep) -> Response:
    await login_throttle.unlock_account(db_session=db_session, email=user.email)
    await db_session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
