import json
import logging

import pytest

from config.logging import JsonFormatter

pytestmark = pytest.mark.django_db


def test_a_well_formed_client_request_id_is_echoed(api):
    response = api.get("/healthz", HTTP_X_REQUEST_ID="abc-123_x.y")

    assert response["X-Request-ID"] == "abc-123_x.y"


@pytest.mark.parametrize("given", ["has space", "x" * 129, "semi;colon", "é", ""])
def test_a_malformed_request_id_is_replaced(api, given):
    response = api.get("/healthz", HTTP_X_REQUEST_ID=given)

    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/missing/", "/static/admin/css/base.css", "/admin/login/"])
def test_every_response_carries_a_request_id(api, path):
    assert api.get(path).has_header("X-Request-ID")


def test_log_lines_of_a_request_carry_its_id(api, caplog):
    with caplog.at_level(logging.INFO):
        api.post("/api/v1/auth/login/", {"username": "nobody", "password": "nothing"}, HTTP_X_REQUEST_ID="trace-42")

    request_lines = [record for record in caplog.records if record.name in ("podium.access", "podium.security")]
    assert {record.name for record in request_lines} == {"podium.access", "podium.security"}
    assert all(record.request_id == "trace-42" for record in request_lines)


def test_log_lines_are_json_with_the_request_id():
    record = logging.makeLogRecord(
        {"name": "podium.test", "levelno": logging.INFO, "levelname": "INFO", "msg": "hello"}
    )

    line = JsonFormatter().format(record)

    assert json.loads(line) == {
        "level": "INFO",
        "logger": "podium.test",
        "message": "hello",
        "request_id": "-",
        "timestamp": json.loads(line)["timestamp"],
    }
