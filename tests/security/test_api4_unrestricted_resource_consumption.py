"""OWASP API4:2023 Unrestricted Resource Consumption.

Every costly or abusable operation has a ceiling: rate limits on sign-in
(per client address and per account, its username and email sharing one
budget, on the API and the admin), registration and submissions (429 with
`Retry-After`, refused attempts counted too); body, page, radius, search and
metadata sizes (413/400, never a 500); websocket messages (size and rate,
then a 1008 close); and sockets per user and game and per client address
(4429, counted over every process).

From the outside probe of issue 10: the per-username limit was per login
string (finding 5), sockets had no cap (finding 7), and a client could name
its own address with X-Forwarded-For under `make run` (finding 4), which
the real servers are asked here: make run's command and deploy/serve.
"""

import asyncio
import json
import re
import time
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from rest_framework.test import APIClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime.hub import get_hub
from realtime.presence import local_presence
from tests.conftest import CommittingAPIClient, bearer_client, clear_redis_state
from tests.e2e.live_servers import http, watching
from tests.factories import PASSWORD, GameFactory, UserFactory
from tests.realtime.conftest import CLIENT, open_socket, watch
from tests.security.sockets import isolated_realtime

LOGIN = "/api/v1/auth/login/"
REGISTER = "/api/v1/auth/register/"
ADMIN_LOGIN = "/admin/login/"
MAX_BODY = 64 * 1024

pytestmark = pytest.mark.django_db


