"""`score` and `leaderboard` messages (CONTRACT §7), sent after the commit."""

import pytest
from asgiref.sync import sync_to_async

from games.services import set_game_active
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory
from tests.realtime.conftest import watch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def game(db):
    return GameFactory(slug="arena", max_score=1000)


@sync_to_async
def post_score(user, game, value):
    return bearer_client(user).post(f"/api/v1/games/{game.slug}/scores/", {"value": value})


@sync_to_async
def delete_score(user, game, score_id):
    return bearer_client(user).delete(f"/api/v1/games/{game.slug}/scores/{score_id}/")


async def test_every_accepted_score_is_broadcast_with_the_full_score_and_rank(game):
    watcher, _ = await watch(game)
    player = await sync_to_async(UserFactory)(username="ada")

    response = await post_score(player, game, 500)
    message = await watcher.receive_type("score")

    data = response.json()["data"]
    assert message == {
        "type": "score",
        "game": "arena",
        "board": "default",
        "score": data["score"],
        "rank": data["rank"],
        # What happened to the player's best, as the 201 says it.
        "personalBest": data["personalBest"],
        "previousBest": data["previousBest"],
    }
    assert set(message["score"]) == {"id", "game", "board", "user", "value", "subscore", "metadata", "createdAt"}
    await watcher.close()


async def test_a_new_best_in_the_top_ten_broadcasts_the_new_top_ten(game):
    watcher, _ = await watch(game)
    first, second = await sync_to_async(UserFactory.create_batch)(2)

    await post_score(first, game, 100)
    await post_score(second, game, 200)
    boards = [await watcher.receive_type("leaderboard") for _ in range(2)]

    assert [(entry["rank"], entry["value"]) for entry in boards[-1]["leaderboard"]] == [(1, 200), (2, 100)]
    await watcher.close()


async def test_a_score_that_does_not_beat_the_players_best_says_so(game):
    watcher, _ = await watch(game)
    player = await sync_to_async(UserFactory)()
    await post_score(player, game, 900)
    await watcher.receive_type("score")

    await post_score(player, game, 100)
    message = await watcher.receive_type("score")

    assert (message["score"]["value"], message["personalBest"], message["previousBest"]) == (100, False, 900)
    await watcher.close()


async def test_a_score_that_leaves_the_top_ten_alone_sends_no_leaderboard(game):
    players = await sync_to_async(UserFactory.create_batch)(11)
    for value, player in enumerate(players[:10], start=1):
        await post_score(player, game, value * 10)
    watcher, _ = await watch(game)
    await watcher.drain()  # broadcasts of those ten still on their way when it joined

    await post_score(players[10], game, 5)  # 11th
    await post_score(players[0], game, 1)  # not a personal best
    messages = []
    while [message["type"] for message in messages].count("score") < 2:  # however slowly they come
        messages.append(await watcher.receive())
    messages += await watcher.drain()  # and anything that follows them

    assert [message["type"] for message in messages if message["type"] != "player_count"] == ["score", "score"]
    await watcher.close()


async def test_refused_submissions_broadcast_nothing(game):
    watcher, _ = await watch(game)
    player = await sync_to_async(UserFactory)()

    assert (await post_score(player, game, 5000)).status_code == 400  # above maxScore
    await sync_to_async(set_game_active)(game=game, active=False)
    assert (await post_score(player, game, 5)).status_code == 409

    assert [message for message in await watcher.drain(quiet=0.8) if message["type"] != "player_count"] == []
    await watcher.close()


async def test_moderation_broadcasts_the_recomputed_top_ten(game):
    cheater, honest = await sync_to_async(UserFactory.create_batch)(2)
    await post_score(honest, game, 10)
    cheat = (await post_score(cheater, game, 999)).json()["data"]["score"]["id"]
    watcher, _ = await watch(game)
    await watcher.drain()  # broadcasts of those two still on their way when it joined

    assert (await delete_score(game.owner, game, cheat)).status_code == 204
    board = await watcher.receive_type("leaderboard")

    assert [(entry["user"]["id"], entry["value"]) for entry in board["leaderboard"]] == [(honest.pk, 10)]
    await watcher.close()


async def test_sockets_of_another_game_hear_nothing(game):
    other = await sync_to_async(GameFactory)(slug="other")
    elsewhere, _ = await watch(other)
    player = await sync_to_async(UserFactory)()

    await post_score(player, game, 10)

    assert [message for message in await elsewhere.drain(quiet=0.8) if message["type"] != "player_count"] == []
    await elsewhere.close()
