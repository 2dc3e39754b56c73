"""CONTRACT §4 and §6: an archived game's leaderboard is a 404 on every path
under it, as is an unknown game's; an inactive game's is still served."""

import pytest

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
