"""CONTRACT §7, row by row: what a socket on ws/games/{slug}/ sees."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async

from accounts.services import issue_tokens
from games.services import archive_game
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory
from tests.realtime.conftest import open_socket, watch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


@sync_to_async
def submit(user, game, value):
    response = bearer_client(user).post(f"/api/v1/games/{game.slug}/scores/", {"value": value})
    assert response.status_code == 201, response.content
    return response.json()["data"]


async def test_the_snapshot_comes_first_and_counts_the_socket_itself(game):
    socket, snapshot = await watch(game)

    assert snapshot == {"type": "snapshot", "game": "arena", "players": 0, "connections": 1, "leaderboard": []}
    await socket.close()


async def test_the_snapshot_carries_the_top_ten_as_the_api_ranks_it(game):
    players = await sync_to_async(UserFactory.create_batch)(12)
    for value, player in enumerate(players, start=1):
        await submit(player, game, value * 10)

    socket, snapshot = await watch(game)

    api = await sync_to_async(lambda: bearer_client(players[0]).get("/api/v1/games/arena/leaderboard/?limit=10"))()
    assert snapshot["leaderboard"] == api.json()["data"]
    assert [entry["rank"] for entry in snapshot["leaderboard"]] == list(range(1, 11))
    assert snapshot["leaderboard"][0]["value"] == 120
    await socket.close()


async def test_a_signed_in_socket_counts_as_a_player(game):
    user = await sync_to_async(UserFactory)()

    socket, snapshot = await watch(game, user=user)

    assert (snapshot["players"], snapshot["connections"]) == (1, 1)
    await socket.close()


async def test_the_access_cookie_signs_a_socket_in(game):
    user = await sync_to_async(UserFactory)()
    access = (await sync_to_async(issue_tokens)(user=user)).access

    socket, snapshot = await watch(game, headers=[(b"cookie", f"podium_access={access}".encode())])

    assert snapshot["players"] == 1
    await socket.close()


async def test_three_tabs_of_one_user_count_once(game):
    user = await sync_to_async(UserFactory)()
    first, _ = await watch(game, user=user)
    second, _ = await watch(game, user=user)

    third, snapshot = await watch(game, user=user)

    assert (snapshot["players"], snapshot["connections"]) == (1, 3)
    for socket in (first, second, third):
        await socket.close()


@pytest.mark.parametrize("token", ["not-a-token", "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoiMSJ9."])
async def test_an_invalid_token_is_accepted_then_closed_with_4401(game, token):
    connected, socket = await open_socket("/ws/games/arena/", token=token)

    assert connected
    assert await socket.closed_with() == 4401


async def test_an_expired_token_is_closed_with_4401(game):
    user = await sync_to_async(UserFactory)()
    access = (await sync_to_async(issue_tokens)(user=user)).access

    with time_machine.travel(timedelta(minutes=16)):
        connected, socket = await open_socket("/ws/games/arena/", token=access)
        assert connected
        assert await socket.closed_with() == 4401


async def test_an_unknown_game_is_accepted_then_closed_with_4404(db):
    connected, socket = await open_socket("/ws/games/no-such-game/")

    assert connected
    assert await socket.closed_with() == 4404


async def test_an_archived_game_is_closed_with_4404(game):
    await sync_to_async(archive_game)(game=game)

    connected, socket = await open_socket("/ws/games/arena/")

    assert connected
    assert await socket.closed_with() == 4404


async def test_ping_gets_pong(game):
    socket, _ = await watch(game)

    await socket.send('{"type": "ping"}')

    assert await socket.receive_type("pong") == {"type": "pong"}
    await socket.close()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "BAD_MESSAGE"),
        ("[1, 2]", "BAD_MESSAGE"),
        ('"ping"', "BAD_MESSAGE"),
        ('{"type": "subscribe"}', "UNKNOWN_TYPE"),
        ("{}", "UNKNOWN_TYPE"),
        ('{"type": "ping", "pad": "' + "x" * 5000 + '"}', "BAD_MESSAGE"),
    ],
)
async def test_a_bad_client_message_gets_an_error_and_the_socket_stays_open(game, text, code):
    socket, _ = await watch(game)

    await socket.send(text)
    error = await socket.receive_type("error")

    assert error["code"] == code
    assert error["message"]
    await socket.send('{"type": "ping"}')
    assert await socket.receive_type("pong") == {"type": "pong"}
    await socket.close()


async def test_a_flood_of_client_messages_is_refused_with_an_error(game):
    socket, _ = await watch(game)

    for _ in range(40):
        await socket.send('{"type": "ping"}')
    replies = [await socket.receive() for _ in range(40)]

    kinds = [reply["type"] for reply in replies if reply["type"] in ("pong", "error")]
    assert kinds.count("pong") >= 20
    assert {"type": "error", "code": "RATE_LIMITED", "message": "Too many messages; slow down."} in replies
    await socket.close()


async def test_a_reconnecting_client_gets_a_fresh_snapshot(game):
    first, _ = await watch(game)
    await first.close()
    player = await sync_to_async(UserFactory)(username="latecomer")
    await submit(player, game, 77)

    again, snapshot = await watch(game)

    assert snapshot["connections"] == 1
    assert [(entry["user"]["username"], entry["value"]) for entry in snapshot["leaderboard"]] == [("latecomer", 77)]
    await again.close()


@pytest.mark.parametrize("path", ["/ws/elsewhere/", "/ws/games/UPPER/", "/ws/games/arena"])
async def test_unknown_socket_paths_are_closed_with_4404(db, path):
    connected, socket = await open_socket(path)

    assert connected
    assert await socket.closed_with() == 4404
