"""uvicorn's httptools protocol with a bound on the request head, enforced as the bytes arrive.

httptools accumulates a header (and uvicorn the URL) by concatenating every chunk that arrives, with
no limit: a 10 MB or 40 MB header is read and copied over and over before any ASGI code can refuse
it. Here the bytes of the request line and headers are counted as they are fed to the parser; past
the limit the connection gets a 431 and is closed, and nothing more of it is parsed.
"""

import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from spendscore_common.middleware import MAX_HEADERS_BYTES

logger = logging.getLogger("spendscore.access")
# The request line and the header section together; the middleware then bounds each header.
MAX_HEAD_BYTES = MAX_HEADERS_BYTES + 8 * 1024
_TOO_LARGE_BODY = b'{"detail":"Request header fields too large"}'
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_TOO_LARGE_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TOO_LARGE_BODY
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Refuses a request whose head (request line and headers) exceeds ``MAX_HEAD_BYTES``."""

    max_head_bytes = MAX_HEAD_BYTES
    _in_head = True
    _head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next bytes start the next request's head

    def data_received(self, data: bytes) -> None:
        while data and not self.transport.is_closing():
            if not self._in_head:
                super().data_received(data)
                return
            room = self.max_head_bytes - self._head_bytes
            if room <= 0:
                logger.warning("request head too large: refused with 431", extra={"client": self.client})
                self.transport.write(_TOO_LARGE)
                self.transport.close()
                return
            if len(data) <= room:  # the usual case: the whole chunk, without copying it
                self._head_bytes += len(data)
                super().data_received(data)
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            super().data_received(piece)
