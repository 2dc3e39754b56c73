"""Every error under /api/ speaks the envelope of CONTRACT §2, whoever raised it."""

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert isinstance(body["error"]["details"], list)


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing", "/api/v1/auth/login"])
def test_unknown_api_paths_are_a_404_envelope(api, path):
    assert_error(api.get(path), 404, "NOT_FOUND")


def test_a_wrong_method_is_a_405_envelope_with_allow(api):
    response = api.get(LOGIN)

    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response["Allow"]


def test_a_wrong_method_on_a_plain_django_api_path_is_a_405_envelope(api):
    assert_error(api.delete("/api/v1/auth/csrf/"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("body", ["{not json", '{"username": "a",}', "", "\xff"])
def test_malformed_json_is_a_400_bad_request(api, body):
    response = api.generic("POST", LOGIN, body.encode("latin-1") or b" ", content_type="application/json")

    assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_a_400_bad_request(api, body):
    assert_error(api.generic("POST", LOGIN, body, content_type="application/json"), 400, "BAD_REQUEST")


@pytest.mark.parametrize("body", ['{"username": NaN}', '{"username": Infinity}'])
def test_non_standard_json_constants_are_refused(api, body):
    assert_error(api.generic("POST", LOGIN, body, content_type="application/json"), 400, "BAD_REQUEST")


def test_deeply_nested_json_is_a_400_not_a_crash(api):
    body = '{"username": ' + "[" * 50_000 + "]" * 50_000 + "}"

    response = api.generic("POST", LOGIN, body[: 60 * 1024] + "}", content_type="application/json")

    assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
def test_a_body_that_is_not_json_is_a_415(api, content_type):
    response = api.generic("POST", LOGIN, b'{"username": "a"}', content_type=content_type)

    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_a_charset_or_odd_case_is_accepted(api, user, password, content_type):
    body = f'{{"username": "{user.username}", "password": "{password}"}}'

    assert api.generic("POST", LOGIN, body, content_type=content_type).status_code == 200


@pytest.mark.parametrize("path", [LOGIN, "/admin/login/", "/no-such-page/"])
def test_bodies_over_64_kib_are_a_413_on_any_path(api, path):
    body = '{"username": "' + "a" * (64 * 1024) + '"}'

    response = api.generic("POST", path, body, content_type="application/json")

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_of_exactly_64_kib_is_not_refused_for_its_size(api):
    padding = 64 * 1024 - len('{"username": "", "password": "x"}')
    body = '{"username": "' + "a" * padding + '", "password": "x"}'
    assert len(body.encode()) == 64 * 1024

    response = api.generic("POST", LOGIN, body, content_type="application/json")

    assert response.status_code == 400  # too long a username, not too large a body
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.urls("tests.api.crash_urls")
@pytest.mark.parametrize("path", ["/api/v1/crash/drf/", "/api/v1/crash/django/"])
def test_a_crash_is_a_500_envelope_without_internals(api, path, caplog):
    response = api.get(path)

    assert_error(response, 500, "INTERNAL_ERROR")
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    assert "hunter2" in caplog.text  # the operator sees it in the log


@pytest.mark.urls("tests.api.crash_urls")
def test_a_crash_shows_no_stack_trace_even_with_debug_on(api, settings):
    settings.DEBUG = True

    response = api.get("/api/v1/crash/drf/")

    assert_error(response, 500, "INTERNAL_ERROR")
    assert b"hunter2" not in response.content


def test_validation_errors_name_each_field_in_details(api):
    response = api.post(LOGIN, {"username": "x" * 300})

    assert_error(response, 400, "VALIDATION_ERROR")
    assert {detail["field"] for detail in response.json()["error"]["details"]} == {"username", "password"}
