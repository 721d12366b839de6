"""customer: the list's sort indexes cover only the rows outside the recycle bin

Revision ID: 20261206_0302
Revises: 20261206_0301
Create Date: 2026-12-06

Every list query says ``deleted_at IS NULL``, so the fourteen sort indexes become partial on it: the
binned rows no longer take room in them, and a page stays an index read with no filter step for
them. The unique external id index stays whole (a binned customer keeps its external id reserved).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0302"
down_revision: str | None = "20261206_0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Copied, not imported: a migration stays what it was when it ran.
_ASCENDING = {
    "ix_customer_owner_created": "created_at",
    "ix_customer_owner_name": "name",
    "ix_customer_owner_age": "age",
    "ix_customer_owner_score": "latest_spending_score",
    "ix_customer_owner_segment": "latest_segment",
    "ix_customer_owner_income": "annual_income",
    "ix_customer_owner_gender": "gender",
    "ix_customer_owner_updated": "updated_at",
    "ix_customer_owner_external": "external_id",
    "ix_customer_owner_observed_score": "observed_score",
}
_DESCENDING = {
    "ix_customer_owner_score_desc": "latest_spending_score",
    "ix_customer_owner_segment_desc": "latest_segment",
    "ix_customer_owner_external_desc": "external_id",
    "ix_customer_owner_observed_score_desc": "observed_score",
}


def _create(where: str | None) -> None:
    condition = None if where is None else sa.text(where)
    for name, column in _ASCENDING.items():
        op.create_index(name, "customer", ["owner_id", column, "id"], postgresql_where=condition)
    for name, column in _DESCENDING.items():
        op.create_index(
            name,
            "customer",
            ["owner_id", sa.text(f"{column} DESC NULLS LAST"), sa.text("id DESC")],
            postgresql_where=condition,
        )


def _drop() -> None:
    for name in (*_ASCENDING, *_DESCENDING):
        op.drop_index(name, table_name="customer")


def upgrade() -> None:
    _drop()
    _create("deleted_at IS NULL")


def downgrade() -> None:
    _drop()
    _create(None)
