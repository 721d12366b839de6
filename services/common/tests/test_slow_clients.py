"""Slow headers (issue 30, item 2) and slow bodies against a real uvicorn on loopback: an incomplete
head times out, a body must keep a minimum pace, the connections per process are capped, and /healthz
keeps answering while slow clients hold many."""

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect

from spendscore_common.http_protocol import BoundedHttpToolsProtocol
from testkit.processes import free_port

HEAD_TIMEOUT_SECONDS = 0.5
MAX_CONNECTIONS = 20
BODY_IDLE_TIMEOUT_SECONDS = 0.5
BODY_MIN_BYTES_PER_SECOND = 2000.0
BODY_GRACE_SECONDS = 0.5


# What /upload saw, by the request's tag: "read N" bytes, or "disconnect".
OUTCOMES: dict[str, str] = {}


def _app() -> FastAPI:
    """/healthz, and /upload reading its body (after ``delay`` seconds) into OUTCOMES."""
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/upload", response_model=None)
    async def upload(request: Request, tag: str, delay: float = 0.0) -> dict[str, int] | Response:
        await asyncio.sleep(delay)
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
        except ClientDisconnect:
            OUTCOMES[tag] = "disconnect"
            return Response(status_code=400)  # goes nowhere: the connection is gone
        OUTCOMES[tag] = f"read {received}"
        return {"received": received}

    return app


