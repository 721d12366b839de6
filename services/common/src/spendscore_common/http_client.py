"""Outgoing HTTP: one pooled client per process that forwards the current request id."""

import httpx

from spendscore_common.request_context import REQUEST_ID_HEADER, current_request_id


async def _forward_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def make_http_client(
    *, base_url: str = "", timeout_seconds: float = 2.0, connect_retries: int = 2, max_connections: int = 100
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with a connection pool, a timeout, retries on connection errors,
    and the ``X-Request-ID`` of the request being served added to every call."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds),
        transport=httpx.AsyncHTTPTransport(
            retries=connect_retries,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        ),
        event_hooks={"request": [_forward_request_id]},
    )
