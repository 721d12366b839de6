"""A cheap HTTP/1.1 load generator, run in its own process so that it does not compete with the server
for the interpreter: N keep-alive connections, one request in flight on each, the request bytes made once.

Usage: ``python -m benchmarks.http_load URL --requests N --connections C [--header 'Name: value']
[--body JSON]`` prints one JSON line: ``{"requests", "seconds", "requests_per_second", "statuses"}``.
Each connection first sends ``--warmup`` requests that are not timed.
"""

import argparse
import json
import selectors
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

HEADER_END = b"\r\n\r\n"


def build_request(url: str, body: bytes, headers: list[str]) -> tuple[str, int, bytes]:
    """Host, port and the bytes of one keep-alive POST of ``body`` as JSON."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Connection:
    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)
    sent: int = 0


class ProtocolError(Exception):
    pass


def _response_length(head: bytes) -> tuple[int, int]:
    """Status and Content-Length of a response head (the bytes before the blank line)."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return status, int(value)
    raise ProtocolError(f"response without Content-Length: {lines[0]!r}")


def run_load(
    host: str, port: int, request: bytes, *, requests: int, connections: int, warmup: int
) -> dict[str, object]:
    """Send ``warmup`` untimed requests per connection, then ``requests`` timed ones in all."""
    selector = selectors.DefaultSelector()
    pool = []
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pool.append(Connection(sock))
    statuses: Counter[int] = Counter()

    def drive(budget: int) -> float:
        """Keep every connection busy until ``budget`` responses came back; returns the seconds."""
        to_send, received = budget, 0
        started = time.perf_counter()
        for connection in pool:
            if to_send:
                to_send -= 1
                connection.sock.sendall(request)
                selector.register(connection.sock, selectors.EVENT_READ, connection)
        while received < budget:
            for key, _ in selector.select():
                connection = key.data
                chunk = connection.sock.recv(65536)
                if not chunk:
                    raise ProtocolError("the server closed a connection")
                connection.buffer += chunk
                while (end := connection.buffer.find(HEADER_END)) >= 0:
                    status, length = _response_length(bytes(connection.buffer[:end]))
                    if len(connection.buffer) < end + 4 + length:
                        break
                    del connection.buffer[: end + 4 + length]
                    statuses[status] += 1
                    received += 1
                    if to_send:
                        to_send -= 1
                        connection.sock.sendall(request)
                    else:
                        selector.unregister(connection.sock)
        return time.perf_counter() - started

    try:
        drive(warmup * connections)
        statuses.clear()
        seconds = drive(requests)
    finally:
        for connection in pool:
            connection.sock.close()
        selector.close()
    return {
        "requests": requests,
        "seconds": round(seconds, 4),
        "requests_per_second": round(requests / seconds, 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_load", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per connection")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--body", default="{}", help="JSON body of every request")
    args = parser.parse_args(argv)
    host, port, request = build_request(args.url, args.body.encode(), args.header)
    result = run_load(
        host, port, request, requests=args.requests, connections=args.connections, warmup=args.warmup
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
