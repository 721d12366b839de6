"""per-owner sums of the customers by the dashboard's groups, kept by triggers on customer

Revision ID: 20261202_0102
Revises: 20261201_0101
Create Date: 2026-12-02

Every write to ``customer`` (INSERT, COPY, UPDATE, DELETE, the cascade of an owner's deletion) adds
signed delta rows to ``customer_aggregate`` from a statement-level trigger's transition tables: one
INSERT per statement, whatever its size, and no row is ever updated, so concurrent writers of one
owner (a 10,000-row COPY import and single edits) take no lock on each other. The dashboard and the
list's total sum an owner's rows. About one delta row in 128 also folds the owner's rows into one
per group (under a per-owner advisory lock, skipped when another transaction holds it), so an owner
has a few hundred rows however many writes it had.

Predictions need no trigger: a prediction reaches these figures only through the customer's
``latest_*`` columns, and every change of those is an UPDATE of ``customer``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0102"
down_revision: str | None = "20261201_0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
# The age groups and the score buckets of dashboard_repository.AGE_GROUPS / HISTOGRAM_BUCKETS (the
# bucket of a score of 100 is 10: the reader folds it into the last one). The accuracy sums count
# the customers with an observed score and a prediction made before it, as the dashboard compares.
# Sums of floats are numeric: a customer's +x and later -x cancel exactly, as float sums would not.
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
      FROM {rows}) AS row_
"""
COMPACT_EVERY = 128


def _contribution(rows: str, sign: int) -> str:
    return _CONTRIBUTION.format(rows=rows, sign=sign)


def _tracking_function(name: str, changed: str) -> str:
    """A trigger function adding the signed sums of ``changed`` (old rows -1, new rows +1) and folding
    the rows of the owners whose new delta rows hit the compaction id."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
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


_COMPACT = f"""
CREATE FUNCTION compact_customer_aggregate(of_owner uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- One compaction of an owner at a time; the others skip (the next one folds their rows too).
    IF NOT pg_try_advisory_xact_lock(hashtextextended('customer_aggregate ' || of_owner::text, 0)) THEN
        RETURN;
    END IF;
    WITH folded AS (DELETE FROM customer_aggregate WHERE owner_id = of_owner RETURNING *)
    INSERT INTO customer_aggregate ({_COLUMNS})
    SELECT {_GROUP}, {_TOTALS} FROM folded GROUP BY {_GROUP} HAVING sum(customers) <> 0;
END
$$
"""

_TRIGGERS = (
    ("customer_aggregate_inserted", "INSERT", "NEW TABLE AS new_rows", _contribution("new_rows", 1)),
    (
        "customer_aggregate_updated",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _contribution("new_rows", 1) + " UNION ALL " + _contribution("old_rows", -1),
    ),
    ("customer_aggregate_deleted", "DELETE", "OLD TABLE AS old_rows", _contribution("old_rows", -1)),
)


def upgrade() -> None:
    op.create_table(
        "customer_aggregate",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("band", sa.String(length=6), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("bucket", sa.SmallInteger(), nullable=True),
        sa.Column("age_group", sa.SmallInteger(), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.Column("scored", sa.BigInteger(), nullable=False),
        sa.Column("score_sum", sa.Numeric(), nullable=False),
        sa.Column("observed", sa.BigInteger(), nullable=False),
        sa.Column("absolute_error_sum", sa.Numeric(), nullable=False),
        sa.Column("squared_error_sum", sa.Numeric(), nullable=False),
        sa.Column("observed_sum", sa.BigInteger(), nullable=False),
        sa.Column("observed_square_sum", sa.BigInteger(), nullable=False),
        sa.Column("covered", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_aggregate")),
    )
    op.create_index("ix_customer_aggregate_owner", "customer_aggregate", ["owner_id"])
    # No write between the triggers' creation and the backfill: both see the same customers.
    op.execute("LOCK TABLE customer IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_COMPACT)
    for name, event, transition, changed in _TRIGGERS:
        op.execute(_tracking_function(name, changed))
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON customer REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    op.execute(
        "CREATE FUNCTION customer_aggregate_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN TRUNCATE customer_aggregate; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER customer_aggregate_truncated AFTER TRUNCATE ON customer "
        "FOR EACH STATEMENT EXECUTE FUNCTION customer_aggregate_truncated()"
    )
    op.execute(
        f"INSERT INTO customer_aggregate ({_COLUMNS}) "
        f"SELECT {_GROUP}, {_TOTALS} FROM ({_contribution('customer', 1)}) AS existing GROUP BY {_GROUP}"
    )


def downgrade() -> None:
    for name in ("customer_aggregate_truncated", *(name for name, _, _, _ in _TRIGGERS)):
        op.execute(f"DROP TRIGGER {name} ON customer")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("DROP FUNCTION compact_customer_aggregate(uuid)")
    op.drop_index("ix_customer_aggregate_owner", table_name="customer_aggregate")
    op.drop_table("customer_aggregate")