@contextlib.contextmanager
def _serving(protocol: type[BoundedHttpToolsProtocol]) -> Iterator[uvicorn.Server]:
    server = uvicorn.Server(
        uvicorn.Config(
            _app(), host="127.0.0.1", port=free_port(), log_config=None, access_log=False, http=protocol
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[uvicorn.Server]:
    with _serving(
        BoundedHttpToolsProtocol.with_limits(
            head_timeout_seconds=HEAD_TIMEOUT_SECONDS,
            max_connections=MAX_CONNECTIONS,
            body_idle_timeout_seconds=BODY_IDLE_TIMEOUT_SECONDS,
            body_min_bytes_per_second=BODY_MIN_BYTES_PER_SECOND,
            body_grace_seconds=BODY_GRACE_SECONDS,
        )
    ) as running:
        yield running


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


def _upload_head(tag: str, length: int, *, delay: float = 0.0, expect_continue: bool = False) -> bytes:
    expect = b"Expect: 100-continue\r\n" if expect_continue else b""
    return (
        f"POST /upload?tag={tag}&delay={delay} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n".encode()
        + expect
        + b"Connection: close\r\n\r\n"
    )


def _status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _wait_for_outcome(tag: str) -> str:
    deadline = time.monotonic() + 5
    while tag not in OUTCOMES and time.monotonic() < deadline:
        time.sleep(0.01)
    return OUTCOMES.get(tag, "nothing")


def test_a_trickled_body_gets_408_and_is_closed_and_the_app_sees_the_disconnect(server):
    with _connect(server) as connection:
        connection.sendall(_upload_head("trickled", 1_000_000) + b"x")
        started = time.monotonic()
        connection.settimeout(0.1)
        answer = b""
        # A byte every 0.1 s: never silent for the idle timeout, but far below the minimum rate.
        while not answer:
            try:
                answer = connection.recv(4096)
            except TimeoutError:
                connection.sendall(b"x")
        elapsed = time.monotonic() - started
        connection.settimeout(5)
        answer += _read_until_closed(connection)
    assert _status_and_json(answer) == (408, {"detail": "Request body not received in time"})
    # Cut at the end of the grace (plus the 0.005 s that 10 bytes at 2000 B/s earn), not later.
    assert BODY_GRACE_SECONDS - 0.05 < elapsed < BODY_GRACE_SECONDS + 0.5
    assert _wait_for_outcome("trickled") == "disconnect"


def test_a_body_that_stops_after_a_fast_start_is_cut_after_the_idle_timeout(server):
    with _connect(server) as connection:
        # 100 KB at once earns 50 s of rate allowance: only the silence rule can end this one.
        connection.sendall(_upload_head("stopped", 1_000_000) + b"x" * 100_000)
        started = time.monotonic()
        answer = _read_until_closed(connection)
        elapsed = time.monotonic() - started
    assert _status_and_json(answer)[0] == 408
    assert BODY_IDLE_TIMEOUT_SECONDS - 0.05 < elapsed < BODY_IDLE_TIMEOUT_SECONDS + 0.5
    assert _wait_for_outcome("stopped") == "disconnect"


def test_a_body_sent_at_a_real_pace_in_small_chunks_with_pauses_is_accepted(server):
    chunks = 6
    with _connect(server) as connection:
        connection.sendall(_upload_head("paced", 1000 * chunks))
        # 1,000 bytes every 0.4 s (2,500 B/s, pauses just under the 0.5 s idle timeout), 2.4 s in all:
        # well past the grace, so the rate rule was applied all along.
        for _ in range(chunks):
            time.sleep(0.4)
            connection.sendall(b"x" * 1000)
        answer = _read_until_closed(connection)
    assert _status_and_json(answer) == (200, {"received": 1000 * chunks})


def test_a_body_the_app_is_slow_to_read_is_not_the_clients_fault(server):
    # 1 MB sent at once while the app waits 1.5 s before reading: uvicorn stops reading after 64 KB,
    # the client can send nothing more, and that silence is not held against it.
    with _connect(server) as connection:
        connection.sendall(_upload_head("unread", 1_000_000, delay=1.5) + b"x" * 1_000_000)
        answer = _read_until_closed(connection)
    assert _status_and_json(answer) == (200, {"received": 1_000_000})


def test_a_client_waiting_for_100_continue_is_not_timed_out(server):
    with _connect(server) as connection:
        connection.sendall(_upload_head("continued", 10, delay=1.5, expect_continue=True))
        assert connection.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"  # only once the app reads
        connection.sendall(b"x" * 10)
        answer = _read_until_closed(connection)
    assert _status_and_json(answer) == (200, {"received": 10})


def test_trickled_bodies_at_the_cap_neither_keep_healthz_out_nor_close_a_faster_upload():
    # The defaults' proportions, long enough that no body times out during the test: only the choice
    # of victim is tested (the body closest to being cut: a trickler 30 s from it, the upload 60 s).
    patient = BoundedHttpToolsProtocol.with_limits(
        head_timeout_seconds=5,
        max_connections=MAX_CONNECTIONS,
        body_idle_timeout_seconds=60,
        body_min_bytes_per_second=500,
        body_grace_seconds=30,
    )
    with _serving(patient) as running:
        upload = _connect(running)
        upload.sendall(_upload_head("upload", 200_000) + b"x" * 100_000)  # half of it, at LAN speed
        trickling = []
        try:
            for index in range(5 * MAX_CONNECTIONS):
                connection = _connect(running)
                connection.sendall(_upload_head(f"trickle-{index}", 1_000_000) + b"x")
                trickling.append(connection)
            answers = [_healthz(running) for _ in range(10)]
            open_connections = len(running.server_state.connections)
            upload.sendall(b"x" * 100_000)
            upload_answer = _read_until_closed(upload)
            # The tricklers whose app saw the disconnect were cut: each must have had its 408.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                cut = [
                    connection
                    for index, connection in enumerate(trickling)
                    if OUTCOMES.get(f"trickle-{index}") == "disconnect"
                ]
                if len(cut) >= 4 * MAX_CONNECTIONS:
                    break
                time.sleep(0.1)
            answered_408 = 0
            for connection in cut:
                connection.settimeout(5)
                answered_408 += connection.recv(4096).startswith(b"HTTP/1.1 408 ")
        finally:
            upload.close()
            for connection in trickling:
                connection.close()
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)
    assert open_connections <= MAX_CONNECTIONS
    assert _status_and_json(upload_answer) == (200, {"received": 200_000})
    # Past the cap the slowest bodies were closed, each with a 408, and their apps saw the disconnect.
    assert len(cut) >= 4 * MAX_CONNECTIONS and answered_408 == len(cut)
