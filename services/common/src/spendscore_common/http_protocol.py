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
- Pace (slow bodies): uvicorn waits for ever on a body too, so a complete head with
  ``Content-Length: 1000000`` and then a byte every few seconds holds a connection and an ASGI task
  for as long as the client likes. While a body is incomplete and the server is reading (not while
  uvicorn has paused reading because the app has not taken what came), the client must send something
  at least every ``body_idle_timeout_seconds`` (nginx's ``client_body_timeout``) and keep ahead of
  ``body_min_bytes_per_second`` after ``body_grace_seconds`` (Apache mod_reqtimeout's
  ``body=20,MinRate=500``: the allowance grows by a second for every ``min rate`` bytes received).
  Otherwise 408 (if no answer has begun), a warning, and the connection is closed; the app sees
  ``http.disconnect``. Past ``max_connections`` with no connection waiting for a head, the body
  closest to breaking that rule is closed instead of the new connection: trickled bodies cannot keep
  ``/healthz`` out, and an upload going faster than the slowest one is not the victim.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from spendscore_common.middleware import MAX_HEADERS_BYTES

logger = logging.getLogger("spendscore.access")
# The request line and the header section together; the middleware then bounds each header.
MAX_HEAD_BYTES = MAX_HEADERS_BYTES + 8 * 1024


def _closing_answer(status: bytes, detail: bytes) -> bytes:
    """A whole HTTP/1.1 answer with a JSON ``detail``, closing the connection."""
    body = b'{"detail":"' + detail + b'"}'
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


_TOO_LARGE = _closing_answer(b"431 Request Header Fields Too Large", b"Request header fields too large")
_TIMED_OUT = _closing_answer(b"408 Request Timeout", b"Request head not received in time")
_BODY_TIMED_OUT = _closing_answer(b"408 Request Timeout", b"Request body not received in time")
HEAD_TIMEOUT_SECONDS = 5.0
MAX_CONNECTIONS = 1000
# The largest body any service takes is the customers import's 6 MiB (CUSTOMERS_IMPORT_MAX_BODY_BYTES;
# the UI's Streamlit upload is larger but the same pace applies). At 500 B/s (4 kbit/s, Apache's
# MinRate default) it would take 3.5 h: a GPRS uplink (20-40 kbit/s) is 5-10 times above the floor,
# so no real client is cut, while an attacker must spend 500 B/s on every connection it holds.
BODY_MIN_BYTES_PER_SECOND = 500.0
# Time before the rate counts (Apache's body=20): a slow link's TCP slow start and a client reading
# its file before sending.
BODY_GRACE_SECONDS = 20.0
# Longest silence inside a body (nginx's client_body_timeout default): a mobile link losing signal
# for ~30 s resumes after TCP's retransmission backoff (1+2+4+8+16 s...), within a minute.
BODY_IDLE_TIMEOUT_SECONDS = 60.0


class _ReadingFlowControl(FlowControl):
    """uvicorn's flow control, telling the protocol when it pauses and resumes reading: while reading is
    paused (the app has not taken the body so far) the client cannot send, so that time is not its own."""

    def __init__(
        self, transport: asyncio.Transport, on_pause: Callable[[], None], on_resume: Callable[[], None]
    ) -> None:
        super().__init__(transport)
        self._on_pause, self._on_resume = on_pause, on_resume

    def pause_reading(self) -> None:
        if not self.read_paused:
            super().pause_reading()
            self._on_pause()

    def resume_reading(self) -> None:
        if self.read_paused:
            super().resume_reading()
            self._on_resume()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """See the module docstring: bounds the head's size and time, the body's pace, and the
    connections' count."""

    max_head_bytes = MAX_HEAD_BYTES
    head_timeout_seconds = HEAD_TIMEOUT_SECONDS
    max_connections = MAX_CONNECTIONS
    body_idle_timeout_seconds = BODY_IDLE_TIMEOUT_SECONDS
    body_min_bytes_per_second = BODY_MIN_BYTES_PER_SECOND
    body_grace_seconds = BODY_GRACE_SECONDS
    _in_head = True
    _head_bytes = 0
    _head_timer: asyncio.TimerHandle | None = None
    _in_body = False
    _body_since = 0.0  # when the body began, moved later by the time reading was paused
    _body_bytes = 0  # received since then
    _body_last_data = 0.0
    _paused_at = 0.0
    _body_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_limits(
        cls,
        *,
        head_timeout_seconds: float,
        max_connections: int,
        body_idle_timeout_seconds: float = BODY_IDLE_TIMEOUT_SECONDS,
        body_min_bytes_per_second: float = BODY_MIN_BYTES_PER_SECOND,
        body_grace_seconds: float = BODY_GRACE_SECONDS,
    ) -> type["BoundedHttpToolsProtocol"]:
        """A subclass with these limits (uvicorn takes a protocol class, not an instance)."""
        limits: dict[str, Any] = {
            "head_timeout_seconds": head_timeout_seconds,
            "max_connections": max_connections,
            "body_idle_timeout_seconds": body_idle_timeout_seconds,
            "body_min_bytes_per_second": body_min_bytes_per_second,
            "body_grace_seconds": body_grace_seconds,
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

    def _receiving_bodies(self) -> set["BoundedHttpToolsProtocol"]:
        """This server's connections in the middle of a request body."""
        bodies: set[BoundedHttpToolsProtocol] | None = getattr(self.server_state, "receiving_bodies", None)
        if bodies is None:
            bodies = set()
            self.server_state.receiving_bodies = bodies  # type: ignore[attr-defined]
        return bodies

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _ReadingFlowControl(transport, self._reading_paused, self._reading_resumed)
        self._http_connections().add(self)
        self._waiting()[self] = None
        self._arm_head_timer()
        if len(self._http_connections()) > self.max_connections:
            self._make_room()

    def _make_room(self) -> None:
        """Close the connection waiting longest for a head; else the body closest to being cut off for
        its pace (the slowest, and never one whose reading the server paused); else this new one."""
        head_victim = next((other for other in self._waiting() if other is not self), None)
        if head_victim is not None:
            logger.warning("too many connections: closed the one waiting longest for a request head")
            head_victim._close()
            return
        now = self.loop.time()
        bodies = [other for other in self._receiving_bodies() if not other.flow.read_paused]
        if bodies:
            slowest = min(bodies, key=lambda other: other._body_deadline())
            slowest._cut_body("too many connections: closed the slowest request body", now)
            return
        logger.warning("too many connections: every one is busy with a request, closed the new one")
        self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_body()
        self._disarm_head_timer()
        self._waiting().pop(self, None)
        self._http_connections().discard(self)
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        # The transport now belongs to the WebSocket protocol: this one never hears of it again.
        self._end_body()
        self._http_connections().discard(self)
        super().handle_websocket_upgrade()

    def _close(self) -> None:
        self._end_body()
        self._disarm_head_timer()
        self._waiting().pop(self, None)
        self._http_connections().discard(self)
        self.transport.close()

    def _begin_body(self) -> None:
        self._in_body = True
        self._body_since = self._body_last_data = self.loop.time()
        self._body_bytes = 0
        self._receiving_bodies().add(self)

    def _end_body(self) -> None:
        self._in_body = False
        self._receiving_bodies().discard(self)
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_deadline(self) -> float:
        """When this body breaks the pace rule unless more bytes arrive."""
        silence_ends = self._body_last_data + self.body_idle_timeout_seconds
        earned = self._body_bytes / self.body_min_bytes_per_second
        allowance_ends = self._body_since + self.body_grace_seconds + earned
        return min(silence_ends, allowance_ends)

    def _arm_body_timer(self) -> None:
        # Bytes arriving do not touch the timer: when it fires it looks at the deadline they moved.
        delay = max(self._body_deadline() - self.loop.time(), 0.0)
        self._body_timer = self.loop.call_later(delay, self._body_check)

    def _reading_paused(self) -> None:
        self._paused_at = self.loop.time()

    def _reading_resumed(self) -> None:
        if self._in_body:
            now = self.loop.time()
            # The pause is taken off the clock; the bytes received before it still count.
            self._body_since += now - max(self._paused_at, self._body_since)
            self._body_last_data = now
            if self._body_timer is None:
                self._arm_body_timer()

    def _body_check(self) -> None:
        self._body_timer = None
        if not self._in_body or self.transport.is_closing() or self.flow.read_paused:
            return  # reading paused: _reading_resumed takes the pause off the clock and re-arms
        now = self.loop.time()
        if now < self._body_deadline():
            self._arm_body_timer()
            return
        self._cut_body("request body too slow: closed with 408", now)

    def _cut_body(self, reason: str, now: float) -> None:
        """408 unless an answer has begun, and close; the app's next receive is ``http.disconnect``
        and what it sends is dropped (set here, not when the transport is gone: the 408 may still be
        in the write buffer, and an answer written after it would follow it out)."""
        logger.warning(
            reason,
            extra={
                "client": self.client,
                "body_bytes": self._body_bytes,
                "body_seconds": round(now - self._body_since, 3),
            },
        )
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            self.transport.write(_BODY_TIMED_OUT)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        self._close()

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
        self._begin_body()  # ended at once by on_message_complete when there is no body
        if self.expect_100_continue:
            # The client waits for "100 Continue", sent when the app first reads: until then its
            # silence is ours, and the clock starts when the app's read resumes reading.
            self.flow.pause_reading()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)  # here, not as bytes arrive: a head's chunk often carries a body too
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._end_body()
        self._in_head, self._head_bytes = True, 0  # the next bytes start the next request's head

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._waiting()[self] = None  # idle keep-alive: uvicorn's keep-alive timeout closes it

    def data_received(self, data: bytes) -> None:
        if self._in_head and self._head_timer is None and data:
            self._arm_head_timer()  # the first bytes of a head on a kept-alive connection
        if self._in_body:
            self._body_last_data = self.loop.time()
        self._feed(data)
        if self._in_body and self._body_timer is None and not self.transport.is_closing():
            self._arm_body_timer()  # a body has begun: only now, so a request without one costs no timer

    def _feed(self, data: bytes) -> None:
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
