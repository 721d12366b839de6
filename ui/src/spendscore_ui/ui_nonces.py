"""One-time values of the browser sessions, used up at auth so that every UI replica agrees: a sign-in
code redeemed once, a signed-out session cookie refused everywhere. Each call carries the user's own
token (auth keeps the values per user)."""

import logging

from spendscore_ui.api_client import ApiClient, ApiError
from spendscore_ui.config import get_settings

logger = logging.getLogger(__name__)


def spend(token: str, nonce: str, expires_at: float) -> bool | None:
    """Use the value up: True the first time on any replica, False when it was used before, None when
    auth could not say (unreachable, or the token no longer valid)."""
    try:
        return ApiClient(get_settings(), token).spend_ui_nonce(nonce, expires_at)
    except ApiError as error:
        logger.warning("auth could not record a sign-in code or sign-out: %s", error.kind)
        return None


def is_spent(token: str, nonce: str) -> bool | None:
    """Whether the value was used up (a cookie signed out) on any replica; None when auth could not say."""
    try:
        return ApiClient(get_settings(), token).ui_nonce_spent(nonce)
    except ApiError as error:
        logger.warning("auth could not say whether a session was signed out: %s", error.kind)
        return None