def assert_rate_limited(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1


def assert_api_rate_limited(response):
    assert_rate_limited(response)
    assert response.json()["error"]["code"] == "RATE_LIMITED"


def client_at(address: str) -> APIClient:
    return CommittingAPIClient(REMOTE_ADDR=address)


# --- Sign-in ----------------------------------------------------------------------------------------


def test_login_is_limited_per_client_address_whatever_the_username(user, settings):
    settings.LOGIN_RATE = "3/m"
    client = client_at("10.9.0.1")
    for n in range(3):
        assert client.post(LOGIN, {"username": f"guess-{n}", "password": "wrong"}).status_code == 401

    assert_api_rate_limited(client.post(LOGIN, {"username": user.username, "password": PASSWORD}))


def test_login_is_limited_per_username_across_addresses_in_any_case(user, settings):
    settings.LOGIN_RATE = "3/m"
    for n, login in enumerate([user.username, user.username.upper(), user.username.title()]):
        client_at(f"10.9.1.{n}").post(LOGIN, {"username": login, "password": "wrong"})

    assert_api_rate_limited(client_at("10.9.1.200").post(LOGIN, {"username": user.username, "password": PASSWORD}))


def test_the_addresses_of_one_ipv6_64_share_one_budget(settings):
    settings.LOGIN_RATE = "2/m"
    for n in range(2):
        client_at(f"2001:db8:1:2::{n + 1}").post(LOGIN, {"username": f"guess-{n}", "password": "wrong"})

    assert_api_rate_limited(client_at("2001:db8:1:2:ffff::9").post(LOGIN, {"username": "x", "password": "y"}))
    assert client_at("2001:db8:1:3::1").post(LOGIN, {"username": "x", "password": "y"}).status_code == 401


def test_a_limited_address_does_not_lock_out_others(user, settings):
    settings.LOGIN_RATE = "2/m"
    for n in range(3):
        client_at("10.9.2.1").post(LOGIN, {"username": f"guess-{n}", "password": "wrong"})

    assert client_at("10.9.2.2").post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 200


def test_forwarding_headers_from_an_untrusted_peer_do_not_evade_the_address_limit(settings):
    """X-Real-IP / X-Forwarded-For count only from a trusted proxy: an
    attacker cannot claim a fresh address per attempt."""
    settings.LOGIN_RATE = "3/m"
    settings.TRUSTED_PROXIES = frozenset()
    client = client_at("10.9.3.1")
    for n in range(3):
        client.post(
            LOGIN,
            {"username": f"guess-{n}", "password": "wrong"},
            HTTP_X_REAL_IP=f"203.0.113.{n}",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    response = client.post(
        LOGIN,
        {"username": "guess-x", "password": "wrong"},
        HTTP_X_REAL_IP="203.0.113.99",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )

    assert_api_rate_limited(response)


def test_a_username_and_its_email_share_one_sign_in_budget(settings):
    """Finding 5 of the outside probe: after the limit as `grace`, `grace@demo.podium` had ten tries of its own."""
    grace = UserFactory(username="grace", email="grace@demo.podium")
    settings.LOGIN_RATE = "3/m"
    for n, login in enumerate(["grace", "GRACE@demo.podium", "Grace"]):
        assert client_at(f"10.9.11.{n}").post(LOGIN, {"username": login, "password": "wrong"}).status_code == 401

    for login in ["grace@demo.podium", "Grace@Demo.Podium", "grace"]:
        right = client_at("10.9.11.200").post(LOGIN, {"username": login, "password": PASSWORD})
        assert_api_rate_limited(right)
    assert grace.email == "grace@demo.podium"


def test_an_unknown_login_has_a_budget_of_its_own_in_any_case(user, settings):
    settings.LOGIN_RATE = "2/m"
    for n, login in enumerate(["nobody@example.com", "NOBODY@example.com"]):
        client_at(f"10.9.12.{n}").post(LOGIN, {"username": login, "password": "wrong"})

    assert_api_rate_limited(client_at("10.9.12.9").post(LOGIN, {"username": "Nobody@Example.com", "password": "x"}))
    assert client_at("10.9.12.10").post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 200


def test_admin_sign_in_shares_the_accounts_budget_between_username_and_email(settings):
    UserFactory(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    settings.LOGIN_RATE = "2/m"
    for n, login in enumerate(["root", "ROOT@example.com"]):
        Client(REMOTE_ADDR=f"10.9.13.{n}").post(ADMIN_LOGIN, {"username": login, "password": "wrong"})

    assert_rate_limited(
        Client(REMOTE_ADDR="10.9.13.9").post(ADMIN_LOGIN, {"username": "root@example.com", "password": PASSWORD})
    )


@pytest.mark.parametrize("spelling", [" root", "root\t", "\uff52\uff4f\uff4f\uff54", "ROOT "])  # the third is fullwidth
def test_admin_sign_in_counts_every_spelling_the_form_signs_in_with_against_the_account(settings, spelling):
    """The admin's form strips and NFKC-normalises the username before it signs in."""
    UserFactory(username="root", is_staff=True, is_superuser=True)
    settings.LOGIN_RATE = "2/m"
    for n in range(2):
        Client(REMOTE_ADDR=f"10.9.14.{n}").post(ADMIN_LOGIN, {"username": spelling, "password": "wrong"})

    assert_rate_limited(Client(REMOTE_ADDR="10.9.14.9").post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD}))


def test_an_admin_sign_in_with_a_nul_in_the_username_is_refused_not_a_500():
    response = Client().post(ADMIN_LOGIN, {"username": "ro\x00ot", "password": "wrong"})

    assert response.status_code == 200  # the form, with its error


def test_refused_login_attempts_count_towards_the_limit(settings):
    settings.LOGIN_RATE = "3/m"
    client = client_at("10.9.4.1")
    for _ in range(3):
        assert client.post(LOGIN, {"username": "x" * 300}).status_code == 400  # not even valid

    assert_api_rate_limited(client.post(LOGIN, {"username": "someone", "password": "wrong"}))


def test_a_password_longer_than_128_characters_is_refused_before_hashing(user):
    response = client_at("10.9.5.1").post(LOGIN, {"username": user.username, "password": "p" * 129})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "password"


def test_registration_is_limited_per_client_address(settings):
    settings.REGISTER_RATE = "2/m"
    client = client_at("10.9.6.1")
    for n in range(2):
        body = {"email": f"new{n}@example.com", "username": f"newcomer{n}", "password": "Sturdy-pass-9876"}
        assert client.post(REGISTER, body).status_code == 201

    response = client.post(REGISTER, {"email": "new9@example.com", "username": "newcomer9", "password": "Sturdy-9876!"})

    assert_api_rate_limited(response)


def test_refused_registrations_count_towards_the_limit(settings):
    settings.REGISTER_RATE = "2/m"
    client = client_at("10.9.7.1")
    for _ in range(2):
        assert client.post(REGISTER, {"email": "not-an-email", "username": "x"}).status_code == 400

    response = client.post(REGISTER, {"email": "ok@example.com", "username": "okay-name", "password": "Sturdy-9876!"})

    assert_api_rate_limited(response)


def test_admin_sign_in_is_limited_per_client_address(settings):
    settings.LOGIN_RATE = "2/m"
    client = Client(REMOTE_ADDR="10.9.8.1")
    for n in range(2):
        assert client.post(ADMIN_LOGIN, {"username": f"guess-{n}", "password": "wrong"}).status_code == 200

    assert_rate_limited(client.post(ADMIN_LOGIN, {"username": "guess-x", "password": "wrong"}))


def test_admin_sign_in_is_limited_per_username_across_addresses(settings):
    UserFactory(username="Root", is_staff=True, is_superuser=True)
    settings.LOGIN_RATE = "2/m"
    for n in range(2):
        Client(REMOTE_ADDR=f"10.9.9.{n}").post(ADMIN_LOGIN, {"username": "ROOT", "password": "wrong"})
    client = Client(REMOTE_ADDR="10.9.9.200")

    response = client.post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD})

    assert_rate_limited(response)
    assert client.get("/admin/").status_code == 302  # the right password did not sign in


