"""How many imports this process reads and stores at once, whoever the owners are: the per-owner
limit (owner_limits.py) does not stop many owners from filling the machine together."""

import contextlib
from collections.abc import Iterator


class ImportCapacityFull(Exception):
    """Every import slot of this process is taken (503 with Retry-After)."""


class ImportCapacity:
    def __init__(self, max_concurrent: int):
        self.max_concurrent = max_concurrent
        self.running = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; ImportCapacityFull at once when none is free (no queue, so a
        burst cannot pile up work or memory behind the slots)."""
        if self.running >= self.max_concurrent:
            raise ImportCapacityFull
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
