"""a store's own money: per owner income unit, and each customer's income as entered (issue 23)

Revision ID: 20261206_0301
Revises: 20261206_0304
Create Date: 2026-12-06

The customer's new columns are nullable with no default: adding them rewrites nothing, and every
existing customer reads as entered in the model's unit (k$ per year), which it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0301"
down_revision: str | None = "20261206_0304"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CUSTOMER_COLUMNS = (
    ("income_amount", sa.Float()),
    ("income_currency", sa.String(3)),
    ("income_period", sa.String(5)),
    ("income_in_thousands", sa.Boolean()),
    ("income_units_per_model_unit", sa.Float()),
)


def upgrade() -> None:
    op.create_table(
        "store_settings",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period", sa.String(5), nullable=False),
        sa.Column("in_thousands", sa.Boolean(), nullable=False),
        sa.Column("units_per_model_unit", sa.Float(), nullable=False),
        sa.Column("units_set_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("period IN ('month', 'year')", name=op.f("ck_store_settings_period")),
        sa.CheckConstraint("units_per_model_unit > 0", name=op.f("ck_store_settings_units_per_model_unit")),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_store_settings")),
    )
    for name, column_type in _CUSTOMER_COLUMNS:
        op.add_column("customer", sa.Column(name, column_type, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(_CUSTOMER_COLUMNS):
        op.drop_column("customer", name)
    op.drop_table("store_settings")
