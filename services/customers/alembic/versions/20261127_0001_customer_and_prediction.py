"""customer and prediction tables

Revision ID: 20261127_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("age", sa.SmallInteger(), nullable=False),
        sa.Column("annual_income", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("latest_prediction_id", sa.Uuid(), nullable=True),
        sa.Column("latest_spending_score", sa.Float(), nullable=True),
        sa.Column("latest_band", sa.String(length=6), nullable=True),
        sa.CheckConstraint("gender IN ('male', 'female')", name=op.f("ck_customer_gender")),
        sa.CheckConstraint("age BETWEEN 0 AND 120", name=op.f("ck_customer_age")),
        sa.CheckConstraint("annual_income >= 0", name=op.f("ck_customer_annual_income")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    op.create_index("ix_customer_owner_created", "customer", ["owner_id", "created_at", "id"])
    op.create_index("ix_customer_owner_name", "customer", ["owner_id", "name", "id"])
    op.create_index("ix_customer_owner_age", "customer", ["owner_id", "age", "id"])
    op.create_index("ix_customer_owner_score", "customer", ["owner_id", "latest_spending_score", "id"])
    op.create_index(
        "ix_customer_name_words",
        "customer",
        [sa.text("to_tsvector('simple'::regconfig, name)")],
        postgresql_using="gin",
    )

    op.create_table(
        "prediction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=7), nullable=False),
        sa.Column("spending_score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=6), nullable=True),
        sa.Column("interval_low", sa.Float(), nullable=True),
        sa.Column("interval_high", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=100), nullable=True),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("age", sa.SmallInteger(), nullable=False),
        sa.Column("annual_income", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('done', 'pending')", name=op.f("ck_prediction_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_prediction_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction")),
    )
    op.create_index("ix_prediction_customer_created", "prediction", ["customer_id", "created_at"])
    op.create_index("ix_prediction_owner", "prediction", ["owner_id"])
    op.create_index(
        "ix_prediction_pending",
        "prediction",
        ["owner_id", "created_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("prediction")
    op.drop_table("customer")
