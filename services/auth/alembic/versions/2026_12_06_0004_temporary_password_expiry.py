"""a temporary password expires and works once; the password it replaced cannot come back

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("temporary_password_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("users", sa.Column("previous_password_hash", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "previous_password_hash")
    op.drop_column("users", "temporary_password_expires_at")
