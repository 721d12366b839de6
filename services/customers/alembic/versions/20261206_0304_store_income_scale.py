"""the store correction's income scale (issue 25): the global model reads each income multiplied by it

Revision ID: 20261206_0304
Revises: 20261206_0214
Create Date: 2026-12-06

Corrections fitted before this revision had no income scale: 1, which changes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0304"
down_revision: str | None = "20261206_0214"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("store_model", sa.Column("income_scale", sa.Float(), nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("store_model", "income_scale")
