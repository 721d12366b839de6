"""The current request's id, readable anywhere in the request's task (logs, outgoing calls)."""

from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> None:
    _request_id.set(request_id)
