"""The production layout of deploy/serve, for real: nginx in front of the
granian WSGI workers (HTTP) and uvicorn (websockets), with this repository's
nginx configuration. A score posted to a WSGI worker reaches a socket held by
the ASGI server, through the Redis channel layer."""

import asyncio
import urllib.request

import pytest

from accounts.services import issue_tokens
from tests.e2e.live_servers import call, watching
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def layout(production_layout):
    return production_layout(LOGIN_RATE="2/m").url


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


def test_sigterm_to_deploy_serve_stops_everything_it_started(production_layout):
    layout = production_layout()
    started = layout.descendants()
    assert any("granian" in args for _ppid, args in started.values())
    assert any("nginx" in args for _ppid, args in started.values())

    assert layout.stop() == []
