"""JSON log lines, one per record, carrying the request id of the request being served."""

import logging
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO

import orjson

from spendscore_common.request_context import current_request_id

# Not fields of a line: the record's own attributes, and uvicorn's copy of its message with terminal colours.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


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

    def line(self, created: float, level: str, logger: str, message: str, fields: Mapping[str, Any]) -> str:
        line: dict[str, Any] = {
            "time": self._time(created),
            "level": level,
            "service": self.service,
            "logger": logger,
            "message": message,
        }
        request_id = current_request_id()
        if request_id:
            line["request_id"] = request_id
        line.update(fields)
        return orjson.dumps(line, default=str, option=orjson.OPT_NON_STR_KEYS).decode()

    def format(self, record: logging.LogRecord) -> str:
        attributes = record.__dict__
        fields = {key: attributes[key] for key in attributes.keys() - _STANDARD_ATTRS}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return self.line(record.created, record.levelname, record.name, record.getMessage(), fields)


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

    def write_line(self, line: str) -> None:
        """A line below WARNING, already formatted."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self.stream.write(line + self.terminator)
        self._pending = True

    def flush(self) -> None:
        self._pending = False
        super().flush()

    def _flush_every_interval(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            if self._pending:
                self.flush()  # takes the handler's lock, so never in the middle of a line


class AccessLog:
    """The one line per request of the request middleware: "request" with the method, path, status
    and duration, logged by ``spendscore.access``. While the process's only handler is the JSON
    handler of ``configure_logging``, the line goes to that handler straight: a LogRecord and the
    logging calls around it would cost a fast request about as much as its model."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("spendscore.access")
        self._root = logging.getLogger()
        self._handler: BatchedStreamHandler | None = None

    def write_to(self, handler: BatchedStreamHandler | None) -> None:
        self._handler = handler

    def log(self, level: int, fields: Mapping[str, Any]) -> None:
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        handler = self._handler
        root_handlers = self._root.handlers
        if (
            handler is None
            or len(root_handlers) != 1
            or root_handlers[0] is not handler
            or logger.handlers
            or logger.filters
            or level < handler.level
            or level >= logging.WARNING
        ):
            logger.log(level, "request", extra=fields)  # whatever else listens (pytest's caplog) hears it
            return
        formatter = handler.formatter
        assert isinstance(formatter, JsonFormatter)
        line = formatter.line(time.time(), logging.getLevelName(level), logger.name, "request", fields)
        handler.write_line(line)


access_log = AccessLog()


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
    access_log.write_to(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
