"""sales, observed scores' source, store models and the store correction on predictions (issue 25)

Revision ID: 20261206_0204
Revises: 20261206_0203
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0204"
down_revision: str | None = "20261206_0203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sale",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_sale_amount")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_sale_customer_id_customer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale")),
    )
    op.create_index("ix_sale_owner_sold_on", "sale", ["owner_id", "sold_on"])
    op.create_index("ix_sale_customer_sold_on", "sale", ["customer_id", "sold_on"])
    op.add_column(
        "observed_score", sa.Column("source", sa.String(length=5), server_default="typed", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_observed_score_source"), "observed_score", "source IN ('typed', 'sales')"
    )
    op.add_column("customer", sa.Column("observed_source", sa.String(length=5), nullable=True))
    op.create_check_constraint(
        op.f("ck_customer_observed_source"), "customer", "observed_source IN ('typed', 'sales')"
    )
    op.add_column("prediction", sa.Column("store_model_version", sa.String(length=20), nullable=True))
    op.add_column("prediction", sa.Column("global_score", sa.Float(), nullable=True))
    op.add_column("prediction", sa.Column("global_interval_low", sa.Float(), nullable=True))
    op.add_column("prediction", sa.Column("global_interval_high", sa.Float(), nullable=True))
    op.create_table(
        "store_model",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=True),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("score_offset", sa.Float(), nullable=False),
        sa.Column("score_slope", sa.Float(), nullable=False),
        sa.Column("interval_scale", sa.Float(), nullable=False),
        sa.Column("held_out", sa.Text(), nullable=True),
        sa.Column("fitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("rescore_total", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_store_model")),
    )


def downgrade() -> None:
    op.drop_table("store_model")
    op.drop_column("prediction", "global_interval_high")
    op.drop_column("prediction", "global_interval_low")
    op.drop_column("prediction", "global_score")
    op.drop_column("prediction", "store_model_version")
    op.drop_constraint(op.f("ck_customer_observed_source"), "customer", type_="check")
    op.drop_column("customer", "observed_source")
    op.drop_constraint(op.f("ck_observed_score_source"), "observed_score", type_="check")
    op.drop_column("observed_score", "source")
    op.drop_index("ix_sale_customer_sold_on", table_name="sale")
    op.drop_index("ix_sale_owner_sold_on", table_name="sale")
    op.drop_table("sale")
