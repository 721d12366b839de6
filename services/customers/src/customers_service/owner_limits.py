"""How many expensive calls (import, export, search) one owner may run at once, counted across every
replica: one account cannot take every pooled connection and starve the others.

Each running call holds one of the owner's numbered slots, a PostgreSQL session-level advisory lock
taken on one connection this process keeps for the purpose (not a pooled one: a call spans several
transactions, and the pool must not lose a connection per call). When a replica dies its connection
closes and the server frees its slots at once; when that connection is lost while the process lives
on, its slots are freed with it, and this process simply takes new ones on a new connection."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg

logger = logging.getLogger(__name__)

# hashtextextended gives a 64-bit key: owners never share a slot in practice.
_TRY_TAKE = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
_GIVE_BACK = "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
# Errors of a connection that has gone (server restarted, backend terminated, network).
_LOST_CONNECTION = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)


class TooManyExpensiveCalls(Exception):
    """The owner already runs as many imports, exports and searches as allowed (429 with Retry-After)."""


def _slot_key(owner_id: uuid.UUID, index: int) -> str:
    return f"expensive-call-slot:{owner_id}:{index}"


class ExpensiveCallLimit:
    def __init__(self, per_owner: int, *, database_url: str, connect_timeout_seconds: float = 2.0):
        self.per_owner = per_owner
        # asyncpg's own URL form (postgresql://), whichever SQLAlchemy dialect prefix was configured.
        self._dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self._connect_timeout_seconds = connect_timeout_seconds
        self._connection: asyncpg.Connection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the connection
        self._held: dict[uuid.UUID, set[int]] = {}

    def running(self, owner_id: uuid.UUID) -> int:
        """How many of the owner's calls run in this process."""
        return len(self._held.get(owner_id, ()))

    @contextlib.asynccontextmanager
    async def slot(self, owner_id: uuid.UUID) -> AsyncIterator[None]:
        """Hold one of the owner's slots for the block; TooManyExpensiveCalls when none is free on any
        replica. A database that cannot be reached raises its connection error (503)."""
        index = await self._take(owner_id)
        try:
            yield
        finally:
            await self._give_back(owner_id, index)

    async def aclose(self) -> None:
        async with self._turn:
            self._forget_connection()

    async def _take(self, owner_id: uuid.UUID) -> int:
        async with self._turn:
            try:
                index = await self._try_each_slot(owner_id)
            except _LOST_CONNECTION:
                logger.warning("the connection holding the expensive-call slots was lost; reconnecting")
                self._forget_connection()
                index = await self._try_each_slot(owner_id)
            if index is None:
                raise TooManyExpensiveCalls
            self._held.setdefault(owner_id, set()).add(index)
            return index

    async def _try_each_slot(self, owner_id: uuid.UUID) -> int | None:
        connection = await self._connected()
        held = self._held.get(owner_id, set())
        for index in range(self.per_owner):
            # A slot this process holds is busy: the lock is re-entrant on its own connection.
            if index not in held and await connection.fetchval(_TRY_TAKE, _slot_key(owner_id, index)):
                return index
        return None

    async def _give_back(self, owner_id: uuid.UUID, index: int) -> None:
        async with self._turn:
            held = self._held.get(owner_id, set())
            if index not in held:
                return  # freed already, with a lost connection
            held.discard(index)
            if not held:
                del self._held[owner_id]
            if self._connection is None:
                return
            try:
                await self._connection.fetchval(_GIVE_BACK, _slot_key(owner_id, index))
            except _LOST_CONNECTION:
                self._forget_connection()  # the server freed every slot with it

    async def _connected(self) -> asyncpg.Connection:
        if self._connection is not None and self._connection.is_closed():
            self._forget_connection()
        if self._connection is None:
            self._connection = await asyncpg.connect(self._dsn, timeout=self._connect_timeout_seconds)
        return self._connection

    def _forget_connection(self) -> None:
        """Drop the connection; its slots went with it, so none is held here any more."""
        if self._connection is not None:
            self._connection.terminate()
        self._connection = None
        self._held.clear()
