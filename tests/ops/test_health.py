import pytest
from django.core.cache import caches

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_while_the_process_serves(api):
    response = api.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_check(api, settings):
    response = api.get("/readyz")

    assert response.status_code == 200
    expected_redis = "ok" if settings.REDIS_URL else "not configured"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": expected_redis}}


@pytest.mark.redis
def test_readyz_is_503_naming_redis_when_redis_does_not_answer(api, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    try:
        response = api.get("/readyz")
    finally:
        caches["default"].close()

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}
