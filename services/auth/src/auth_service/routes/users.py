"""A user's own account: read, edit, change password, delete."""

from fastapi import APIRouter, Response, status

from auth_service import accounts
from auth_service.deps import (
    CurrentUser,
    DeletionWorkerDep,
    HasherDep,
    IssuerDep,
    SessionDep,
    ThrottlePolicyDep,
    UserEvenIfPasswordChangeIsDue,
)
from auth_service.models import User
from auth_service.routes.login import token_for
from auth_service.schemas import AccountDeletion, PasswordChange, ProfileUpdate, TokenResponse, UserPublic

router = APIRouter(prefix="/users/me", tags=["my account"])


@router.get("", response_model=UserPublic, status_code=status.HTTP_200_OK, summary="My profile")
async def read_me(user: UserEvenIfPasswordChangeIsDue) -> User:
    return user


@router.patch(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_200_OK,
    responses={
        400: {"description": "The current password is incorrect, or this email cannot be used (one answer)"},
        429: {"description": "Too many wrong current passwords; see the Retry-After header"},
    },
    summary="Change my name or email (a new email needs current_password)",
)
async def update_me(
    changes: ProfileUpdate,
    user: CurrentUser,
    db_session: SessionDep,
    hasher: HasherDep,
    policy: ThrottlePolicyDep,
) -> User:
    return await accounts.update_own_profile(
        db_session=db_session, hasher=hasher, policy=policy, user=user, changes=changes
    )


@router.put(
    "/password",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses={
        400: {"description": "The current password is incorrect"},
        422: {"description": "The new password is too short, too common or the current one"},
        429: {"description": "Too many wrong current passwords; see the Retry-After header"},
    },
    summary=(
        "Change my password (needs the current one): every other session ends, this one continues "
        "with the fresh token returned"
    ),
)
async def change_my_password(
    change: PasswordChange,
    user: UserEvenIfPasswordChangeIsDue,
    db_session: SessionDep,
    hasher: HasherDep,
    policy: ThrottlePolicyDep,
    issuer: IssuerDep,
) -> TokenResponse:
    await accounts.change_password(
        db_session=db_session,
        hasher=hasher,
        policy=policy,
        user=user,
        current_password=change.current_password,
        new_password=change.new_password,
    )
    # Issued after the revocation, so it is the one token of this user still valid.
    return token_for(user, issuer)


@router.delete(
    "",
    response_model=None,
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        400: {"description": "The current password is incorrect"},
        429: {"description": "Too many wrong current passwords; see the Retry-After header"},
    },
    summary="Delete my account and all my customers (needs current_password)",
)
async def delete_me(
    confirmation: AccountDeletion,
    user: CurrentUser,
    db_session: SessionDep,
    hasher: HasherDep,
    policy: ThrottlePolicyDep,
    worker: DeletionWorkerDep,
) -> Response:
    await accounts.delete_own_account(
        db_session=db_session, hasher=hasher, policy=policy, user=user, password=confirmation.current_password
    )
    worker.wake()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
