"""Shared fixtures. Service-bound tests carry `postgres` / `redis` markers:
skipped where the service is not configured, and failed instead when
PODIUM_REQUIRE_SERVICES=1 (CI), so a CI run can never pass on SQLite alone."""

import os
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, connections
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from config import memo
from config.circuit import redis_breaker
from realtime.presence import forget_counts, local_presence
from scores import page_cache
from scores.rebuild import stale_boards
from tests.e2e.live_servers import NGINX, ProductionLayout, Servers
from tests.factories import PASSWORD, UserFactory

REQUIRE_SERVICES = os.environ.get("PODIUM_REQUIRE_SERVICES") == "1"


def unavailable(message: str):
    """What a test does when something it needs is missing here: skip, or
    fail under PODIUM_REQUIRE_SERVICES=1 (CI), where nothing may be missing."""
    if REQUIRE_SERVICES:
        pytest.fail(message + " (PODIUM_REQUIRE_SERVICES=1)")
    pytest.skip(message)


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
            unavailable(f"needs {marker}, which is not configured")


@pytest.fixture(autouse=True)
def _fast_hashes_and_clean_state(settings):
    # Argon2 is the production hasher (a test proves it); MD5 keeps the rest fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_redis_state()
    stale_boards.cache_clear()
    memo.forget_everything()
    page_cache.forget_everything()
    forget_counts()
    local_presence().forget_everything()
    redis_breaker.reset()
    yield
    clear_redis_state()
    stale_boards.cache_clear()
    memo.forget_everything()
    page_cache.forget_everything()
    forget_counts()
    local_presence().forget_everything()


def clear_redis_state() -> None:
    """Forget every cached value and Redis key of the suite (its own prefix only)."""
    if not SUITE_REDIS_URL:
        cache.clear()
        return
    with redis.Redis.from_url(SUITE_REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{SUITE_KEY_PREFIX}:*", count=1000))
        if keys:
            client.unlink(*keys)


class CommittingAPIClient(APIClient):
    """An API client whose requests' on-commit work (Redis updates, cache
    invalidation, broadcasts) runs before the request returns, as it does in
    production, even inside the test's own transaction."""

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


@pytest.fixture
def api():
    return CommittingAPIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def password():
    return PASSWORD


def bearer_client(user) -> APIClient:
    """An API client signed in as `user` with a bearer token."""
    client = CommittingAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")
    return client


@pytest.fixture
def signed_in(user):
    """An API client signed in as `user` with a bearer token."""
    return bearer_client(user)


@pytest.fixture
def private_redis(settings):
    """A Redis server of the test's own, on a free port, that the test may stop
    (`.stop()`) for real; Podium's settings point at it for the test."""
    server = PrivateRedis()
    if server.binary is None:
        unavailable("needs the redis-server binary")
    server.start()
    settings.REDIS_URL = server.url
    settings.REDIS_TIMEOUT = PRODUCTION_REDIS_TIMEOUT  # faults are measured against production's timeout
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": settings.REDIS_KEY_PREFIX,
            "OPTIONS": {
                "CONNECTION_POOL_CLASS": "config.circuit.GuardedConnectionPool",
                "SOCKET_CONNECT_TIMEOUT": settings.REDIS_TIMEOUT,
                "SOCKET_TIMEOUT": settings.REDIS_TIMEOUT,
            },
        }
    }
    settings.DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    settings.RATELIMIT_FAIL_OPEN = True
    yield server
    caches["default"].close()
    server.stop()


PRODUCTION_REDIS_TIMEOUT = 0.04  # config.settings' default


class PrivateRedis:
    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server, fixed arguments
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with redis.Redis.from_url(self.url) as client:
            for _ in range(200):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.01)  # the server process is starting
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def servers(transactional_db, tmp_path):
    """Podium server processes as `make run` starts them (tests.e2e.live_servers)."""
    fleet = Servers(log_dir=tmp_path)
    yield fleet
    fleet.stop_all()


@pytest.fixture
def production_layout(transactional_db, tmp_path):
    """Starts deploy/serve: `production_layout(LOGIN_RATE="2/m")` returns a
    running ProductionLayout with those variables; stopped after the test."""
    started: list[ProductionLayout] = []

    def start(**env: str) -> ProductionLayout:
        if not os.path.exists(NGINX):
            unavailable("needs nginx (apt-get install nginx-light)")
        layout = ProductionLayout(log_dir=tmp_path, env=env)
        started.append(layout)
        layout.start()
        return layout

    yield start
    for layout in started:
        layout.stop()


@pytest.fixture
def studio_user(db):
    """A user in the Studio group: may create games."""
    return UserFactory(studio=True)


@pytest.fixture
def operator(db):
    """Staff with every permission (Django superuser)."""
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True, scope="session")
def _static_files_looked_up_per_request():
    # Every test client builds its own middleware stack, and WhiteNoise scans
    # all static files when it does; in autorefresh mode it looks them up per
    # request instead, which is what tests (few static requests) want.
    with override_settings(WHITENOISE_AUTOREFRESH=True):
        yield


@pytest.fixture(autouse=True, scope="session")
def _close_pools_before_the_test_database_is_dropped(django_db_setup, django_db_blocker):
    # Threads that ran requests (sync_to_async, parallel tests) returned their
    # connections to the shared pool; close it, or dropping the test
    # database finds it still in use.
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            if hasattr(connections[alias], "close_pool"):
                connections[alias].close_pool()


# --- For the property tests (tests.leaderboards.playing.PROPERTY_EXAMPLES) ------

PROPERTY_PLAYERS = 4


@pytest.fixture
def property_players(settings):
    """Four players who may submit as often as a property test needs."""
    settings.SCORE_RATE = "1000/m"
    return UserFactory.create_batch(PROPERTY_PLAYERS)


@pytest.fixture
def embedded_defaults(settings):
    """Podium as it runs without REDIS_URL: caches in the process,
    leaderboards read from the database."""
    settings.REDIS_URL = ""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "podium-leaderboard-properties",
            "KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        }
    }
