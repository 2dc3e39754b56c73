"""Boards on the socket (CONTRACT §7 and §9): `board` in `score` and
`leaderboard` messages, and `?board=KEY` for another board's top 10."""

import pytest
from asgiref.sync import sync_to_async

from tests.boards.boards import board_url
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory
from tests.realtime.conftest import open_socket, watch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


@sync_to_async
def make_board(game, **fields):
    response = bearer_client(game.owner).post(f"/api/v1/games/{game.slug}/boards/", fields)
    assert response.status_code == 201, response.content
    return response.json()["data"]["key"]


@sync_to_async
def post_score(user, game, key, value):
    response = bearer_client(user).post(board_url(game, key, "scores/"), {"value": value})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def top(message) -> list[tuple[int, int]]:
    return [(entry["rank"], entry["value"]) for entry in message["leaderboard"]]


async def test_a_socket_on_a_board_gets_its_top_ten_and_every_score_of_the_game(game):
    key = await make_board(game, name="Laps", operator="sum")
    player = await sync_to_async(UserFactory)()
    await post_score(player, game, key, 7)

    on_board, snapshot = await watch(game, board=key)
    on_default, default_snapshot = await watch(game)
    assert top(snapshot) == [(1, 7)]
    assert top(default_snapshot) == []

    await post_score(player, game, key, 5)
    for socket in (on_board, on_default):
        message = await socket.receive_type("score")
        assert (message["board"], message["score"]["board"], message["score"]["value"]) == (key, key, 5)
    board_top = await on_board.receive_type("leaderboard")
    assert (board_top["board"], top(board_top)) == (key, [(1, 12)])
    # The default board's watchers are not sent another board's top 10.
    assert all(message["type"] != "leaderboard" for message in await on_default.drain())

    await post_score(player, game, "default", 3)
    default_top = await on_default.receive_type("leaderboard")
    assert (default_top["board"], top(default_top)) == ("default", [(1, 3)])
    assert all(message["type"] != "leaderboard" for message in await on_board.drain())
    await on_board.close()
    await on_default.close()


@pytest.mark.parametrize("key", ["nope", "Bad Key", "x" * 65])
async def test_an_unknown_board_closes_the_socket_with_4404(game, key):
    connected, socket = await open_socket(f"/ws/games/{game.slug}/?board={key}")
    assert connected
    assert await socket.closed_with() == 4404


async def test_an_archived_board_closes_the_socket_with_4404(game):
    key = await make_board(game, name="Old")

    response = await sync_to_async(lambda: bearer_client(game.owner).delete(board_url(game, key)))()
    assert response.status_code == 204
    connected, socket = await open_socket(f"/ws/games/{game.slug}/?board={key}")
    assert connected
    assert await socket.closed_with() == 4404


async def test_a_total_rising_outside_the_top_ten_sends_none_and_one_falling_out_of_it_does(game):
    key = await make_board(game, name="Coins", operator="sum")
    players = [await sync_to_async(UserFactory)() for _ in range(11)]
    for place, player in enumerate(players):
        await post_score(player, game, key, 100 * (11 - place))  # 1,100 first … 100 eleventh
    on_board, _ = await watch(game, board=key)

    await post_score(players[10], game, key, 50)  # 150: still eleventh
    await post_score(players[9], game, key, -150)  # 200 down to 50: out of the top 10
    types = []
    while not types or types[-1] != "leaderboard":
        types.append((message := await on_board.receive())["type"])

    # Messages go out in order: a top 10 for the first score would come before the second.
    assert types == ["score", "score", "leaderboard"]
    assert [value for _, value in top(message)] == [1100, 1000, 900, 800, 700, 600, 500, 400, 300, 150]
