"""Slow headers (issue 30, item 2) against a real uvicorn on loopback: an incomplete head times out,
the connections per process are capped, and /healthz keeps answering while slow clients hold many."""

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from spendscore_common.http_protocol import BoundedHttpToolsProtocol
from testkit.processes import free_port

HEAD_TIMEOUT_SECONDS = 0.5
MAX_CONNECTIONS = 20


@pytest.fixture(scope="module")
def server() -> Iterator[uvicorn.Server]:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        log_config=None,
        access_log=False,
        http=BoundedHttpToolsProtocol.with_limits(
            head_timeout_seconds=HEAD_TIMEOUT_SECONDS, max_connections=MAX_CONNECTIONS
        ),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    yield server
    server.should_exit = True
    thread.join(timeout=10)


def _connect(server: uvicorn.Server) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.config.port), timeout=30)
    return connection


def _read_until_closed(connection: socket.socket) -> bytes:
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := connection.recv(4096):
            answer += chunk
    return answer


def _healthz(server: uvicorn.Server) -> bytes:
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return _read_until_closed(connection)


def test_a_head_sent_one_byte_at_a_time_is_cut_off_with_408(server):
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        # Nothing more is sent: the server answers 408 and closes (the read ends; no client timeout).
        answer = _read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_silent_connection_is_closed(server):
    with _connect(server) as connection:
        assert _read_until_closed(connection).startswith(b"HTTP/1.1 408 ")


def test_a_complete_request_is_not_affected(server):
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = connection.recv(4096)
        # A kept-alive connection serves its next request too.
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        second = _read_until_closed(connection)
    assert first.startswith(b"HTTP/1.1 200 ") and second.startswith(b"HTTP/1.1 200 ")


def test_many_slow_clients_neither_pass_the_cap_nor_keep_healthz_out(server):
    slow = []
    try:
        for _ in range(5 * MAX_CONNECTIONS):
            connection = _connect(server)
            connection.sendall(b"G")  # a head begun, never finished
            slow.append(connection)
        answers = [_healthz(server) for _ in range(10)]
        open_connections = len(server.server_state.connections)
    finally:
        for connection in slow:
            connection.close()
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)
    assert open_connections <= MAX_CONNECTIONS
