"""Shared fixtures. Service-bound tests carry `postgres` / `redis` markers:
skipped where the service is not configured, and failed instead when
PODIUM_REQUIRE_SERVICES=1 (CI), so a CI run can never pass on SQLite alone."""

import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from tests.factories import PASSWORD, UserFactory

REQUIRE_SERVICES = os.environ.get("PODIUM_REQUIRE_SERVICES") == "1"
# Captured once: tests may point the settings at a dead Redis, cleanup may not.
SUITE_REDIS_URL = settings.REDIS_URL
SUITE_KEY_PREFIX = settings.REDIS_KEY_PREFIX


def using_postgres() -> bool:
    return connection.vendor == "postgresql"


def using_redis() -> bool:
    return bool(settings.REDIS_URL)


def pytest_report_header(config):
    return [
        f"podium: database={connection.vendor} redis={'configured' if using_redis() else 'not configured'} "
        f"require_services={REQUIRE_SERVICES}"
    ]


def pytest_sessionstart(session):
    if REQUIRE_SERVICES and not (using_postgres() and using_redis()):
        pytest.exit(
            "PODIUM_REQUIRE_SERVICES=1 but the suite is not on PostgreSQL and Redis "
            f"(database={connection.vendor}, REDIS_URL={'set' if using_redis() else 'unset'}).",
            returncode=3,
        )


def pytest_runtest_setup(item):
    for marker, available in (("postgres", using_postgres), ("redis", using_redis)):
        if item.get_closest_marker(marker) and not available():
            message = f"needs {marker}, which is not configured"
            if REQUIRE_SERVICES:
                pytest.fail(message + " (PODIUM_REQUIRE_SERVICES=1)")
            pytest.skip(message)


@pytest.fixture(autouse=True)
def _fast_hashes_and_clean_state(settings):
    # Argon2 is the production hasher (a test proves it); MD5 keeps the rest fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_redis_state()
    yield
    clear_redis_state()


def clear_redis_state() -> None:
    """Forget every cached value and Redis key of the suite (its own prefix only)."""
    if not SUITE_REDIS_URL:
        cache.clear()
        return
    with redis.Redis.from_url(SUITE_REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{SUITE_KEY_PREFIX}:*", count=1000))
        if keys:
            client.unlink(*keys)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def password():
    return PASSWORD


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")
    return client


@pytest.fixture
def signed_in(user):
    """An API client signed in as `user` with a bearer token."""
    return bearer_client(user)
