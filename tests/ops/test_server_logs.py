"""The server's own log lines (uvicorn) carry no tokens and no per-socket noise."""

import json
import logging
import subprocess
from pathlib import Path

import pytest

from config.logging import JsonFormatter, ServerLogFilter

ROOT = Path(__file__).resolve().parents[2]


def server_record(message: str, *args) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "uvicorn.error", "levelname": "INFO", "msg": message, "args": args})


def test_a_token_in_a_websocket_url_is_redacted():
    record = server_record('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/ws/games/x/?token=eyJhbG.secret.sig")

    assert ServerLogFilter().filter(record) is True
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == '127.0.0.1:5000 - "WebSocket /ws/games/x/?token=[redacted]" [accepted]'
    assert "secret" not in JsonFormatter().format(record)


@pytest.mark.parametrize("name", ["%74oken", "tok%65n", "access", "anything"])
def test_every_query_value_is_redacted_whatever_its_name_is_spelt(name):
    record = server_record('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", f"/ws/games/x/?a=1&{name}=eyJ.sig")

    ServerLogFilter().filter(record)

    assert record.getMessage() == f'127.0.0.1:5000 - "WebSocket /ws/games/x/?a=[redacted]&{name}=[redacted]" [accepted]'


def test_per_socket_open_and_close_lines_are_dropped():
    assert ServerLogFilter().filter(server_record("connection open")) is False
    assert ServerLogFilter().filter(server_record("connection closed")) is False


def test_other_server_lines_and_our_own_pass_unchanged():
    started = server_record("Started server process [%d]", 42)
    ours = logging.makeLogRecord({"name": "podium.access", "msg": "token=abc in our own words"})

    assert ServerLogFilter().filter(started) is True
    assert started.getMessage() == "Started server process [42]"
    assert ServerLogFilter().filter(ours) is True
    assert ours.getMessage() == "token=abc in our own words"


def test_nginxs_error_lines_have_every_query_value_redacted():
    """deploy/serve pipes nginx's error log through this filter: nginx quotes
    the URL of a request it could not pass on, and a socket's may carry a token."""
    line = (
        "[error] connect() failed (111) while connecting to upstream, client: 127.0.0.1, "
        'request: "GET /ws/games/a/?%74oken=eyJ.x.y&b=2 HTTP/1.1", upstream: "http://127.0.0.1:9/ws/games/a/?token=eyJ.x.y"\n'
    )

    redacted = subprocess.run(  # noqa: S603 - our own filter
        [str(ROOT / "deploy" / "redact-query-values")], input=line, capture_output=True, text=True, check=True
    ).stdout

    assert "eyJ" not in redacted
    assert '?%74oken=[redacted]&b=[redacted] HTTP/1.1"' in redacted
    assert 'upstream: "http://127.0.0.1:9/ws/games/a/?token=[redacted]"' in redacted
