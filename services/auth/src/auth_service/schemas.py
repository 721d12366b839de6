"""Request and response shapes of the auth API (never the password hash)."""

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from auth_service.passwords import password_problem

Role = Literal["user", "admin"]


def fold_email(value: str) -> str:
    """The form an address is stored and compared in: NFKC (fullwidth and other compatibility forms
    become plain letters), case-folded, and the Turkish dotted İ and dotless ı folded to i, so that
    look-alikes of an address are the same address."""
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded.replace("i\u0307", "i").replace("\u0131", "i"))


# Scripts that are written together: Japanese mixes Han, Hiragana and Katakana; Korean Han and Hangul.
_SCRIPT_FAMILIES = {"CJK": "Han", "HIRAGANA": "Han", "KATAKANA": "Han", "HANGUL": "Han"}


def _script_of(character: str) -> str | None:
    """The script of a letter, from its Unicode name (LATIN SMALL LETTER A -> LATIN); None for what
    belongs to every script (digits, punctuation, marks)."""
    if not unicodedata.category(character).startswith("L"):
        return None
    script = unicodedata.name(character, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_FAMILIES.get(script, script)


def mixed_scripts(local_part: str) -> set[str]:
    """The scripts a local part's letters come from, when there is more than one (else empty)."""
    scripts = {script for script in map(_script_of, local_part) if script is not None}
    return scripts if len(scripts) > 1 else set()


def idna_label_text(label: str) -> str:
    """A domain label as written: ``xn--exmple-4nf`` -> ``exаmple``."""
    try:
        return label.encode("ascii").decode("idna") if label.startswith("xn--") else label
    except UnicodeError:
        return label


def normalise_email(value: str) -> str:
    """A syntactically valid address in its folded form (``fold_email``); a local part mixing scripts
    (a Cyrillic а among Latin letters) is refused."""
    try:
        # test_environment allows the reserved ``.test`` domain used by the test suites.
        result = validate_email(fold_email(value), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    scripts = mixed_scripts(result.local_part)
    if scripts:
        raise ValueError(
            "the part before the @ mixes scripts (" + ", ".join(sorted(scripts)).title() + "): use one"
        )
    for label in result.ascii_domain.split(".") if result.ascii_domain else ():
        # The domain as written (an IDN's Unicode form): one script per label, as browsers require.
        scripts = mixed_scripts(idna_label_text(label))
        if scripts:
            raise ValueError("the domain mixes scripts (" + ", ".join(sorted(scripts)).title() + "): use one")
    return fold_email(result.normalized)


def _check_new_password(value: str) -> str:
    problem = password_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Email = Annotated[str, Field(max_length=320, examples=["owner@example.com"]), AfterValidator(normalise_email)]
NewPassword = Annotated[
    str, Field(description="8 characters or more, at most 72 bytes"), AfterValidator(_check_new_password)
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Roles = Annotated[list[Role], Field(min_length=1, examples=[["user"]])]


class LoginRequest(BaseModel):
    # Not validated as an address: a malformed one gets the same 401 as any other wrong login.
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    device_token: str | None = Field(
        None,
        max_length=200,
        description="The device_token a previous login from this browser returned: with it, this "
        "browser's attempts are limited on their own, not by the account-wide lock",
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(
        description="Seconds until the token expires (7200 for a user, 600 for a service)"
    )


class LoginResponse(TokenResponse):
    device_token: str = Field(
        description="Opaque, valid 90 days: send it back as device_token with this browser's next logins"
    )
    must_change_password: bool = Field(
        description="True after an admin's password reset: until PUT /users/me/password, every other "
        "endpoint answers 403 password_change_required"
    )


class TemporaryPassword(BaseModel):
    temporary_password: str = Field(
        description="Shown this once: the user signs in with it and must then choose a new password"
    )


class Revocation(BaseModel):
    subject_hash: str = Field(
        description="SHA-256 (hex) of 'spendscore-revocation', a NUL byte and the token's sub (the user id)"
    )
    issued_before: float = Field(description="Unix time: this user's tokens with an earlier iat are void")


class RevocationFeed(BaseModel):
    revocations: list[Revocation]


class ServiceTokenRequest(BaseModel):
    client_id: str = Field(max_length=100, examples=["customers"])
    client_secret: str = Field(max_length=1024)


class Jwks(BaseModel):
    keys: list[dict[str, Any]]


class UserPublic(BaseModel):
    """The shape every user endpoint returns."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class UsersPage(BaseModel):
    items: list[UserPublic]
    total: int


class UserCreate(BaseModel):
    email: Email
    name: Name
    password: NewPassword
    roles: Roles = ["user"]


def _refuse_null(value: object, info: ValidationInfo) -> object:
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null; leave it out to keep the current value")
    return value


class UserUpdate(BaseModel):
    """An admin's change to an account; absent fields stay as they are, null is refused."""

    email: Email | None = None
    name: Name | None = None
    roles: Roles | None = None
    is_active: bool | None = None

    _not_null = field_validator("email", "name", "roles", "is_active", mode="before")(_refuse_null)


class ProfileUpdate(BaseModel):
    """A user's change to their own profile; absent fields stay as they are, null is refused. A new
    email needs the current password."""

    email: Email | None = None
    name: Name | None = None
    current_password: str | None = Field(None, max_length=1024, description="Required to change the email")

    _not_null = field_validator("email", "name", mode="before")(_refuse_null)


class AccountDeletion(BaseModel):
    current_password: str = Field(max_length=1024)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: NewPassword


# --- issue 27: the UI's one-time values, shared by every UI replica ---------------------------------
UI_NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"


class UiNonceSpend(BaseModel):
    """A sign-in code redeemed or a session cookie signed out, by the UI, until it expires."""

    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(
        pattern=UI_NONCE_PATTERN, description="The random value (16 to 128 URL-safe characters)"
    )
    expires_at: datetime = Field(description="When the value expires anyway (kept at most 2 h)")


class UiNonceState(BaseModel):
    spent: bool
