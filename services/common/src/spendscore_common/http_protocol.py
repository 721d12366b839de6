"""uvicorn's httptools protocol with bounds on the request head, enforced as the bytes arrive.

- Size: httptools accumulates a header (and uvicorn the URL) by concatenating every chunk that
  arrives, with no limit: a 10 MB header is read and copied over and over before any ASGI code can
  refuse it. Here the bytes of the request line and headers are counted as they are fed to the
  parser; past the limit the connection gets a 431 and is closed.
- Time (slow headers): uvicorn has no timeout while a head is incomplete, so a client sending one
  byte every 10 s holds a connection for ever. Here a head (and a new connection's silence) has
  ``head_timeout_seconds`` to complete; then 408 and the connection is closed.
- Count: at most ``max_connections`` HTTP connections per process. Past it, the connection that has
  waited longest for a head (a new silent one, a slow one or an idle keep-alive one) is closed to make
  room, so that thousands of slow connections cannot keep a fresh request (``/healthz``) out; only when
  every connection is busy with a request is the new one closed instead. A connection upgraded to a
  WebSocket (the UI's stream) leaves the count: a client holding many cannot shut HTTP out.
"""

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from spendscore_common.middleware import MAX_HEADERS_BYTES

logger = logging.getLogger("spendscore.access")
# The request line and the header section together; the middleware then bounds each header.
MAX_HEAD_BYTES = MAX_HEADERS_BYTES + 8 * 1024
_TOO_LARGE_BODY = b'{"detail":"Request header fields too large"}'
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_TOO_LARGE_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TOO_LARGE_BODY
)
_TIMED_OUT_BODY = b'{"detail":"Request head not received in time"}'
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_TIMED_OUT_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TIMED_OUT_BODY
)
HEAD_TIMEOUT_SECONDS = 5.0
MAX_CONNECTIONS = 1000


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """See the module docstring: bounds the head's size and time, and the connections' count."""

    max_head_bytes = MAX_HEAD_BYTES
    head_timeout_seconds = HEAD_TIMEOUT_SECONDS
    max_connections = MAX_CONNECTIONS
    _in_head = True
    _head_bytes = 0
    _head_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_limits(
        cls, *, head_timeout_seconds: float, max_connections: int
    ) -> type["BoundedHttpToolsProtocol"]:
        """A subclass with these limits (uvicorn takes a protocol class, not an instance)."""
        limits: dict[str, Any] = {
            "head_timeout_seconds": head_timeout_seconds,
            "max_connections": max_connections,
        }
        return type(cls.__name__, (cls,), limits)

    def _http_connections(self) -> set["BoundedHttpToolsProtocol"]:
        """This server's connections still speaking HTTP (not upgraded to a WebSocket)."""
        connections: set[BoundedHttpToolsProtocol] | None = getattr(
            self.server_state, "http_connections", None
        )
        if connections is None:
            connections = set()
            self.server_state.http_connections = connections  # type: ignore[attr-defined]
        return connections

    def _waiting(self) -> dict["BoundedHttpToolsProtocol", None]:
        """This server's connections waiting for a head, the longest-waiting first."""
        waiting: dict[BoundedHttpToolsProtocol, None] | None = getattr(
            self.server_state, "head_waiting", None
        )
        if waiting is None:
            waiting = {}
            self.server_state.head_waiting = waiting  # type: ignore[attr-defined]
        return waiting

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._http_connections().add(self)
        self._waiting()[self] = None
        self._arm_head_timer()
        if len(self._http_connections()) > self.max_connections:
            victim = next((other for other in self._waiting() if other is not self), self)
            logger.warning("too many connections: closed the one waiting longest for a request head")
            victim._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        self._waiting().pop(self, None)
        self._http_connections().discard(self)
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        # The transport now belongs to the WebSocket protocol: this one never hears of it again.
        self._http_connections().discard(self)
        super().handle_websocket_upgrade()

    def _close(self) -> None:
        self._disarm_head_timer()
        self._waiting().pop(self, None)
        self._http_connections().discard(self)
        self.transport.close()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_seconds, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a pipelined head behind a running request: its turn has not come
            return
        self.transport.write(_TIMED_OUT)
        self._close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_timer()
        self._waiting().pop(self, None)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next bytes start the next request's head

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._waiting()[self] = None  # idle keep-alive: uvicorn's keep-alive timeout closes it

    def data_received(self, data: bytes) -> None:
        if self._in_head and self._head_timer is None and data:
            self._arm_head_timer()  # the first bytes of a head on a kept-alive connection
        while data and not self.transport.is_closing():
            if not self._in_head:
                super().data_received(data)
                return
            room = self.max_head_bytes - self._head_bytes
            if room <= 0:
                logger.warning("request head too large: refused with 431", extra={"client": self.client})
                self.transport.write(_TOO_LARGE)
                self.transport.close()
                return
            if len(data) <= room:  # the usual case: the whole chunk, without copying it
                self._head_bytes += len(data)
                super().data_received(data)
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            super().data_received(piece)
