"""Leaderboard reads while Redis is away (the circuit breaker open): no
process remembers games or boards then, so each read finds both in one
query and the entries in one more, and a change made meanwhile is seen by
the very next read, anonymous or signed in."""

import pytest
from django.db import connection

from accounts.services import issue_tokens
from config.circuit import redis_breaker
from games.services import archive_game
from scores.boards import archive_board, create_board
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import _shared_client, leaderboard_url, me_url, player_url, read, standings, submit

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def played(settings):
    settings.SCORE_RATE = "1000/m"
    game = GameFactory(slug="racer")
    players = UserFactory.create_batch(3)
    for value, player in zip((30, 10, 20), players, strict=True):
        submit(game, player, value)
    return game, players


@pytest.fixture
def redis_away():
    redis_breaker.failure(at_once=True)
    yield
    redis_breaker.reset()


def test_each_read_takes_one_query_for_the_game_and_board_and_one_for_the_entries(
    played, redis_away, django_assert_num_queries
):
    game, players = played
    names = [player.username for player in players]
    token = {"HTTP_AUTHORIZATION": f"Bearer {issue_tokens(user=players[2]).access}"}
    reads = {
        "page": lambda: read(leaderboard_url(game)),
        "entry": lambda: read(player_url(game, names[1])),
        "me": lambda: _shared_client().get(me_url(game), {"radius": 1}, **token),
    }
    for each in reads.values():  # the first read on a connection prepares its statement (config.prepared)
        each()

    with django_assert_num_queries(2):
        response = reads["page"]()
    assert standings(response.json()["data"]) == [(1, names[0], 30), (2, names[2], 20), (3, names[1], 10)]
    with django_assert_num_queries(2):
        entry = reads["entry"]().json()["data"]
    assert (entry["rank"], entry["value"]) == (3, 10)
    with django_assert_num_queries(3):  # and the player behind the token
        around = reads["me"]().json()["data"]
    assert [each["rank"] for each in around["around"]] == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_a_statement_the_session_lost_is_prepared_again(played, redis_away):
    """A pooler or an operator may DISCARD ALL: the read prepares its
    statement again rather than fail."""
    game, _players = played
    before = read(leaderboard_url(game))
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")

    after = read(leaderboard_url(game))

    assert (after.status_code, after.json()) == (200, before.json())


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_an_archived_game_or_board_is_gone_from_the_next_read(played, redis_away, signed_in):
    game, players = played
    as_user = players[0] if signed_in else None
    extra = create_board(game=game, key="laps", name="Laps")
    assert read(leaderboard_url(game), as_user).status_code == 200
    assert read(f"/api/v1/games/{game.slug}/boards/laps/leaderboard/", as_user).status_code == 200

    archive_board(board=extra)
    refused = read(f"/api/v1/games/{game.slug}/boards/laps/leaderboard/", as_user)
    assert (refused.status_code, refused.json()["error"]["message"]) == (404, "No such board.")

    archive_game(game=game)
    refused = read(leaderboard_url(game), as_user)
    assert (refused.status_code, refused.json()["error"]["message"]) == (404, "No such game.")
