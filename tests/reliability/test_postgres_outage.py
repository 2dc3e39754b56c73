"""PostgreSQL down (issue 6, fault 2): a real server process reaches
PostgreSQL through a proxy the test cuts. Requests fail fast with a 503 in
the envelope, /readyz says why, and service resumes by itself when
PostgreSQL is reachable again."""

import time

import pytest
from django.db import connection

from tests.e2e.live_servers import LiveServer, call, database_url_of_this_test
from tests.factories import GameFactory
from tests.reliability.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

FAIL_FAST_SECONDS = 5.0


class ServerBehindProxy(LiveServer):
    def __init__(self, *, proxy: TcpProxy, **kwargs):
        super().__init__(**kwargs)
        self.proxy = proxy

    def environment(self) -> dict[str, str]:
        db = connection.settings_dict
        direct = database_url_of_this_test()
        through_proxy = direct.replace(f"{db['HOST']}:{db['PORT']}", f"127.0.0.1:{self.proxy.port}")
        return {
            **super().environment(),
            "DATABASE_URL": through_proxy,
            "DATABASE_POOL_TIMEOUT": "2",
            "DATABASE_CONNECT_TIMEOUT": "2",
        }


@pytest.fixture
def server(transactional_db, tmp_path):
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.restore()
    live = ServerBehindProxy(proxy=proxy, log_dir=tmp_path)
    live.spawn()
    live.wait_until_ready()
    yield live
    live.stop()
    proxy.cut()


def timed(method: str, url: str, body: dict | None = None) -> tuple[int, dict, float]:
    started = time.perf_counter()
    status, body = call(method, url, body=body)
    return status, body, time.perf_counter() - started


@pytest.mark.fault("PostgreSQL unreachable (connections cut), then back")
def test_requests_fail_fast_with_503_and_service_resumes_by_itself(server, record):
    GameFactory(slug="arena")
    assert call("GET", f"{server.url}/api/v1/games/arena/")[0] == 200

    server.proxy.cut()
    needs_database = [timed("GET", f"{server.url}/api/v1/games/") for _ in range(3)]
    needs_database.append(timed("POST", f"{server.url}/api/v1/auth/login/", {"username": "ada", "password": "x"}))
    cached = [timed("GET", f"{server.url}/api/v1/games/arena/") for _ in range(3)]
    ready_status, ready, _ = timed("GET", f"{server.url}/readyz")

    for status, body, seconds in needs_database:
        assert status == 503, body
        assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "Traceback" not in str(body)
        assert seconds <= FAIL_FAST_SECONDS
    # What Redis still has (the game itself) is served while PostgreSQL is away.
    assert [status for status, _, _ in cached] == [200, 200, 200]
    outcomes = needs_database + cached
    assert ready_status == 503
    assert ready["checks"]["database"] == "unavailable"
    assert call("GET", f"{server.url}/healthz")[0] == 200  # the process itself is fine

    server.proxy.restore()
    restored = time.perf_counter()
    while call("GET", f"{server.url}/api/v1/games/")[0] != 200:
        assert time.perf_counter() - restored < 30, "service did not resume"
        time.sleep(0.1)  # polling for the pool to reconnect
    record.recovery_seconds = time.perf_counter() - restored
    record.requests = len(outcomes) + 1
    record.server_errors = sum(status >= 500 for status, _, _ in outcomes)
    record.notes.append("every 5xx is the contract's 503 SERVICE_UNAVAILABLE; cached reads still answered")
    assert call("GET", f"{server.url}/readyz")[0] == 200
