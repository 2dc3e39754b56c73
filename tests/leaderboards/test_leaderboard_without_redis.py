"""CONTRACT §6: a leaderboard read stays correct and available when Redis
loses its data or is down (served from PostgreSQL, the source of truth), and
Redis is rebuilt from PostgreSQL. Each test has a Redis server of its own."""

import socket
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scores.models import Score
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import (
    board,
    me_url,
    player_url,
    post_score,
    read,
    redis_key,
    standings,
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

PERIODS = ["all", "day", "week", "month"]
TUESDAY = datetime(2031, 3, 4, 12, tzinfo=UTC)
WEDNESDAY = datetime(2031, 3, 5, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _many_submissions_allowed(settings):
    settings.SCORE_RATE = "1000/m"


@pytest.fixture
def traveller():
    """A running clock, far from any period boundary."""
    with time_machine.travel(TUESDAY) as traveller:
        yield traveller


@pytest.fixture
def played(private_redis, traveller):
    """A game whose boards differ by period (yesterday's scores, a tie, a
    player who improved), read once so that Redis holds every board."""
    game = GameFactory()
    players = UserFactory.create_batch(5)
    for player, value in zip(players, [40, 70, 70, 10, 55], strict=True):
        submit(game, player, value)
    traveller.move_to(WEDNESDAY)
    for player, value in zip(players[:3], [20, 80, 5], strict=True):
        submit(game, player, value)
    submit(game, players[3], 55)
    every_read(game, players)
    with private_redis.client() as client:
        assert client.exists(redis_key(game, "all"))
    return game, players


def every_read(game, players) -> dict:
    """Every board, every player's own view (radius 2) and every player's entry,
    in each period."""
    seen = {}
    for period in PERIODS:
        seen["board", period] = board(game, period=period)
        for player in players:
            seen["me", period, player.pk] = read(me_url(game), player, period=period, radius=2).json()
            seen["player", period, player.pk] = read(player_url(game, player.username), period=period).json()
    return seen


@contextmanager
def redis_unreachable(settings):
    """Redis stops answering for a while (a network partition), then comes
    back with the data it had."""
    live_url, live_caches = settings.REDIS_URL, settings.CACHES
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    settings.REDIS_URL = nowhere
    settings.CACHES = {"default": {**live_caches["default"], "LOCATION": nowhere}}
    try:
        yield
    finally:
        settings.REDIS_URL, settings.CACHES = live_url, live_caches


def test_every_read_is_the_same_after_redis_is_flushed(played, private_redis):
    game, players = played
    before = every_read(game, players)

    with private_redis.client() as client:
        client.flushall()

    assert every_read(game, players) == before


@pytest.mark.parametrize("period", PERIODS)
def test_the_next_read_rebuilds_a_flushed_board_in_redis(played, private_redis, period):
    game, _players = played
    key = redis_key(game, period)
    with private_redis.client() as client:
        client.flushall()
        assert not client.exists(key)

        entries = board(game, period=period)

        assert client.zcard(key) == len(entries) > 0


def test_a_score_submitted_after_a_flush_joins_the_whole_board(played, private_redis):
    game, _players = played
    before = standings(board(game))
    newcomer = UserFactory()
    with private_redis.client() as client:
        client.flushall()

    submit(game, newcomer, 1)

    assert standings(board(game)) == [*before, (len(before) + 1, newcomer.username, 1)]


def test_every_read_is_the_same_with_redis_stopped(played, private_redis):
    game, players = played
    before = every_read(game, players)

    private_redis.stop()

    assert every_read(game, players) == before


def test_a_score_is_accepted_and_stored_with_redis_stopped(played, private_redis):
    game, players = played
    private_redis.stop()

    response = post_score(game, players[0], 99)

    assert response.status_code == 201
    assert Score.objects.filter(game=game, user=players[0], value=99).exists()


def test_a_score_accepted_with_redis_stopped_is_on_the_next_read(played, private_redis):
    game, players = played
    private_redis.stop()

    rank = submit(game, players[4], 99)["rank"]

    assert standings(board(game))[0] == (1, players[4].username, 99)
    assert rank == 1


def test_a_score_accepted_while_redis_was_unreachable_is_on_my_entry_when_it_answers_again(played, settings):
    game, _players = played
    newcomer = UserFactory()
    with redis_unreachable(settings):
        submit(game, newcomer, 1_000)

    entry = read(me_url(game), newcomer, radius=0).json()["data"]["entry"]

    assert entry is not None
    assert (entry["rank"], entry["value"]) == (1, 1_000)


def test_a_score_accepted_while_redis_was_unreachable_is_on_the_top_page_when_it_answers_again(played, settings):
    game, _players = played
    newcomer = UserFactory()
    with redis_unreachable(settings):
        submit(game, newcomer, 1_000)

    assert standings(board(game))[0] == (1, newcomer.username, 1_000)


def test_reads_with_redis_stopped_follow_the_clock_into_a_new_day(played, private_redis, traveller):
    game, players = played
    private_redis.stop()
    traveller.shift(timedelta(days=1))

    submit(game, players[3], 3)

    assert standings(board(game, period="day")) == [(1, players[3].username, 3)]
