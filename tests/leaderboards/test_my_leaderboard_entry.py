"""CONTRACT §6: `GET leaderboard/me/?period&radius` — the signed-in player's
entry and the entries from rank - radius to rank + radius."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import board, me_url, read, refused_field, submit

pytestmark = pytest.mark.django_db

PLAYERS = 12


@pytest.fixture
def ranked_players(settings):
    """A game where the k-th of 12 players holds rank k; returns (game, players by rank)."""
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    players = UserFactory.create_batch(PLAYERS)
    for rank, player in enumerate(players, start=1):
        submit(game, player, 1_000 - rank)
    return game, players


def mine(game, player, **params) -> dict:
    response = read(me_url(game), player, **params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def ranks(entries: list[dict]) -> list[int]:
    return [entry["rank"] for entry in entries]


def test_me_returns_my_entry(ranked_players):
    game, players = ranked_players

    entry = mine(game, players[5])["entry"]

    assert entry["rank"] == 6
    assert entry["user"] == {"id": players[5].pk, "username": players[5].username}
    assert entry["value"] == 994


def test_me_returns_the_entries_within_the_radius_of_my_rank(ranked_players):
    game, players = ranked_players

    assert ranks(mine(game, players[5], radius=2)["around"]) == [4, 5, 6, 7, 8]


def test_the_entries_around_me_are_the_leaderboards_own(ranked_players):
    game, players = ranked_players

    around = mine(game, players[5], radius=2)["around"]

    assert around == board(game)[3:8]


def test_my_entry_is_the_leaderboards_own(ranked_players):
    game, players = ranked_players

    assert mine(game, players[5])["entry"] == board(game)[5]


def test_the_entries_around_me_stop_at_rank_one(ranked_players):
    game, players = ranked_players

    assert ranks(mine(game, players[1], radius=3)["around"]) == [1, 2, 3, 4, 5]


def test_the_entries_around_me_stop_at_the_last_rank(ranked_players):
    game, players = ranked_players

    assert ranks(mine(game, players[10], radius=3)["around"]) == [8, 9, 10, 11, 12]


def test_a_radius_of_zero_is_my_entry_alone(ranked_players):
    game, players = ranked_players

    data = mine(game, players[5], radius=0)

    assert data["around"] == [data["entry"]]


def test_a_radius_of_fifty_is_accepted_and_clipped_to_the_board(ranked_players):
    game, players = ranked_players

    assert ranks(mine(game, players[5], radius=50)["around"]) == list(range(1, PLAYERS + 1))


def test_the_radius_defaults_to_five(ranked_players):
    game, players = ranked_players

    assert ranks(mine(game, players[6])["around"]) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]


@pytest.mark.parametrize("radius", ["51", "-1", "x", "1.5", "", "5 ", "1e1", "100"])
def test_a_radius_outside_zero_to_fifty_is_a_400_naming_radius(radius, user):
    game = GameFactory()
    submit(game, user, 1)

    assert refused_field(read(me_url(game), user, radius=radius)) == "radius"


def test_me_without_credentials_is_a_401():
    response = read(me_url(GameFactory()))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_me_without_a_score_is_a_null_entry_and_nothing_around(ranked_players, user):
    game, _players = ranked_players

    assert mine(game, user) == {"entry": None, "around": []}


def test_me_without_a_score_in_the_period_is_a_null_entry_and_nothing_around(user):
    game = GameFactory()
    with time_machine.travel(datetime(2031, 3, 4, 12, tzinfo=UTC), tick=False) as traveller:
        submit(game, user, 10)
        traveller.move_to(datetime(2031, 3, 5, 12, tzinfo=UTC))
        today, this_week = mine(game, user, period="day"), mine(game, user, period="week")

    assert today == {"entry": None, "around": []}
    assert this_week["entry"]["value"] == 10


def test_me_ranks_a_lower_is_better_game_lowest_first(settings):
    settings.SCORE_RATE = "1000/m"
    game = GameFactory(score_order="asc")
    fast, slow, me = UserFactory.create_batch(3)
    submit(game, fast, 10)
    submit(game, slow, 30)
    submit(game, me, 20)

    data = mine(game, me, radius=1)

    assert data["entry"]["rank"] == 2
    assert [entry["user"]["username"] for entry in data["around"]] == [fast.username, me.username, slow.username]
