"""Query parameters several services take, bounded so that no value reaches the database unchecked."""

from typing import Annotated

from fastapi import Query

# Far beyond any real page, and far below PostgreSQL's bigint: 2**63 is a 422, not a 500.
MAX_OFFSET = 1_000_000_000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip (0 to 1,000,000,000)")]
