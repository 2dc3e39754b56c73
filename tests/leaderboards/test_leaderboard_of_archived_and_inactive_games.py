"""CONTRACT §4 and §6: an archived game's leaderboard is a 404 on every path
under it, as is an unknown game's; an inactive game's is still served."""

import pytest
from django.test import Client, TestCase

from games.models import Game
from tests.conftest import bearer_client
from tests.factories import GameFactory
from tests.leaderboards.playing import board, delete, leaderboard_url, me_url, player_url, read, submit

pytestmark = pytest.mark.django_db

PATHS = {
    "board": lambda game, player: leaderboard_url(game),
    "me": lambda game, player: me_url(game),
    "player": lambda game, player: player_url(game, player.username),
}


@pytest.mark.parametrize("path", PATHS)
def test_an_archived_games_leaderboard_is_a_404(path, user):
    game = GameFactory()
    submit(game, user, 10)
    url = PATHS[path](game, user)
    assert read(url, user).status_code == 200  # the game is cached as live first

    assert delete(f"/api/v1/games/{game.slug}/", game.owner).status_code == 204
    response = read(url, user)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_games_leaderboard_is_a_404(path, user):
    game = GameFactory.build(slug="no-such-game")

    response = read(PATHS[path](game, user), user)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_an_inactive_games_leaderboard_is_still_served(user):
    game = GameFactory()
    submit(game, user, 10)
    response = bearer_client(game.owner).patch(f"/api/v1/games/{game.slug}/", {"isActive": False}, format="json")
    assert response.status_code == 200

    entries = board(game)

    assert [(entry["user"]["id"], entry["value"]) for entry in entries] == [(user.pk, 10)]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("period", ["all", "day"])
def test_a_cached_top_page_is_a_404_once_the_game_is_archived(user, signed_in, period):
    # Anonymous top pages are answered from the page cache by a fast path
    # that knows the game's id from an earlier read: archiving must reach it.
    game = GameFactory()
    submit(game, user, 10)
    reader = user if signed_in else None
    url = leaderboard_url(game)
    for _ in range(2):  # the first read fills the page cache, the second is served from it
        assert read(url, reader, period=period).status_code == 200

    assert delete(f"/api/v1/games/{game.slug}/", game.owner).status_code == 204

    response = read(url, reader, period=period)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_a_restored_games_board_is_served_again_with_its_entries(user, signed_in, operator):
    game = GameFactory()
    submit(game, user, 10)
    reader = user if signed_in else None
    read(leaderboard_url(game), reader)
    delete(f"/api/v1/games/{game.slug}/", game.owner)
    assert read(leaderboard_url(game), reader).status_code == 404

    admin = Client()
    admin.force_login(operator)
    changelist = "/admin/games/game/"
    with TestCase.captureOnCommitCallbacks(execute=True):  # as after the admin's commit in production
        response = admin.post(changelist, {"action": "restore", "_selected_action": [game.pk]})
    assert response.status_code == 302
    assert Game.objects.get(pk=game.pk).archived_at is None

    response = read(leaderboard_url(game), reader)
    assert response.status_code == 200
    assert [(entry["user"]["id"], entry["value"]) for entry in response.json()["data"]] == [(user.pk, 10)]
