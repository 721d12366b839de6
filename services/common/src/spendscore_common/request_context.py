"""The current request's id, readable anywhere in the request's task (logs, outgoing calls)."""

import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> None:
    _request_id.set(request_id)


def accept_or_generate_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is sane (printable, at most 128 chars), else make a new one."""
    if incoming and len(incoming) <= 128 and incoming.isprintable() and " " not in incoming:
        return incoming
    return uuid.uuid4().hex
