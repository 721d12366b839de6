"""customer: the recycle bin, phone and e-mail (issue 24)

Revision ID: 20261206_0213
Revises: 20261206_0204
Create Date: 2026-12-06

``customer.deleted_at`` set hides a customer (its history, observed scores and external id kept)
until it is restored or purged. The aggregates' triggers count only the rows without it, so a delete
into the bin takes the customer out of the dashboard, the totals and the cap, and a restore puts it
back; the purge of a binned row changes no sum.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0213"
down_revision: str | None = "20261206_0204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The contribution of 20261202_0102, over the rows that are not in the recycle bin. Copied, not
# imported: a migration stays what it was when it ran.
_GROUP = "owner_id, gender, band, segment, bucket, age_group"
_SUMS = (
    "customers",
    "scored",
    "score_sum",
    "observed",
    "absolute_error_sum",
    "squared_error_sum",
    "observed_sum",
    "observed_square_sum",
    "covered",
)
_COLUMNS = f"{_GROUP}, {', '.join(_SUMS)}"
_TOTALS = ", ".join(f"sum({name})" for name in _SUMS)
_ANY_CHANGE = " OR ".join(f"sum({name}) <> 0" for name in _SUMS)
_CONTRIBUTION = """
SELECT owner_id, gender, latest_band AS band, latest_segment AS segment,
       floor(latest_spending_score / 10)::smallint AS bucket,
       (CASE WHEN age <= 17 THEN 0 WHEN age <= 24 THEN 1 WHEN age <= 34 THEN 2 WHEN age <= 44 THEN 3
             WHEN age <= 54 THEN 4 WHEN age <= 64 THEN 5 ELSE 6 END)::smallint AS age_group,
       {sign} AS customers,
       CASE WHEN latest_spending_score IS NULL THEN 0 ELSE {sign} END AS scored,
       {sign} * coalesce(latest_spending_score::numeric, 0) AS score_sum,
       CASE WHEN compared THEN {sign} ELSE 0 END AS observed,
       CASE WHEN compared THEN {sign} * abs(error)::numeric ELSE 0 END
           AS absolute_error_sum,
       CASE WHEN compared THEN {sign} * (error * error)::numeric ELSE 0 END
           AS squared_error_sum,
       CASE WHEN compared THEN {sign} * observed_score ELSE 0 END AS observed_sum,
       CASE WHEN compared THEN {sign} * observed_score * observed_score ELSE 0 END AS observed_square_sum,
       CASE WHEN compared AND observed_score BETWEEN prior_interval_low AND prior_interval_high
            THEN {sign} ELSE 0 END AS covered
FROM (SELECT *, observed_score IS NOT NULL AND prior_score IS NOT NULL AS compared,
             observed_score - prior_score AS error
      FROM {rows} {where}) AS row_
"""
COMPACT_EVERY = 128


def _tracking_function(name: str, changed: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    due uuid[];
BEGIN
    WITH added AS (
        INSERT INTO customer_aggregate ({_COLUMNS})
        SELECT {_GROUP}, {_TOTALS} FROM ({changed}) AS changed
        GROUP BY {_GROUP} HAVING {_ANY_CHANGE}
        RETURNING id, owner_id
    )
    SELECT array_agg(DISTINCT owner_id) INTO due FROM added WHERE id % {COMPACT_EVERY} = 0;
    PERFORM compact_customer_aggregate(due_owner) FROM unnest(due) AS due_owner;
    RETURN NULL;
END
$$
"""


def _tracking_functions(where: str) -> list[str]:
    def contribution(rows: str, sign: int) -> str:
        return _CONTRIBUTION.format(rows=rows, sign=sign, where=where)

    return [
        _tracking_function("customer_aggregate_inserted", contribution("new_rows", 1)),
        _tracking_function(
            "customer_aggregate_updated",
            contribution("new_rows", 1) + " UNION ALL " + contribution("old_rows", -1),
        ),
        _tracking_function("customer_aggregate_deleted", contribution("old_rows", -1)),
    ]


def upgrade() -> None:
    op.add_column("customer", sa.Column("phone", sa.String(length=16), nullable=True))
    op.add_column("customer", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("customer", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_customer_deleted",
        "customer",
        ["owner_id", "deleted_at", "id"],
        postgresql_where=sa.text("deleted_at IS NOT NULL"),
    )
    for function in _tracking_functions("WHERE deleted_at IS NULL"):
        op.execute(function)


def downgrade() -> None:
    # What is in the bin goes for good (it counts in no sum), then every row counts again.
    op.execute("DELETE FROM customer WHERE deleted_at IS NOT NULL")
    for function in _tracking_functions(""):
        op.execute(function)
    op.drop_index("ix_customer_deleted", table_name="customer")
    op.drop_column("customer", "deleted_at")
    op.drop_column("customer", "email")
    op.drop_column("customer", "phone")