def test_a_rate_limited_admin_sign_in_with_the_right_password_does_not_sign_in(settings):
    operator = UserFactory(is_staff=True, is_superuser=True)
    settings.LOGIN_RATE = "1/m"
    client = Client(REMOTE_ADDR="10.9.10.1")
    client.post(ADMIN_LOGIN, {"username": "nobody", "password": "wrong"})

    client.post(ADMIN_LOGIN, {"username": operator.username, "password": PASSWORD})

    assert client.get("/admin/").status_code == 302  # still sent to the login page


# --- Submissions ------------------------------------------------------------------------------------


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


def submit(client, slug: str = "arena", value=1):
    return client.post(f"/api/v1/games/{slug}/scores/", {"value": value})


def test_submissions_are_limited_per_user_and_game(game, user, settings):
    settings.SCORE_RATE = "3/m"
    client = bearer_client(user)
    for value in range(3):
        assert submit(client, value=value).status_code == 201

    assert_api_rate_limited(submit(client, value=99))
    assert game.scores.count() == 3


def test_the_submission_limit_of_one_user_and_game_leaves_others_alone(game, user, settings):
    settings.SCORE_RATE = "2/m"
    GameFactory(slug="other")
    client = bearer_client(user)
    for value in range(3):
        submit(client, value=value)

    assert submit(client, slug="other").status_code == 201
    assert submit(bearer_client(UserFactory())).status_code == 201


def test_refused_submissions_count_towards_the_limit(game, user, settings):
    settings.SCORE_RATE = "3/m"
    client = bearer_client(user)
    for _ in range(3):
        assert submit(client, value="not a number").status_code == 400

    assert_api_rate_limited(submit(client, value=1))


def test_an_idempotency_key_longer_than_100_characters_is_a_400(game, user):
    response = bearer_client(user).post("/api/v1/games/arena/scores/", {"value": 1}, HTTP_IDEMPOTENCY_KEY="k" * 101)

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "Idempotency-Key"


# --- Bodies ---------------------------------------------------------------------------------------


def json_body_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    skeleton = b'{"value":1,"metadata":{"pad":""}}'
    return skeleton.replace(b'""', b'"' + b"x" * (size - len(skeleton)) + b'"')


