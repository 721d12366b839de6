"""ASGI middleware: request id in and out, one log line per request, a generic 500 for crashes."""

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spendscore_common.request_context import (
    REQUEST_ID_HEADER,
    accept_or_generate_request_id,
    set_request_id,
)

logger = logging.getLogger("spendscore.access")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestLogMiddleware:
    """Accepts or makes an ``X-Request-ID``, returns it, logs method/path/status/latency.

    An exception that escapes the app is logged with its traceback and answered with a generic
    ``{"detail": "Internal server error"}``: no exception text ever reaches the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(REQUEST_ID_HEADER.lower().encode())
        request_id = accept_or_generate_request_id(incoming.decode("latin-1") if incoming else None)
        set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            logger.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            if not response_started:
                await _send_internal_error(send_with_request_id)
        finally:
            level = logging.DEBUG if scope["path"] in _QUIET_PATHS and status < 400 else logging.INFO
            logger.log(
                level,
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


async def _send_internal_error(send: Send) -> None:
    body = json.dumps({"detail": "Internal server error"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
