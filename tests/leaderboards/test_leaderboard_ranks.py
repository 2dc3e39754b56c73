"""CONTRACT §6: one entry per player (their best by the game's order), ranked
1, 2, 3… without gaps or repeats, ties to whoever reached the value first."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, TestCase

from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import ALL_TIME_META, board, board_page, moment, standings, submit

pytestmark = pytest.mark.django_db

NOON = datetime(2031, 3, 5, 12, 0, tzinfo=UTC)  # a Wednesday, mid-month
LARGEST = 2**53 - 1


@pytest.fixture(autouse=True)
def _many_submissions_allowed(settings):
    settings.SCORE_RATE = "1000/m"


def test_ranks_run_from_one_to_n_without_gaps_or_repeats_even_with_tied_values():
    game = GameFactory()
    for player, value in zip(UserFactory.create_batch(8), [50, 70, 50, 90, 10, 70, 70, 30], strict=True):
        submit(game, player, value)

    assert [entry["rank"] for entry in board(game)] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_higher_is_better_game_ranks_the_highest_value_first():
    game = GameFactory(score_order="desc")
    low, high, middle = UserFactory.create_batch(3)
    submit(game, low, 3)
    submit(game, high, 300)
    submit(game, middle, 30)

    assert standings(board(game)) == [(1, high.username, 300), (2, middle.username, 30), (3, low.username, 3)]


def test_a_lower_is_better_game_ranks_the_lowest_value_first():
    game = GameFactory(score_order="asc")
    low, high, middle = UserFactory.create_batch(3)
    submit(game, low, 3)
    submit(game, high, 300)
    submit(game, middle, 30)

    assert standings(board(game)) == [(1, low.username, 3), (2, middle.username, 30), (3, high.username, 300)]


def test_a_player_appears_once_with_their_highest_value_in_a_higher_is_better_game():
    game = GameFactory(score_order="desc")
    player, other = UserFactory.create_batch(2)
    for value in (10, 50, 30):
        submit(game, player, value)
    submit(game, other, 40)

    assert standings(board(game)) == [(1, player.username, 50), (2, other.username, 40)]


def test_a_player_appears_once_with_their_lowest_value_in_a_lower_is_better_game():
    game = GameFactory(score_order="asc")
    player, other = UserFactory.create_batch(2)
    for value in (30, 10, 20):
        submit(game, player, value)
    submit(game, other, 15)

    assert standings(board(game)) == [(1, player.username, 10), (2, other.username, 15)]


@pytest.mark.parametrize(("order", "expected"), [("desc", [7, 0, -5]), ("asc", [-5, 0, 7])])
def test_zero_and_negative_values_rank_by_the_games_order(order, expected):
    game = GameFactory(score_order=order)
    for player, value in zip(UserFactory.create_batch(3), [0, -5, 7], strict=True):
        submit(game, player, value)

    assert [entry["value"] for entry in board(game)] == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("desc", [LARGEST, LARGEST - 1, -LARGEST + 1, -LARGEST]),
        ("asc", [-LARGEST, -LARGEST + 1, LARGEST - 1, LARGEST]),
    ],
)
def test_values_at_the_limits_of_the_contract_rank_apart_and_read_back_exactly(order, expected):
    game = GameFactory(score_order=order)
    values = [-LARGEST + 1, LARGEST, -LARGEST, LARGEST - 1]
    for player, value in zip(UserFactory.create_batch(4), values, strict=True):
        submit(game, player, value)

    entries = board(game)

    assert [entry["value"] for entry in entries] == expected
    assert [entry["rank"] for entry in entries] == [1, 2, 3, 4]


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_a_tie_goes_to_the_player_who_reached_the_value_first(order):
    game = GameFactory(score_order=order)
    signed_up_first, signed_up_later = UserFactory.create_batch(2)
    with time_machine.travel(NOON, tick=False) as traveller:
        submit(game, signed_up_later, 100)
        traveller.shift(timedelta(seconds=1))
        submit(game, signed_up_first, 100)

    assert standings(board(game)) == [(1, signed_up_later.username, 100), (2, signed_up_first.username, 100)]


def test_a_tie_one_microsecond_apart_goes_to_the_earlier_player():
    game = GameFactory()
    signed_up_first, signed_up_later = UserFactory.create_batch(2)
    with time_machine.travel(NOON, tick=False) as traveller:
        submit(game, signed_up_later, 100)
        traveller.shift(timedelta(microseconds=1))
        submit(game, signed_up_first, 100)

    entries = board(game)

    assert [entry["user"]["username"] for entry in entries] == [signed_up_later.username, signed_up_first.username]
    assert moment(entries[1]["achievedAt"]) - moment(entries[0]["achievedAt"]) == timedelta(microseconds=1)


def test_a_later_equal_value_keeps_the_first_achieved_at_and_the_rank_it_earned():
    game = GameFactory()
    first, second = UserFactory.create_batch(2)
    with time_machine.travel(NOON, tick=False) as traveller:
        submit(game, first, 100)
        traveller.shift(timedelta(minutes=1))
        submit(game, second, 100)
        traveller.shift(timedelta(minutes=1))
        submit(game, first, 100)

    entries = board(game)

    assert standings(entries) == [(1, first.username, 100), (2, second.username, 100)]
    assert moment(entries[0]["achievedAt"]) == NOON


def test_a_later_worse_value_leaves_the_entry_unchanged():
    game = GameFactory()
    player = UserFactory()
    with time_machine.travel(NOON, tick=False) as traveller:
        submit(game, player, 100)
        traveller.shift(timedelta(minutes=1))
        submit(game, player, 99)

    [entry] = board(game)

    assert (entry["value"], moment(entry["achievedAt"])) == (100, NOON)


def test_achieved_at_is_when_the_best_was_first_reached_in_utc():
    game = GameFactory()
    player = UserFactory()
    with time_machine.travel(NOON, tick=False) as traveller:
        submit(game, player, 10)
        traveller.shift(timedelta(seconds=90, microseconds=250))
        improved = submit(game, player, 20)
        traveller.shift(timedelta(seconds=90))
        submit(game, player, 15)

    [entry] = board(game)

    assert entry["achievedAt"].endswith("Z")
    assert moment(entry["achievedAt"]) == NOON + timedelta(seconds=90, microseconds=250)
    assert moment(entry["achievedAt"]) == moment(improved["score"]["createdAt"])


def test_an_entry_is_rank_user_value_and_achieved_at():
    game = GameFactory()
    player = UserFactory()
    submit(game, player, 42)

    [entry] = board(game)

    assert set(entry) == {"rank", "user", "value", "subscore", "achievedAt"}
    assert entry["subscore"] is None
    assert entry["user"] == {"id": player.pk, "username": player.username}
    assert (entry["rank"], entry["value"]) == (1, 42)


def test_a_game_without_scores_has_an_empty_board():
    body = board_page(GameFactory())

    assert body["success"] is True
    assert body["data"] == []
    assert body["meta"] == {
        "page": 1,
        "limit": 20,
        "total": 0,
        "pages": 0,
        "hasNext": False,
        "hasPrev": False,
        **ALL_TIME_META,
    }


def test_scores_in_another_game_stay_off_the_board():
    game, other_game = GameFactory.create_batch(2)
    here, elsewhere = UserFactory.create_batch(2)
    submit(game, here, 5)
    submit(other_game, elsewhere, 500)

    assert standings(board(game)) == [(1, here.username, 5)]


def test_a_player_deleted_by_an_operator_leaves_the_board_without_a_gap(operator):
    game = GameFactory()
    first, leaving, third = UserFactory.create_batch(3)
    for player, value in ((first, 30), (leaving, 20), (third, 10)):
        submit(game, player, value)
    assert len(board(game)) == 3  # the board is built (and cached) before the deletion

    admin = Client()
    admin.force_login(operator)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin.post(f"/admin/accounts/user/{leaving.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    body = board_page(game, limit=100)
    assert standings(body["data"]) == [(1, first.username, 30), (2, third.username, 10)]
    assert body["meta"]["total"] == 2
