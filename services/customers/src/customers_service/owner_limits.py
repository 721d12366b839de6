"""How many expensive calls (import, export, search) one owner may run at once: one account cannot take
every pooled connection and starve the others. Counted in this process, so the limit is per replica."""

import contextlib
import uuid
from collections.abc import Iterator


class TooManyExpensiveCalls(Exception):
    """The owner already runs as many imports, exports and searches as allowed (429 with Retry-After)."""


class ExpensiveCallLimit:
    def __init__(self, per_owner: int):
        self.per_owner = per_owner
        self._running: dict[uuid.UUID, int] = {}

    def running(self, owner_id: uuid.UUID) -> int:
        return self._running.get(owner_id, 0)

    @contextlib.contextmanager
    def slot(self, owner_id: uuid.UUID) -> Iterator[None]:
        """Hold one of the owner's slots for the block; TooManyExpensiveCalls when none is free."""
        if self.running(owner_id) >= self.per_owner:
            raise TooManyExpensiveCalls
        self._running[owner_id] = self.running(owner_id) + 1
        try:
            yield
        finally:
            left = self._running[owner_id] - 1
            if left:
                self._running[owner_id] = left
            else:
                del self._running[owner_id]
