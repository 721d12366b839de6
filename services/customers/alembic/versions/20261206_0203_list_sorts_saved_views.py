"""customer: an index for every sort of the list; saved_view (issue 24)

Revision ID: 20261206_0203
Revises: 20261202_0102
Create Date: 2026-12-06

Income, gender, updated, external id and observed score, ascending (read backwards for the NOT NULL
columns' descending order), and a NULLS LAST descending index for each nullable column, so that every
order is read from an index without sorting the owner's rows. ``saved_view``: an owner's named
searches, filters and sorts of the list.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0203"
down_revision: str | None = "20261202_0102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ASCENDING = {
    "ix_customer_owner_income": "annual_income",
    "ix_customer_owner_gender": "gender",
    "ix_customer_owner_updated": "updated_at",
    "ix_customer_owner_external": "external_id",
    "ix_customer_owner_observed_score": "observed_score",
}
_DESCENDING = {
    "ix_customer_owner_segment_desc": "latest_segment",
    "ix_customer_owner_external_desc": "external_id",
    "ix_customer_owner_observed_score_desc": "observed_score",
}


def upgrade() -> None:
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("q", sa.String(length=200), nullable=True),
        sa.Column("gender", sa.String(length=6), nullable=True),
        sa.Column("band", sa.String(length=6), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("sort", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_view")),
    )
    op.create_index("uq_saved_view_owner_name", "saved_view", ["owner_id", "name"], unique=True)
    for name, column in _ASCENDING.items():
        op.create_index(name, "customer", ["owner_id", column, "id"])
    for name, column in _DESCENDING.items():
        op.create_index(
            name, "customer", ["owner_id", sa.text(f"{column} DESC NULLS LAST"), sa.text("id DESC")]
        )


def downgrade() -> None:
    for name in (*_DESCENDING, *_ASCENDING):
        op.drop_index(name, table_name="customer")
    op.drop_index("uq_saved_view_owner_name", table_name="saved_view")
    op.drop_table("saved_view")
