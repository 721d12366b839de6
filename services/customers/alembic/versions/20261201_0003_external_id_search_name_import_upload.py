"""customer: external id and normalised search name (backfilled); import_upload for retried uploads

Revision ID: 20261201_0003
Revises: 20261127_0002
Create Date: 2026-12-01
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_0003"
down_revision: str | None = "20261127_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000
# A copy of customers_service.search_text as it was when this migration was written: a migration
# must keep doing what it did, whatever the application's function becomes later.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})
_WORD = re.compile(r"[^\W_]+")


def _search_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    return " ".join(_WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c))))


def upgrade() -> None:
    op.add_column(
        "customer", sa.Column("search_name", sa.String(length=400), server_default="", nullable=False)
    )
    op.add_column("customer", sa.Column("external_id", sa.String(length=100), nullable=True))
    connection = op.get_bind()
    last_id = None
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, name FROM customer WHERE (CAST(:last AS uuid) IS NULL OR id > :last) "
                "ORDER BY id LIMIT :batch"
            ),
            {"last": last_id, "batch": _BATCH},
        ).all()
        if not rows:
            break
        connection.execute(
            sa.text("UPDATE customer SET search_name = :search WHERE id = :id"),
            [{"id": row[0], "search": _search_text(row[1])} for row in rows],
        )
        last_id = rows[-1][0]
    op.drop_index("ix_customer_name_words", table_name="customer", postgresql_using="gin")
    op.create_index(
        "ix_customer_search_words",
        "customer",
        [sa.text("to_tsvector('simple'::regconfig, search_name)")],
        postgresql_using="gin",
    )
    op.create_index("uq_customer_owner_external_id", "customer", ["owner_id", "external_id"], unique=True)
    op.create_table(
        "import_upload",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "digest", name=op.f("pk_import_upload")),
    )


def downgrade() -> None:
    op.drop_table("import_upload")
    op.drop_index("uq_customer_owner_external_id", table_name="customer")
    op.drop_index("ix_customer_search_words", table_name="customer", postgresql_using="gin")
    op.create_index(
        "ix_customer_name_words",
        "customer",
        [sa.text("to_tsvector('simple'::regconfig, name)")],
        postgresql_using="gin",
    )
    op.drop_column("customer", "external_id")
    op.drop_column("customer", "search_name")
