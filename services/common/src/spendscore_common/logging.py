"""JSON log lines, one per record, carrying the request id of the request being served."""

import logging
import sys
import threading
import time
from typing import Any, TextIO

import orjson

from spendscore_common.request_context import current_request_id

_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, service, logger, message, request id, the ``extra``
    fields, and the traceback when there is one."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._second = -1
        self._second_text = ""

    def _time(self, created: float) -> str:
        # strftime once per second, not once per line: the access log writes a line per request.
        second = int(created)
        if second != self._second:
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            line["request_id"] = request_id
        attributes = record.__dict__
        for key in attributes.keys() - _STANDARD_ATTRS:
            line[key] = attributes[key]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class BatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A StreamHandler that flushes a WARNING or worse at once, and other lines within
    ``flush_seconds`` (a daemon thread flushes): a flush per access log line is a system call per
    request, and the most expensive part of a fast request's log line."""

    def __init__(self, stream: TextIO, flush_seconds: float = 0.2) -> None:
        super().__init__(stream)
        self.flush_seconds = flush_seconds
        self._pending = False
        threading.Thread(target=self._flush_every_interval, name="log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self.flush()
        else:
            self._pending = True

    def flush(self) -> None:
        self._pending = False
        super().flush()

    def _flush_every_interval(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            if self._pending:
                self.flush()  # takes the handler's lock, so never in the middle of a line


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record of the process to stdout as JSON; quiet uvicorn's own access log."""
    # What a record costs to make: no caller lookup (a stack walk), no thread or process names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = BatchedStreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
