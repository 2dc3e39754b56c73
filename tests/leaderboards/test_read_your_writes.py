"""CONTRACT §5 read-your-writes, on the boards of §6: once the 201 is sent,
every leaderboard read includes the score, cached top pages included."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import (
    Accepted,
    as_read,
    board,
    delete,
    expected_entries,
    me_url,
    player_url,
    read,
    scores_url,
    submit,
)

pytestmark = pytest.mark.django_db

PERIODS = ["all", "day", "week", "month"]


@pytest.fixture(autouse=True)
def _many_submissions_allowed(settings):
    settings.SCORE_RATE = "1000/m"


@pytest.fixture(autouse=True)
def _far_from_midnight():
    """A running clock that no period boundary crosses during the test."""
    with time_machine.travel(datetime(2031, 3, 5, 12, tzinfo=UTC)):
        yield


def plan(players):
    first, second, third = players
    return [(first, 10), (second, 30), (first, 40), (third, 40), (second, 50), (first, 45), (third, 5), (first, 60)]


@pytest.mark.parametrize("period", PERIODS)
def test_the_top_page_read_right_after_each_201_includes_that_score(period):
    game = GameFactory()
    players = UserFactory.create_batch(3)
    accepted = []
    for player, value in plan(players):
        board(game, period=period)  # the top page is cached before each submission
        accepted.append(Accepted.from_201(submit(game, player, value)))

        assert as_read(board(game, period=period)) == expected_entries(accepted, order="desc")


@pytest.mark.parametrize("period", PERIODS)
def test_my_entry_read_right_after_each_201_includes_that_score(period):
    game = GameFactory()
    players = UserFactory.create_batch(3)
    accepted = []
    for player, value in plan(players):
        accepted.append(Accepted.from_201(submit(game, player, value)))
        expected = next(entry for entry in expected_entries(accepted, order="desc") if entry[1] == player.pk)

        entry = read(me_url(game), player, period=period, radius=0).json()["data"]["entry"]

        assert as_read([entry]) == [expected]


@pytest.mark.parametrize("period", PERIODS)
def test_a_players_entry_read_right_after_each_201_includes_that_score(period):
    game = GameFactory()
    players = UserFactory.create_batch(3)
    accepted = []
    for player, value in plan(players):
        accepted.append(Accepted.from_201(submit(game, player, value)))
        expected = next(entry for entry in expected_entries(accepted, order="desc") if entry[1] == player.pk)

        entry = read(player_url(game, player.username), period=period).json()["data"]

        assert as_read([entry]) == [expected]


def test_the_rank_in_each_201_is_the_rank_on_the_board_read_after_it():
    game = GameFactory()
    players = UserFactory.create_batch(3)
    for player, value in plan(players):
        rank = submit(game, player, value)["rank"]

        assert next(entry["rank"] for entry in board(game) if entry["user"]["id"] == player.pk) == rank


def test_a_first_score_shows_on_a_cached_empty_board():
    game = GameFactory()
    player = UserFactory()
    assert board(game) == []
    assert board(game) == []

    submit(game, player, 7)

    assert [entry["user"]["id"] for entry in board(game)] == [player.pk]


def test_a_moderated_best_leaves_the_cached_board_at_once():
    game = GameFactory()
    player, rival = UserFactory.create_batch(2)
    submit(game, player, 10)
    best = submit(game, player, 90)
    submit(game, rival, 50)
    assert [entry["value"] for entry in board(game)] == [90, 50]

    assert delete(f"{scores_url(game)}{best['score']['id']}/", game.owner).status_code == 204

    assert [(entry["user"]["id"], entry["value"]) for entry in board(game)] == [(rival.pk, 50), (player.pk, 10)]
