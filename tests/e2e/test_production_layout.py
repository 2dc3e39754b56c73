"""The production layout of deploy/serve, for real: nginx in front of the
granian WSGI workers (HTTP) and uvicorn (websockets), with this repository's
nginx configuration. A score posted to a WSGI worker reaches a socket held by
the ASGI server, through the Redis channel layer."""

import asyncio
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from accounts.services import issue_tokens
from tests.conftest import unavailable
from tests.e2e.live_servers import ROOT, call, database_url_of_this_test, free_port, watching
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def layout(transactional_db, settings, tmp_path):
    if not os.path.exists(NGINX):
        unavailable("needs nginx (apt-get install nginx-light)")
    port, live_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "PODIUM_DEV_SECRET": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "REST_PORT": str(free_port()),
        "LIVE_PORT": str(live_port),
        "REST_WORKERS": "2",
        "LOGIN_RATE": "2/m",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_TIMEOUT": "1",  # see tests/e2e/live_servers.py
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own launcher
            [str(ROOT / "deploy" / "serve")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # nginx answers as soon as granian does; the websockets' uvicorn may
        # still be starting (nginx would answer 502 for /ws/ until it is up).
        for ready_url in (f"{base}/healthz", f"http://127.0.0.1:{live_port}/healthz"):
            _wait_until_ready(ready_url, process, log)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def _wait_until_ready(url, process, log) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"deploy/serve exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # polling for the servers to listen
    raise RuntimeError(f"deploy/serve not ready:\n{log.read_text(errors='replace')[-3000:]}")


def get(url: str) -> urllib.request.addinfourl:
    return urllib.request.urlopen(url, timeout=10)  # noqa: S310 - loopback


def test_rest_pages_and_static_files_are_served_through_nginx_with_podiums_headers(layout):
    GameFactory(slug="arena")

    for path in ("/api/v1/games/", "/games/arena/live/", "/static/realtime/live.js"):
        with get(f"{layout}{path}") as response:
            assert response.status == 200, path
            assert response.headers["X-Request-ID"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_bodies_get_podiums_413_not_nginxs(layout):
    status, body = call("POST", f"{layout}/api/v1/auth/login/", body={"username": "x" * 70_000, "password": "p"})

    assert status == 413
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_score_posted_to_a_wsgi_worker_reaches_a_socket_on_the_asgi_server(layout):
    game = GameFactory(slug="arena")
    player = UserFactory(username="ada")
    token = issue_tokens(user=player).access
    ws_url = layout.replace("http://", "ws://") + f"/ws/games/{game.slug}/"

    async def scenario():
        async with watching(ws_url) as inbox:
            await inbox.expect("snapshot", within=10)
            status, body = await asyncio.to_thread(
                call, "POST", f"{layout}/api/v1/games/arena/scores/", token=token, body={"value": 42}
            )
            assert status == 201, body
            message = await inbox.expect("score", within=10)
            assert message["score"] == body["data"]["score"]
            await inbox.expect("leaderboard", within=10)

    asyncio.run(scenario())


def test_the_client_address_is_the_one_nginx_saw_not_one_the_client_claims(layout):
    # LOGIN_RATE is 2/m per address: a client cannot escape it by claiming
    # other addresses, because nginx overwrites X-Real-IP.
    statuses = []
    for n in range(3):
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{layout}/api/v1/auth/login/",
            data=b'{"username": "nobody", "password": "wrong-password"}',
            headers={"Content-Type": "application/json", "X-Real-IP": f"10.0.0.{n}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    assert statuses == [401, 401, 429]
