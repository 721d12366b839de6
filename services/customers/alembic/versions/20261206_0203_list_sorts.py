"""customer: an index for every sort of the list (issue 24)

Revision ID: 20261206_0203
Revises: 20261202_0102
Create Date: 2026-12-06

Income, gender, updated, external id and observed score, ascending (read backwards for the NOT NULL
columns' descending order), and a NULLS LAST descending index for each nullable column, so that every
order is read from an index without sorting the owner's rows.
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
    for name, column in _ASCENDING.items():
        op.create_index(name, "customer", ["owner_id", column, "id"])
    for name, column in _DESCENDING.items():
        op.create_index(
            name, "customer", ["owner_id", sa.text(f"{column} DESC NULLS LAST"), sa.text("id DESC")]
        )


def downgrade() -> None:
    for name in (*_DESCENDING, *_ASCENDING):
        op.drop_index(name, table_name="customer")
