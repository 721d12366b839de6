"""Starting a service process: check the configuration, then run uvicorn; one clear line on failure."""

import errno
import gc
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from spendscore_common.http_protocol import MAX_HEAD_BYTES, BoundedHttpToolsProtocol
from spendscore_common.logging import configure_logging
from spendscore_common.settings import ServiceSettings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


class StartupError(Exception):
    """A configuration problem that stops the service; its message is shown as is."""


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(f"port {port} on {host} is already in use") from exc
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def describe_settings_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "invalid configuration: " + "; ".join(parts)


def frozen_after_startup(app: FastAPI) -> FastAPI:
    """The app, whose lifespan hands every object alive once it has started (the libraries, a model,
    pools: a few hundred thousand, there for the life of the process) to ``gc.freeze``. A full
    collection, which a request making thousands of objects (a 1,000-row batch) sets off every few
    requests, then no longer walks them all: about 4 of a batch's 9 ms went to that."""
    startup = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        async with startup(running) as state:
            gc.collect()
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
    return app


def run_service(
    name: str,
    load_settings: Callable[[], SettingsT],
    create_app: Callable[[SettingsT], FastAPI],
    preflight: Callable[[SettingsT], None] | None = None,
    *,
    proxy_headers: bool = True,
) -> None:
    """Load the settings once, run ``preflight`` checks, then serve ``create_app(settings)``.

    ``proxy_headers`` False leaves X-Forwarded-For to the app (auth decides itself whom to believe).

    Any ValidationError or StartupError ends the process with exit code 1 and one line on stderr.
    """
    try:
        settings = load_settings()
        configure_logging(name, settings.log_level)
        ensure_port_free(settings.host, settings.port)
        if preflight is not None:
            preflight(settings)
    except ValidationError as exc:
        sys.exit(f"{name}: {describe_settings_error(exc)}")
    except StartupError as exc:
        sys.exit(f"{name}: {exc}")
    uvicorn.run(
        lambda: frozen_after_startup(create_app(settings)),
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=proxy_headers,
        http=BoundedHttpToolsProtocol.with_limits(
            head_timeout_seconds=settings.head_timeout_seconds,
            max_connections=settings.max_connections,
            body_idle_timeout_seconds=settings.body_idle_timeout_seconds,
            body_min_bytes_per_second=settings.body_min_bytes_per_second,
            body_grace_seconds=settings.body_grace_seconds,
        ),
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_graceful_shutdown=10,
    )
