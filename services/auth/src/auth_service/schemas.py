"""Request and response shapes of the auth API (never the password hash)."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from auth_service.passwords import password_problem

Role = Literal["user", "admin"]


def normalise_email(value: str) -> str:
    """A syntactically valid address, lower-cased: the form stored and compared."""
    try:
        # test_environment allows the reserved ``.test`` domain used by the test suites.
        result = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return result.normalized.lower()


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


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(
        description="Seconds until the token expires (7200 for a user, 600 for a service)"
    )


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
    """A user's change to their own profile; absent fields stay as they are, null is refused."""

    email: Email | None = None
    name: Name | None = None

    _not_null = field_validator("email", "name", mode="before")(_refuse_null)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: NewPassword
