"""CONTRACT §2 lists and §6 boards: pages deep into a board of 120 players,
their `meta`, and the page/limit rules."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import (
    ALL_TIME_META,
    board,
    board_page,
    leaderboard_url,
    page_meta,
    read,
    refused_field,
    standings,
    submit,
)

pytestmark = pytest.mark.django_db

PLAYERS = 120


@pytest.fixture(autouse=True)
def _far_from_midnight():
    """A running clock that no period boundary crosses during the test."""
    with time_machine.travel(datetime(2031, 3, 5, 12, tzinfo=UTC)):
        yield


@pytest.fixture
def crowded_game(settings):
    """A game with 120 players whose values rank them in reverse sign-up
    order; returns the game and the expected (rank, username, value)."""
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    players = UserFactory.create_batch(PLAYERS)
    for index, player in enumerate(players):
        submit(game, player, 1_000 + index)
    ranked = sorted(zip(players, range(1_000, 1_000 + PLAYERS), strict=True), key=lambda pair: -pair[1])
    return game, [(rank, player.username, value) for rank, (player, value) in enumerate(ranked, start=1)]


@pytest.mark.parametrize("period", ["all", "day"])
def test_page_three_of_fifty_holds_ranks_101_to_120(crowded_game, period):
    game, expected = crowded_game

    body = board_page(game, period=period, page=3, limit=50)

    assert standings(body["data"]) == expected[100:120]
    meta = {"page": 3, "limit": 50, "total": 120, "pages": 3, "hasNext": False, "hasPrev": True}
    assert page_meta(body["meta"]) == meta


def test_page_two_of_fifty_holds_ranks_51_to_100(crowded_game):
    game, expected = crowded_game

    body = board_page(game, page=2, limit=50)

    assert standings(body["data"]) == expected[50:100]
    meta = {"page": 2, "limit": 50, "total": 120, "pages": 3, "hasNext": True, "hasPrev": True}
    assert page_meta(body["meta"]) == meta


def test_a_page_past_the_end_is_an_empty_200_with_true_meta(crowded_game):
    game, _expected = crowded_game

    body = board_page(game, page=4, limit=50)

    assert body["success"] is True
    assert body["data"] == []
    meta = {"page": 4, "limit": 50, "total": 120, "pages": 3, "hasNext": False, "hasPrev": True}
    assert page_meta(body["meta"]) == meta


def test_walking_every_page_lists_each_player_once_in_rank_order(crowded_game):
    game, expected = crowded_game

    walked = []
    for page in range(1, 19):
        body = board_page(game, page=page, limit=7)
        assert body["meta"]["hasNext"] is (page < 18)
        walked += standings(body["data"])

    assert walked == expected


def test_the_first_page_holds_twenty_entries_by_default(crowded_game):
    game, expected = crowded_game

    body = board_page(game)

    assert standings(body["data"]) == expected[:20]
    assert body["meta"] == {
        "page": 1,
        "limit": 20,
        "total": 120,
        "pages": 6,
        "hasNext": True,
        "hasPrev": False,
        **ALL_TIME_META,
    }


def test_a_new_score_shows_on_the_deepest_cached_page(crowded_game, user):
    game, expected = crowded_game
    assert standings(board(game, page=2, limit=50)) == expected[50:100]

    submit(game, user, expected[74][2])  # ties rank 75, reached last: 76th

    entries = board(game, page=2, limit=50)
    assert entries[25]["rank"] == 76
    assert entries[25]["user"]["username"] == user.username


def test_a_new_score_shows_on_a_page_past_the_cached_depth(crowded_game, user):
    game, expected = crowded_game
    assert standings(board(game, page=3, limit=50)) == expected[100:120]

    submit(game, user, 0)

    body = board_page(game, page=3, limit=50)
    assert standings(body["data"])[-1] == (121, user.username, 0)
    assert body["meta"]["total"] == 121


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("page", "0"), ("page", "-1"), ("page", "x"), ("page", "1.5"), ("limit", "0"), ("limit", "101"), ("limit", "")],
)
def test_a_bad_page_or_limit_is_a_400_naming_it(parameter, value):
    game = GameFactory()

    assert refused_field(read(leaderboard_url(game), **{parameter: value})) == parameter


def test_a_limit_of_one_hundred_is_accepted(crowded_game):
    game, expected = crowded_game

    body = board_page(game, limit=100)

    assert standings(body["data"]) == expected[:100]
    assert body["meta"]["pages"] == 2
