"""The UI's one-time values (sign-in codes, signed-out session cookies), used up once for every UI replica."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from auth_service import ui_nonces
from auth_service.deps import SessionDep, UserEvenIfPasswordChangeIsDue
from auth_service.errors import UiNonceSpentError
from auth_service.schemas import UI_NONCE_PATTERN, UiNonceSpend, UiNonceState

router = APIRouter(prefix="/users/me/spent-ui-nonces", tags=["my account"])


@router.post(
    "",
    response_model=UiNonceState,
    status_code=status.HTTP_201_CREATED,
    summary="Use up a sign-in code or sign out a session cookie (409 when used already)",
)
async def spend_nonce(
    body: UiNonceSpend, user: UserEvenIfPasswordChangeIsDue, db_session: SessionDep
) -> UiNonceState:
    if not await ui_nonces.spend(
        db_session=db_session, user_id=user.id, nonce=body.nonce, expires_at=body.expires_at
    ):
        raise UiNonceSpentError()
    return UiNonceState(spent=True)


@router.get(
    "/{nonce}",
    response_model=UiNonceState,
    status_code=status.HTTP_200_OK,
    summary="Whether a session cookie was signed out",
)
async def read_nonce(
    nonce: Annotated[str, Path(pattern=UI_NONCE_PATTERN)],
    user: UserEvenIfPasswordChangeIsDue,
    db_session: SessionDep,
) -> UiNonceState:
    return UiNonceState(spent=await ui_nonces.is_spent(db_session=db_session, user_id=user.id, nonce=nonce))
