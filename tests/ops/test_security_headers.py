import pytest

pytestmark = pytest.mark.django_db

PATHS = ["/healthz", "/api/v1/auth/me/", "/api/v1/missing/", "/admin/login/", "/static/admin/css/base.css"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(api, path):
    response = api.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_over_https_when_debug_is_off(api):
    response = api.get("/healthz", secure=True)

    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_cors_answers_a_whitelisted_origin(api, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://game.example"]

    response = api.options(
        "/api/v1/auth/login/",
        HTTP_ORIGIN="https://game.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert response["Access-Control-Allow-Origin"] == "https://game.example"


@pytest.mark.parametrize("path", ["/api/v1/auth/login/", "/static/admin/css/base.css"])
def test_cors_ignores_other_origins(api, settings, path):
    settings.CORS_ALLOWED_ORIGINS = ["https://game.example"]

    response = api.options(path, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")

    assert not response.has_header("Access-Control-Allow-Origin")


def test_static_files_are_served_with_debug_off(api, settings):
    assert settings.DEBUG is False

    response = api.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
