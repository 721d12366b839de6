"""the confusables skeleton of every address, indexed: a look-alike of an account's address is refused

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from auth_service.email_skeleton import email_skeleton

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_skeleton", sa.Text(), nullable=False, server_default=""))
    # The app's function, not a frozen copy: it reads Unicode's vendored data, which a later Unicode
    # version would change by a migration of its own that recomputes every skeleton.
    connection = op.get_bind()
    for user_id, email in connection.execute(sa.text("SELECT id, email FROM users")).all():
        connection.execute(
            sa.text("UPDATE users SET email_skeleton = :skeleton WHERE id = :id"),
            {"skeleton": email_skeleton(email), "id": user_id},
        )
    op.alter_column("users", "email_skeleton", server_default=None)
    op.create_index("ix_users_email_skeleton", "users", ["email_skeleton"])


def downgrade() -> None:
    op.drop_index("ix_users_email_skeleton", table_name="users")
    op.drop_column("users", "email_skeleton")
