"""The ASGI entry point refuses a chunked body (no Content-Length) past 64 KiB."""

import json

import pytest
from asgiref.testing import ApplicationCommunicator

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def post_chunked(path: str, chunks: list[bytes]) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    app = ApplicationCommunicator(application, scope)
    for index, chunk in enumerate(chunks):
        await app.send_input({"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1})
    start = await app.receive_output(timeout=10)
    body = b""
    while True:
        message = await app.receive_output(timeout=10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await app.wait(timeout=5)
    return start["status"], dict(start["headers"]), body


async def test_a_chunked_body_over_64_kib_is_a_413():
    status, headers, body = await post_chunked("/api/v1/auth/login/", [b"x" * 40_000, b"x" * 40_000])

    assert status == 413
    assert json.loads(body)["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert b"x-request-id" in {name.lower() for name in headers}


async def test_a_small_chunked_body_reaches_the_view():
    status, _headers, body = await post_chunked("/api/v1/auth/login/", [b'{"username": ', b'"x"}'])

    assert status == 400
    assert json.loads(body)["error"]["details"] == [{"field": "password", "message": "This field is required."}], body