@pytest.mark.parametrize("path", ["/api/v1/games/arena/scores/", LOGIN, "/api/v1/no-such-thing/"])
def test_an_api_body_over_64_kib_is_a_413(game, user, path):
    response = bearer_client(user).generic("POST", path, json_body_of(MAX_BODY + 1), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert not game.scores.exists()


@pytest.mark.parametrize("path", [ADMIN_LOGIN, "/games/arena/live/", "/healthz"])
def test_a_body_over_64_kib_is_a_413_on_any_path(game, path):
    body = b"username=" + b"a" * MAX_BODY

    response = Client().generic("POST", path, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413


def test_a_body_of_exactly_64_kib_is_not_refused_for_its_size(game, user):
    body = json_body_of(MAX_BODY)
    assert len(body) == MAX_BODY

    response = bearer_client(user).generic("POST", "/api/v1/games/arena/scores/", body, content_type="application/json")

    assert response.status_code == 400  # the metadata is too large, not the body
    assert response.json()["error"]["details"][0]["field"] == "metadata"


# A chunked body (no Content-Length) past 64 KiB: tests/ops/test_asgi_body_limit.py.


def test_deeply_nested_json_within_64_kib_is_a_400_not_a_crash(game, user):
    body = b'{"value":1,"metadata":{"a":' + b"[" * 20_000 + b"]" * 20_000 + b"}}"

    response = bearer_client(user).generic("POST", "/api/v1/games/arena/scores/", body, content_type="application/json")

    assert response.status_code == 400


# --- Pages and query sizes --------------------------------------------------------------------------


LISTS = [
    "/api/v1/games/",
    "/api/v1/games/arena/scores/",
    "/api/v1/games/arena/leaderboard/",
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["101", "1000", "100000000"])
def test_a_page_larger_than_100_is_a_400_naming_limit(game, api, path, limit):
    api.get(path)  # the leaderboard's first read fills its cached fast path

    response = api.get(f"{path}?limit={limit}")

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "limit"


@pytest.mark.parametrize("path", LISTS)
def test_a_page_of_100_is_served(game, api, path):
    response = api.get(f"{path}?limit=100")

    assert response.status_code == 200
    assert response.json()["meta"]["limit"] == 100


def test_a_signed_in_leaderboard_page_larger_than_100_is_a_400(game, user):
    response = bearer_client(user).get("/api/v1/games/arena/leaderboard/?limit=101")

    assert response.status_code == 400


@pytest.mark.parametrize("radius", ["51", "1000", "-1"])
def test_a_radius_beyond_50_is_a_400_naming_radius(game, user, radius):
    response = bearer_client(user).get(f"/api/v1/games/arena/leaderboard/me/?radius={radius}")

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "radius"


def test_a_radius_of_50_is_served(game, user):
    assert bearer_client(user).get("/api/v1/games/arena/leaderboard/me/?radius=50").status_code == 200


def test_a_search_longer_than_100_characters_is_a_400(api):
    response = api.get("/api/v1/games/?search=" + "a" * 101)

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "search"


# --- Metadata -------------------------------------------------------------------------------------


def nested(depth: int) -> dict:
    """A metadata object whose containers nest `depth` levels (itself the first)."""
    value: dict = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def test_score_metadata_over_4_kib_is_a_400_on_metadata(game, user):
    response = submit_with_metadata(user, {"blob": "x" * 4096})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "metadata"
    assert not game.scores.exists()


def test_score_metadata_nested_9_levels_is_a_400_on_metadata(game, user):
    response = submit_with_metadata(user, nested(9))

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "metadata"


def test_score_metadata_nested_8_levels_is_accepted(game, user):
    response = submit_with_metadata(user, nested(8))

    assert response.status_code == 201
    assert response.json()["data"]["score"]["metadata"] == nested(8)


def test_score_metadata_with_lists_nested_too_deep_is_a_400(game, user):
    value: list = []
    for _ in range(8):
        value = [value]

    assert submit_with_metadata(user, {"levels": value}).status_code == 400


def test_game_metadata_over_16_kib_is_a_400_on_metadata(studio_user):
    response = bearer_client(studio_user).post("/api/v1/games/", {"name": "Big", "metadata": {"blob": "x" * 16_384}})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "metadata"


def test_game_metadata_nested_too_deep_is_a_400_on_metadata(studio_user):
    response = bearer_client(studio_user).post("/api/v1/games/", {"name": "Deep", "metadata": nested(9)})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "metadata"


def submit_with_metadata(user, metadata):
    return bearer_client(user).post("/api/v1/games/arena/scores/", {"value": 1, "metadata": metadata})


# --- Websocket messages -------------------------------------------------------------------------------


@pytest.fixture
async def realtime():
    async with isolated_realtime():
        yield


async def outputs_until_quiet(socket, quiet: float = 0.5) -> list[dict]:
    """Every frame the server sends until it goes quiet, close frames included."""
    frames = []
    while not await socket.communicator.receive_nothing(timeout=quiet):
        frames.append(await socket.communicator.receive_output(timeout=5))
    return frames


def texts(frames: list[dict]) -> list[dict]:
    return [json.loads(frame["text"]) for frame in frames if frame["type"] == "websocket.send"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_websocket_message_over_4096_characters_is_refused_and_the_socket_stays_open(game):
    socket, _ = await watch(game)

    await socket.send("x" * 4097)
    refused = await socket.receive()
    await socket.send(json.dumps({"type": "ping"}))

    assert (refused["type"], refused["code"]) == ("error", "BAD_MESSAGE")
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_websocket_message_of_4096_characters_is_read(game):
    socket, _ = await watch(game)
    message = '{"type":"ping","pad":"' + "x" * (4096 - len('{"type":"ping","pad":""}')) + '"}'
    assert len(message) == 4096

    await socket.send(message)

    assert await socket.receive() == {"type": "pong"}
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_megabyte_websocket_message_is_refused_without_harm(game):
    socket, _ = await watch(game)

    await socket.send(json.dumps({"type": "ping", "pad": "x" * 1_000_000}))

    assert (await socket.receive())["code"] == "BAD_MESSAGE"
    await socket.send(json.dumps({"type": "ping"}))
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_binary_websocket_frame_is_refused(game):
    socket, _ = await watch(game)

    await socket.communicator.send_to(bytes_data=b"\x00" * 10)

    assert (await socket.receive())["code"] == "BAD_MESSAGE"
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_burst_of_20_messages_is_served_and_more_are_refused(game):
    socket, _ = await watch(game)
    started = time.monotonic()

    for _ in range(30):
        await socket.send('{"type":"ping"}')
    replies = texts(await outputs_until_quiet(socket))
    elapsed = time.monotonic() - started

    pongs = [reply for reply in replies if reply["type"] == "pong"]
    limited = [reply for reply in replies if reply.get("code") == "RATE_LIMITED"]
    assert len(pongs) + len(limited) == 30
    assert 20 <= len(pongs) <= 20 + int(elapsed * 10) + 1
    assert limited
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_rate_limited_socket_recovers_at_10_messages_a_second(game):
    socket, _ = await watch(game)
    for _ in range(25):
        await socket.send('{"type":"ping"}')
    await outputs_until_quiet(socket, quiet=0.3)

    await socket.send('{"type":"ping"}')  # 0.3 s of quiet earned about 3 more

    assert await socket.receive() == {"type": "pong"}
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_socket_that_keeps_flooding_is_closed_with_1008(game):
    socket, _ = await watch(game)

    for _ in range(150):
        await socket.send('{"type":"ping"}')
    frames = await outputs_until_quiet(socket)

    closes = [frame for frame in frames if frame["type"] == "websocket.close"]
    assert closes, "a flooding socket must be disconnected"
    assert closes[0]["code"] == 1008
    sent_before_close = frames[: frames.index(closes[0])]
    assert sum(1 for reply in texts(sent_before_close) if reply["type"] == "pong") <= 21
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_an_anonymous_socket_is_limited_too(game):
    connected, socket = await open_socket("/ws/games/arena/")
    assert connected
    await socket.receive_type("snapshot")

    for _ in range(40):
        await socket.send('{"type":"ping"}')

    replies = texts(await outputs_until_quiet(socket))
    assert any(reply.get("code") == "RATE_LIMITED" for reply in replies)
    await socket.close()


# --- Socket caps (CONTRACT §7; finding 7 of the outside probe) ----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_anonymous_sockets_beyond_the_cap_of_one_address_are_closed_with_4429(game, settings):
    settings.WS_MAX_PER_ADDRESS = 3
    other_game = await sync_to_async(GameFactory)(slug="other")
    held = [await watch(game), await watch(game), await watch(other_game)]  # the cap spans every game

    connected, refused = await open_socket("/ws/games/arena/")

    assert connected
    assert await refused.closed_with() == 4429
    watcher, snapshot = await watch(game, client=("10.0.0.2", 1))  # another address is not affected
    assert (snapshot["players"], snapshot["connections"]) == (0, 3)
    for socket, _ in [*held, (watcher, None)]:
        await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_socket_closed_frees_its_place_under_the_cap(game, settings):
    settings.WS_MAX_PER_ADDRESS = 1
    first, _ = await watch(game)
    await first.close()

    second, snapshot = await watch(game)

    assert snapshot["connections"] == 1
    await second.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_users_sockets_beyond_the_cap_per_game_are_closed_with_4429(game, settings):
    settings.WS_MAX_PER_USER = 2
    settings.WS_MAX_PER_ADDRESS = 1  # signed-in sockets do not count against the address
    player = await sync_to_async(UserFactory)()
    other_game = await sync_to_async(GameFactory)(slug="other")
    held = [await watch(game, user=player), await watch(game, user=player)]

    connected, refused = await open_socket("/ws/games/arena/", user=player)
    elsewhere, _ = await watch(other_game, user=player)  # the cap is per game

    assert connected
    assert await refused.closed_with() == 4429
    observer, snapshot = await watch(game)
    assert (snapshot["players"], snapshot["connections"]) == (1, 3)
    for socket, _ in [*held, (elsewhere, None), (observer, None)]:
        await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_lobby_sockets_count_against_the_address_cap(game, settings):
    settings.WS_MAX_PER_ADDRESS = 1
    held, _ = await watch(game)

    connected, refused = await open_socket("/ws/lobby/")

    assert connected
    assert await refused.closed_with() == 4429
    await held.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_proxy_trusted_to_name_the_client_gives_each_client_its_own_cap(game, settings):
    settings.WS_MAX_PER_ADDRESS = 1
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    first, _ = await watch(game, headers=[(b"x-real-ip", b"203.0.113.1")])

    second, _ = await watch(game, headers=[(b"x-real-ip", b"203.0.113.2")])
    connected, refused = await open_socket("/ws/games/arena/", headers=[(b"x-real-ip", b"203.0.113.1")])

    assert connected
    assert await refused.closed_with() == 4429
    await first.close()
    await second.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_an_untrusted_peer_cannot_escape_the_cap_by_naming_other_addresses(game, settings):
    settings.WS_MAX_PER_ADDRESS = 1
    first, _ = await watch(game)

    forged = [(b"x-real-ip", b"203.0.113.7"), (b"x-forwarded-for", b"198.51.100.7"), (b"forwarded", b"for=1.2.3.4")]
    connected, refused = await open_socket("/ws/games/arena/", headers=forged)

    assert connected
    assert await refused.closed_with() == 4429
    await first.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_slot_lost_with_redis_is_taken_again_by_the_next_heartbeat(game, settings):
    settings.WS_MAX_PER_ADDRESS = 1
    held, _ = await watch(game)
    lobby_connected, lobby = await open_socket("/ws/lobby/", client=("10.0.0.3", 1))
    assert lobby_connected
    await lobby.receive_type("lobby")
    clear_redis_state()  # Redis restarted empty (or swept this process's slots while it stalled)
    local_presence().forget_everything()

    await get_hub().heartbeat()

    for address in [CLIENT, ("10.0.0.3", 2)]:
        connected, refused = await open_socket("/ws/games/arena/", client=address)
        assert connected
        assert await refused.closed_with() == 4429
    await held.close()
    await lobby.close()


# --- The client address on the real servers (finding 4 of the outside probe) ---------------------------

FORGED = ["X-Forwarded-For", "X-Real-IP", "Forwarded", "X-Client-IP", "True-Client-IP"]


def forged_headers(n: int) -> dict[str, str]:
    address = f"10.9.{n // 250}.{n % 250 + 1}"
    return {name: (f"for={address}" if name == "Forwarded" else address) for name in FORGED}


def post_json(base: str, path: str, body: dict, headers: dict) -> int:
    return http(
        "POST", base + path, headers={"Content-Type": "application/json", **headers}, data=json.dumps(body).encode()
    ).status


def assert_forged_addresses_change_nothing(base: str, log_text) -> None:
    """LOGIN_RATE and REGISTER_RATE are 2/m: after them, claiming a new
    address per attempt still gets 429s, and the log names the real peer."""

    # A new login name each time: only the per-address limit can refuse them.
    def login(n: int) -> dict:
        return {"username": f"nobody-{n}", "password": "wrong-password"}

    assert [post_json(base, LOGIN, login(n), {}) for n in range(2)] == [401, 401]
    assert {post_json(base, LOGIN, login(n), forged_headers(n)) for n in range(2, 17)} == {429}
    new = {"email": "new@example.com", "username": "newcomer", "password": "short"}
    assert [post_json(base, REGISTER, new, {}) for _ in range(2)] == [400, 400]
    assert {post_json(base, REGISTER, new, forged_headers(n)) for n in range(5)} == {429}
    assert [admin_sign_in(base, f"nobody-{n}", forged_headers(n)) for n in range(4)] == [200, 200, 429, 429]
    events = [json.loads(line) for line in log_text().splitlines() if '"podium.security"' in line]
    assert {event["ip"] for event in events if event.get("event") in ("login_failed", "rate_limited")} == {"127.0.0.1"}


def admin_sign_in(base: str, username: str, headers: dict) -> int:
    page = http("GET", base + ADMIN_LOGIN)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1].decode()
    cookie = page.headers["Set-Cookie"].split(";")[0]
    form = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": "wrong"}).encode()
    return http(
        "POST",
        base + ADMIN_LOGIN,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Referer": base, **headers},
        data=form,
    ).status


async def assert_forged_addresses_do_not_lift_the_socket_cap(ws_base: str) -> None:
    """WS_MAX_PER_ADDRESS is 2."""
    async with watching(f"{ws_base}/ws/games/arena/") as first, watching(f"{ws_base}/ws/games/arena/") as second:
        await first.expect("snapshot", within=10)
        await second.expect("snapshot", within=10)
        async with connect(
            f"{ws_base}/ws/games/arena/", additional_headers=forged_headers(7), open_timeout=10
        ) as refused:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(refused.recv(), timeout=10)
            assert closed.value.rcvd.code == 4429


# Hourly limits: a fixed window that ended between two of a check's
# requests (one chance in a few dozen with minutes) would let one through.
ABUSE = {"LOGIN_RATE": "2/h", "REGISTER_RATE": "2/h", "WS_MAX_PER_ADDRESS": "2"}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_make_runs_server_believes_no_address_the_client_names(servers):
    GameFactory(slug="arena")
    (server,) = servers.start(env=ABUSE)

    assert_forged_addresses_change_nothing(server.url, lambda: server.log_path.read_text())
    asyncio.run(assert_forged_addresses_do_not_lift_the_socket_cap(server.url.replace("http", "ws", 1)))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_production_layout_believes_only_the_address_nginx_saw(production_layout):
    GameFactory(slug="arena")
    layout = production_layout(**ABUSE)

    assert_forged_addresses_change_nothing(layout.url, layout.log_text)
    asyncio.run(assert_forged_addresses_do_not_lift_the_socket_cap(layout.url.replace("http", "ws", 1)))
