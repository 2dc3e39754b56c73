"""Structured logs: one JSON object per line, each carrying the request id."""

import contextvars
import logging
import re

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

# Set by RequestIdMiddleware for the duration of a request (asgiref copies it
# into the threads that run sync code), read by every log record.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = current_request_id.get()
    return record


# Python's own warnings (a library's DeprecationWarning, Django's notes
# about streaming under ASGI) become log records too, and so JSON lines.
logging.captureWarnings(True)

# A record factory rather than a handler filter: every record gets the id,
# whichever handler (or test capture) receives it.
logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)


# Every value of a query string: a parameter's name may be percent-encoded
# (`?%74oken=` is `?token=` to the server), so no list of names is safe.
_QUERY_VALUE = re.compile(r"([?&][^=&\s\"']*=)[^&\s\"']+")
_SOCKET_CHATTER = {"connection open", "connection closed"}


class ServerLogFilter(logging.Filter):
    """For the server's own lines (uvicorn): every query value in a URL is
    redacted (a websocket URL may carry an access token), and the per-socket
    "connection open/closed" lines dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("uvicorn"):
            return True
        message = record.getMessage()
        if message in _SOCKET_CHATTER:
            return False
        record.__dict__.pop("color_message", None)  # uvicorn's terminal copy of the message
        if "=" in message:
            record.msg, record.args = _QUERY_VALUE.sub(r"\1[redacted]", message), ()
        return True
