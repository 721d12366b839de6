"""Database tables of the auth service (API shapes live in schemas.py)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from spendscore_common.database import table_registry


class AuthTable(SQLModel, registry=table_registry()):
    """Base of the auth service's tables: their own MetaData, with the naming convention."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(*, nullable: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class User(AuthTable, table=True):
    """A store owner or an admin. ``email`` is stored normalised (NFKC, case-folded: see
    ``schemas.normalise_email``), so uniqueness ignores case and look-alike forms."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_email_skeleton", "email_skeleton"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    # The address's confusables skeleton (auth_service.email_skeleton), kept by user_repository.save:
    # an address whose skeleton another account has is refused (issue 30). Not unique: accounts made
    # before it may share one.
    email_skeleton: str = Field(default="", sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    password_hash: str = Field(sa_column=Column(String(100), nullable=False))
    roles: list[str] = Field(
        default_factory=lambda: ["user"], sa_column=Column(ARRAY(String(20)), nullable=False)
    )
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    last_login_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Set by an admin's password reset: the user's next sign-in can do nothing but choose a new one.
    must_change_password: bool = Field(default=False)
    # A temporary password works once and until this time (issue 30); the password it replaced may
    # not be chosen again as the new one.
    temporary_password_expires_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    previous_password_hash: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class LoginThrottle(AuthTable, table=True):
    """Failed logins counted per key (``email:...`` or ``address:...``) in a fixed window.

    Kept in PostgreSQL rather than process memory so that the limit holds across replicas.
    """

    __tablename__ = "login_throttles"

    key: str = Field(sa_column=Column(String(400), primary_key=True))
    failures: int = Field(default=0)
    window_started_at: datetime = Field(sa_column=_timestamp())


class PendingOwnerDeletion(AuthTable, table=True):
    """Outbox: a deleted user whose customers the customers service has not yet confirmed deleting."""

    __tablename__ = "pending_owner_deletions"
    __table_args__ = (Index("ix_pending_owner_deletions_next_attempt_at", "next_attempt_at"),)

    owner_id: uuid.UUID = Field(primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))


class TokenRevocation(AuthTable, table=True):
    """Tokens of ``user_id`` issued before ``issued_before`` are void (password change, deactivation,
    deletion, role change). Published at GET /revocations; a row is dropped once every token it voids
    has expired."""

    __tablename__ = "token_revocations"
    __table_args__ = (Index("ix_token_revocations_issued_before", "issued_before"),)

    user_id: uuid.UUID = Field(primary_key=True)
    issued_before: datetime = Field(sa_column=_timestamp())


class DeviceToken(AuthTable, table=True):
    """A browser that has signed in to this account before (OWASP's device cookie), by the SHA-256 of
    the opaque token it holds. A login presenting it is throttled per device, not by the account lock."""

    __tablename__ = "device_tokens"
    __table_args__ = (
        Index("ix_device_tokens_user_id", "user_id"),
        Index("ix_device_tokens_expires_at", "expires_at"),
    )

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())


class SpentUiNonce(AuthTable, table=True):
    """A one-time value of the UI's browser sessions that has been used up: a sign-in code redeemed,
    or a session cookie signed out. Kept here, not in a UI process, so that every UI replica sees it
    (the UI has no database of its own). By the SHA-256 of the user's id and the value; dropped once
    the value has expired anyway."""

    __tablename__ = "spent_ui_nonces"
    __table_args__ = (Index("ix_spent_ui_nonces_expires_at", "expires_at"),)

    nonce_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    expires_at: datetime = Field(sa_column=_timestamp())
