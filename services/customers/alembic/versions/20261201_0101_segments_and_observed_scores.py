"""segments, two-peaked answers and warnings on predictions; observed scores on customers

Revision ID: 20261201_0101
Revises: 20261201_0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261201_0101"
down_revision: str | None = "20261201_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("prediction", sa.Column("segment_id", sa.String(length=64), nullable=True))
    op.add_column("prediction", sa.Column("segment_probability", sa.Float(), nullable=True))
    op.add_column("prediction", sa.Column("mode_low", sa.Float(), nullable=True))
    op.add_column("prediction", sa.Column("mode_high", sa.Float(), nullable=True))
    op.add_column(
        "prediction",
        sa.Column(
            "warnings", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
    )
    op.add_column("customer", sa.Column("latest_segment", sa.String(length=64), nullable=True))
    op.add_column("customer", sa.Column("latest_segment_probability", sa.Float(), nullable=True))
    op.add_column("customer", sa.Column("segment_source", sa.String(length=9), nullable=True))
    op.add_column("customer", sa.Column("observed_score", sa.SmallInteger(), nullable=True))
    op.add_column("customer", sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customer", sa.Column("prior_score", sa.Float(), nullable=True))
    op.add_column("customer", sa.Column("prior_interval_low", sa.Float(), nullable=True))
    op.add_column("customer", sa.Column("prior_interval_high", sa.Float(), nullable=True))
    op.create_check_constraint(
        op.f("ck_customer_observed_score"), "customer", "observed_score BETWEEN 1 AND 100"
    )
    op.create_check_constraint(
        op.f("ck_customer_segment_source"), "customer", "segment_source IN ('observed', 'predicted')"
    )
    op.create_index("ix_customer_owner_segment", "customer", ["owner_id", "latest_segment", "id"])
    op.create_index("ix_customer_owner_id", "customer", ["owner_id", "id"])
    op.create_index(
        "ix_customer_owner_observed",
        "customer",
        ["owner_id"],
        postgresql_where=sa.text("observed_score IS NOT NULL"),
    )
    op.create_table(
        "observed_score",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 100", name=op.f("ck_observed_score_score")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_observed_score_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observed_score")),
    )
    op.create_index("ix_observed_score_customer_observed", "observed_score", ["customer_id", "observed_at"])
    op.create_index("ix_observed_score_owner", "observed_score", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_observed_score_owner", table_name="observed_score")
    op.drop_index("ix_observed_score_customer_observed", table_name="observed_score")
    op.drop_table("observed_score")
    op.drop_index("ix_customer_owner_observed", table_name="customer")
    op.drop_index("ix_customer_owner_id", table_name="customer")
    op.drop_index("ix_customer_owner_segment", table_name="customer")
    op.drop_constraint(op.f("ck_customer_segment_source"), "customer", type_="check")
    op.drop_constraint(op.f("ck_customer_observed_score"), "customer", type_="check")
    for column in (
        "prior_interval_high",
        "prior_interval_low",
        "prior_score",
        "observed_at",
        "observed_score",
        "segment_source",
        "latest_segment_probability",
        "latest_segment",
    ):
        op.drop_column("customer", column)
    for column in ("warnings", "mode_high", "mode_low", "segment_probability", "segment_id"):
        op.drop_column("prediction", column)
