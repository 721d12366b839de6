"""Domain errors of the auth service and the one place where they become HTTP responses."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse


class AuthServiceError(Exception):
    """Base of the errors the code raises; each subclass knows its status and safe message."""

    status_code = status.HTTP_400_BAD_REQUEST
    detail = "Bad request"
    code: str | None = None  # machine-readable, sent beside detail when set

    def __init__(self, detail: str | None = None):
        super().__init__(detail or self.detail)
        if detail is not None:
            self.detail = detail

    @property
    def headers(self) -> dict[str, str]:
        return {}


class NotFoundError(AuthServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    detail = "User not found"


class ForbiddenError(AuthServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    detail = "Requires role: admin"


class EmailAlreadyUsedError(AuthServiceError):
    status_code = status.HTTP_409_CONFLICT
    detail = "A user with this email already exists"


class EmailLookAlikeError(EmailAlreadyUsedError):
    # The same confusables skeleton as another account's address (auth_service.email_skeleton).
    detail = (
        "This email looks like another account's (letters that read alike, such as a Cyrillic а or "
        "a small capital ʟ): use another address"
    )
    code = "email_look_alike"


class EmailChangeRefusedError(AuthServiceError):
    # One answer for a wrong password and for an address another account has: a user's own email
    # change must not tell which addresses have accounts (each attempt is throttled like a guess).
    status_code = status.HTTP_400_BAD_REQUEST
    detail = "The current password is incorrect, or this email cannot be used"


class UiNonceSpentError(AuthServiceError):
    status_code = status.HTTP_409_CONFLICT
    detail = "This sign-in code or session was used already"


class LastAdminError(AuthServiceError):
    status_code = status.HTTP_409_CONFLICT
    detail = "This is the last active admin: make another user an active admin first"


class InvalidCredentialsError(AuthServiceError):
    """The same answer for an unknown email, a wrong password and a deactivated account."""

    status_code = status.HTTP_401_UNAUTHORIZED
    detail = "Incorrect email or password"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class AccountUnavailableError(InvalidCredentialsError):
    """A valid token whose account has since been deleted or deactivated."""

    detail = "This account no longer exists or is deactivated"


class AccountDeletedError(AccountUnavailableError):
    detail = "This account was deleted"
    code = "account_deleted"


class AccountDeactivatedTokenError(AccountUnavailableError):
    """A valid token of an account an admin has since deactivated (the UI tells its user why)."""

    detail = "This account was deactivated"
    code = "account_deactivated"


class RevokedTokenError(InvalidCredentialsError):
    """A token issued before its user's password change, deactivation, role change or password reset."""

    detail = "This token was revoked: sign in again"
    code = "session_revoked"


class PasswordResetTokenError(RevokedTokenError):
    """A token issued before an admin reset its user's password."""

    detail = "An administrator reset this account's password: sign in with the temporary one"
    code = "password_reset"


class AccountDeactivatedError(AuthServiceError):
    """The right password for a deactivated account (a wrong one gets the plain 401: nothing leaks)."""

    status_code = status.HTTP_403_FORBIDDEN
    detail = "This account is deactivated"
    code = "account_deactivated"


class InvalidClientError(InvalidCredentialsError):
    """The same answer for an unknown client, a wrong secret and a client with no secret configured."""

    detail = "Invalid client credentials"


class WrongCurrentPasswordError(AuthServiceError):
    status_code = status.HTTP_400_BAD_REQUEST
    detail = "The current password is incorrect"


class PreviousPasswordError(AuthServiceError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    detail = "new_password must differ from the password before the reset"


class SamePasswordError(AuthServiceError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    detail = "new_password must differ from the current password"


class TooManyAttemptsError(AuthServiceError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    detail = "Too many failed login attempts; try again later"

    def __init__(self, retry_after_seconds: int, detail: str | None = None):
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthServiceError)
    body = {"detail": exc.detail} if exc.code is None else {"detail": exc.detail, "code": exc.code}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AuthServiceError, _handle)
