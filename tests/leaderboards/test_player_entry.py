"""CONTRACT §6: `GET leaderboard/users/{username}/?period` — one player's entry."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import board, player_url, read, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _many_submissions_allowed(settings):
    settings.SCORE_RATE = "1000/m"


def test_a_players_entry_is_their_entry_on_the_leaderboard():
    game = GameFactory()
    leader, player = UserFactory.create_batch(2)
    submit(game, leader, 50)
    submit(game, player, 20)
    submit(game, player, 30)

    response = read(player_url(game, player.username))

    assert response.status_code == 200
    assert response.json()["data"] == board(game)[1]


@pytest.mark.parametrize("spell", [str.upper, str.title, str.swapcase])
def test_a_players_entry_is_found_by_their_username_in_any_case(spell):
    game = GameFactory()
    player = UserFactory(username="Night_Owl-7")
    submit(game, player, 20)

    response = read(player_url(game, spell(player.username)))

    assert response.status_code == 200
    assert response.json()["data"]["user"] == {"id": player.pk, "username": "Night_Owl-7"}


def test_a_player_without_a_score_in_this_game_is_a_404():
    game, other_game = GameFactory.create_batch(2)
    player = UserFactory()
    submit(other_game, player, 20)

    response = read(player_url(game, player.username))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_an_unknown_player_is_a_404():
    game = GameFactory()
    submit(game, UserFactory(), 20)

    response = read(player_url(game, "nobody_at_all"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_player_without_a_score_in_the_period_is_a_404_there():
    game = GameFactory()
    player = UserFactory()
    with time_machine.travel(datetime(2031, 3, 4, 12, tzinfo=UTC), tick=False) as traveller:
        submit(game, player, 10)
        traveller.move_to(datetime(2031, 3, 5, 12, tzinfo=UTC))
        today = read(player_url(game, player.username), period="day")
        this_week = read(player_url(game, player.username), period="week")

    assert today.status_code == 404
    assert (this_week.status_code, this_week.json()["data"]["value"]) == (200, 10)
