"""customer: index for -spending_score with pending (NULL) scores last

Revision ID: 20261127_0002
Revises: 20261127_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_0002"
down_revision: str | None = "20261127_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_customer_owner_score_desc",
        "customer",
        ["owner_id", sa.text("latest_spending_score DESC NULLS LAST"), sa.text("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_owner_score_desc", table_name="customer")
