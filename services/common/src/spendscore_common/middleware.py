"""The one ASGI middleware every request crosses: limits, request id, metrics, log line, generic 500.

One pure-ASGI layer instead of several (request log, body limit, Prometheus instrumentator), since
each layer costs a function call chain per message. In order, for each HTTP request it:

- refuses a header over ``max_header_bytes`` or a header section over ``max_headers_bytes`` (431),
  a body declared or grown over the limit of its path (413), a query or body holding a NUL, a
  lone surrogate or a non-finite JSON number (422 naming the field);
- accepts or makes an ``X-Request-ID`` and returns it, with ``frame-ancestors 'none'`` (no framing);
- when the route needs a token, checks it before the app reads the first byte of a body over 16 KB
  (401), so that an upload without valid credentials is refused without being read;
- answers ``Connection: close`` when it answers before the body was read, so that nobody reads it;
- counts the request in the Prometheus metrics and logs one line (method, path, status, duration);
- logs an exception that escapes the app with its traceback and answers a generic 500.
"""

import logging
import random
import time
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spendscore_common import early_auth, input_checks
from spendscore_common.logging import access_log
from spendscore_common.metrics import UNMATCHED_HANDLER, HttpMetrics
from spendscore_common.request_context import set_request_id
from spendscore_common.tracing import record_request_id

logger = logging.getLogger("spendscore.access")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_HEADER_BYTES = 8 * 1024
MAX_HEADERS_BYTES = 32 * 1024
# A body up to this size has usually arrived with the headers: reading it before the 401 costs nothing,
# and checking the token ahead of FastAPI would verify it twice. Larger bodies get the check first.
EARLY_AUTH_FROM_BYTES = 16 * 1024
_REQUEST_ID = b"x-request-id"
# No page of a service (the /docs and /redoc pages included) may be framed by another site.
_NO_FRAMING = (b"content-security-policy", b"frame-ancestors 'none'")


class _Refused(Exception):
    """The middleware has answered the request itself; whatever the app sends afterwards is dropped."""


def _new_request_id() -> str:
    # Not a secret, so no system call for randomness: the id only has to be unique enough to find logs.
    return f"{random.getrandbits(128):032x}"


def _request_id(incoming: bytes | None) -> str:
    """Keep a caller's id when it is sane (printable ASCII without spaces, at most 128 chars)."""
    if incoming and len(incoming) <= 128 and incoming.isascii():
        text = incoming.decode("ascii")
        if text.isprintable() and " " not in text:
            return text
    return _new_request_id()


class RequestGuardMiddleware:
    """See the module docstring. ``body_limits`` maps a path to its own body limit (uploads)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
        max_header_bytes: int = MAX_HEADER_BYTES,
        max_headers_bytes: int = MAX_HEADERS_BYTES,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits or {})
        self.max_header_bytes = max_header_bytes
        self.max_headers_bytes = max_headers_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw_headers = scope["headers"]
        sizes = [len(name) + len(value) for name, value in raw_headers]
        headers = dict(raw_headers)  # the last of repeated names wins
        declared = headers.get(b"content-length")
        # Media types are case-insensitive: Application/JSON is JSON, and FastAPI reads it as such.
        content_type = (headers.get(b"content-type") or b"").lower()
        incoming_id = headers.get(_REQUEST_ID)
        chunked = b"transfer-encoding" in headers
        longest, headers_bytes = max(sizes, default=0), sum(sizes)
        request_id = _request_id(incoming_id)
        set_request_id(request_id)
        record_request_id(request_id)
        id_header = (_REQUEST_ID, request_id.encode())
        path: str = scope["path"]
        body_limit = self.body_limits.get(path, self.max_body_bytes)
        declared_bytes = int(declared) if declared is not None and declared.isdigit() else 0
        has_body = declared_bytes > 0 or chunked
        status = 500
        response_started = refused = False
        body_done = not has_body
        response_bytes = 0

        async def answer(code: int, detail: Any) -> None:
            """The middleware's own answer (when the app has not answered yet)."""
            nonlocal status, response_started, refused
            refused = True
            if response_started:
                return
            response_started = True
            status = code
            body = orjson.dumps({"detail": detail})
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                id_header,
                _NO_FRAMING,
            ]
            if not body_done:
                headers.append((b"connection", b"close"))
            await send({"type": "http.response.start", "status": code, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started, response_bytes
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                extra = [id_header]
                if not any(name == _NO_FRAMING[0] for name, _ in message.get("headers", ())):
                    extra.append(_NO_FRAMING)
                if not body_done:
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", ()), *extra]
            elif message["type"] == "http.response.body":
                response_bytes += len(message.get("body", b""))
            await send(message)

        # FastAPI reads a body without a Content-Type as JSON too.
        is_form = b"urlencoded" in content_type
        inspected = is_form or b"json" in content_type or not content_type
        received = 0
        parts: list[bytes] = []
        first_read = chunked or declared_bytes > EARLY_AUTH_FROM_BYTES

        async def checked_receive() -> Message:
            nonlocal received, body_done, first_read
            if first_read:
                first_read = False
                await early_auth.refuse_unless_authenticated(scope)
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > body_limit:
                await answer(413, f"request body larger than {body_limit} bytes")
                raise _Refused
            if message.get("more_body", False):
                if inspected:
                    parts.append(chunk)
                return message
            body_done = True
            if inspected:
                body = b"".join([*parts, chunk]) if parts else chunk
                problems = (
                    input_checks.form_body_problems(body)
                    if is_form
                    else input_checks.json_body_problems(body)
                )
                if problems:
                    await answer(422, problems)
                    raise _Refused
            return message

        try:
            if longest > self.max_header_bytes or headers_bytes > self.max_headers_bytes:
                await answer(431, "Request header fields too large")
            elif declared_bytes > body_limit:
                await answer(413, f"request body larger than {body_limit} bytes")
            elif problems := input_checks.query_problems(scope["query_string"]):
                await answer(422, problems)
            else:
                await self.app(scope, checked_receive if has_body else receive, send_with_request_id)
        except _Refused:
            pass
        except ClientDisconnect:
            # The client went, or its body was cut for its pace (http_protocol): nobody to answer, and
            # not a server error. 499 as nginx logs it.
            status = 499
        except Exception:
            logger.exception("unhandled error", extra={"method": scope["method"], "path": path})
            await answer(500, "Internal server error")
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            handler = getattr(route, "path", None) or UNMATCHED_HANDLER
            self.metrics.observe(
                method=scope["method"],
                status=status,
                handler=handler,
                request_bytes=declared_bytes,
                response_bytes=response_bytes,
                seconds=seconds,
            )
            access_log.log(
                logging.DEBUG if path in _QUIET_PATHS and status < 400 else logging.INFO,
                {
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
