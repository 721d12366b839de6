"""The UI's launcher: ``python -m spendscore_ui.serve ui/streamlit_app.py [streamlit options]``.

It is ``streamlit run`` with the services' bounds on slow clients (issue 30): Streamlit serves the app
with uvicorn, whose protocol waits for ever on a half-sent request head and keeps any number of
connections, so a few hundred clients sending one byte every few seconds starve the UI. Here uvicorn
gets the services' protocol (spendscore_common.http_protocol): a head must arrive within
HEAD_TIMEOUT_SECONDS (408 and closed), a body (an upload) must keep the pace of
BODY_IDLE_TIMEOUT_SECONDS, BODY_MIN_BYTES_PER_SECOND and BODY_GRACE_SECONDS (408 and closed), and
past MAX_CONNECTIONS the connection waiting longest for a head (else the slowest body) is closed. A
WebSocket (the app's ``/_stcore/stream``) is bounded only until its upgrade request is complete; then
it lives as long as Streamlit keeps it.
"""

import sys
from collections.abc import Callable
from typing import Any

from streamlit.web import cli
from streamlit.web.server.starlette import starlette_server

from spendscore_common.http_protocol import BoundedHttpToolsProtocol
from spendscore_ui.config import settings_or_exit


def bounded_server_options(
    streamlit_options: Callable[[], dict[str, Any]], protocol: type[BoundedHttpToolsProtocol]
) -> Callable[[], dict[str, Any]]:
    """Streamlit's uvicorn options with the bounded HTTP protocol in place of uvicorn's own."""

    def options() -> dict[str, Any]:
        return {**streamlit_options(), "http": protocol}

    return options


def main(arguments: list[str]) -> None:
    settings = settings_or_exit()
    # Streamlit builds uvicorn's Config from this function's answer and offers no other hook; a
    # Streamlit release that renames it fails here at start, not silently unbounded.
    streamlit_options = getattr(starlette_server, "_get_uvicorn_config_kwargs", None)
    if streamlit_options is None:
        raise SystemExit("spendscore-ui: this Streamlit release has no uvicorn options to bound")
    protocol = BoundedHttpToolsProtocol.with_limits(
        head_timeout_seconds=settings.head_timeout_seconds,
        max_connections=settings.max_connections,
        body_idle_timeout_seconds=settings.body_idle_timeout_seconds,
        body_min_bytes_per_second=settings.body_min_bytes_per_second,
        body_grace_seconds=settings.body_grace_seconds,
    )
    starlette_server._get_uvicorn_config_kwargs = bounded_server_options(streamlit_options, protocol)
    cli.main(["run", *arguments], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
