"""spent UI nonces: sign-in codes redeemed and session cookies signed out, shared by every UI replica

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spent_ui_nonces",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_spent_ui_nonces")),
    )
    op.create_index("ix_spent_ui_nonces_expires_at", "spent_ui_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_spent_ui_nonces_expires_at", table_name="spent_ui_nonces")
    op.drop_table("spent_ui_nonces")
