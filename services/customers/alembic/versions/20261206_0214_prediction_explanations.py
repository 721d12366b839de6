"""each prediction's explanation: the model's average score and each input's Shapley value (issue 23)

Revision ID: 20261206_0214
Revises: 20261206_0213
Create Date: 2026-12-06

Four nullable floats, not a JSON document: the import writes predictions with COPY, and predictions
made before this revision simply have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0214"
down_revision: str | None = "20261206_0213"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("explanation_base", "contribution_gender", "contribution_age", "contribution_income")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("prediction", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("prediction", name)
