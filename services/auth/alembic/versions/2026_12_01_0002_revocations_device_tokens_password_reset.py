"""token revocations, device tokens, must_change_password; emails normalised with NFKC + case folding

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normalised(email: str) -> str:
    # As auth_service.schemas.normalise_email folds an address already validated when it was stored
    # (frozen here: a migration must not change when the app's code does).
    folded = unicodedata.normalize("NFKC", email).casefold()
    return unicodedata.normalize("NFKC", folded.replace("i\u0307", "i").replace("\u0131", "i"))


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.alter_column("users", "must_change_password", server_default=None)
    # Case folding is not PostgreSQL's lower() for every script: the app normalises, not a check.
    op.drop_constraint(op.f("ck_users_email_lower_case"), "users", type_="check")
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, email FROM users ORDER BY created_at")).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        normalised = _normalised(email)
        # Two existing accounts that fold to one address: the later keeps its stored form (an admin
        # merges them by hand); nothing is lost.
        if normalised != email and normalised not in taken:
            connection.execute(
                sa.text("UPDATE users SET email = :email WHERE id = :id"),
                {"email": normalised, "id": user_id},
            )
            taken.add(normalised)
    op.create_table(
        "token_revocations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("issued_before", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_token_revocations")),
    )
    op.create_index("ix_token_revocations_issued_before", "token_revocations", ["issued_before"])
    op.create_table(
        "device_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_device_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_device_tokens")),
    )
    op.create_index("ix_device_tokens_user_id", "device_tokens", ["user_id"])
    op.create_index("ix_device_tokens_expires_at", "device_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_device_tokens_expires_at", table_name="device_tokens")
    op.drop_index("ix_device_tokens_user_id", table_name="device_tokens")
    op.drop_table("device_tokens")
    op.drop_index("ix_token_revocations_issued_before", table_name="token_revocations")
    op.drop_table("token_revocations")
    # Normalised addresses stay as they are; the check holds again only where they are lower case.
    op.execute("UPDATE users SET email = lower(email) WHERE email <> lower(email)")
    op.create_check_constraint(op.f("ck_users_email_lower_case"), "users", "email = lower(email)")
    op.drop_column("users", "must_change_password")
