"""OWASP API1:2023 Broken Object Level Authorization.

A signed-in user reaches objects by id or slug in the URL; each test makes
sure that naming someone else's object does not make it theirs: another
owner's game, a score of another game or player, another player's rank."""

import pytest

from games.models import Game
from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(studio=True)


@pytest.fixture
def game(owner):
    return GameFactory(owner=owner, name="Owned", slug="owned")


@pytest.fixture
def stranger(db):
    """A Studio member too: allowed to create games, not to touch others'."""
    return UserFactory(studio=True)


def submit(user, game, value: int) -> dict:
    response = bearer_client(user).post(f"/api/v1/games/{game.slug}/scores/", {"value": value})
    assert response.status_code == 201, response.content
    return response.json()["data"]["score"]


def assert_forbidden(response):
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "FORBIDDEN"


# --- Games --------------------------------------------------------------------------


def test_another_users_patch_of_a_game_is_a_403_and_changes_nothing(game, stranger):
    response = bearer_client(stranger).patch(
        "/api/v1/games/owned/", {"name": "Hijacked", "description": "mine now", "isActive": False}
    )

    assert_forbidden(response)
    game.refresh_from_db()
    assert (game.name, game.description, game.is_active) == ("Owned", "", True)


def test_another_users_delete_of_a_game_is_a_403_and_the_game_stays_listed(game, stranger, api):
    response = bearer_client(stranger).delete("/api/v1/games/owned/")

    assert_forbidden(response)
    assert Game.objects.get(pk=game.pk).archived_at is None
    assert api.get("/api/v1/games/owned/").status_code == 200


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_an_anonymous_change_to_a_game_is_a_401(game, api, method):
    response = getattr(api, method)("/api/v1/games/owned/", {"name": "Anonymous"})

    assert response.status_code == 401
    game.refresh_from_db()
    assert game.name == "Owned"
    assert game.archived_at is None


def test_the_owner_may_change_their_own_game(game, owner):
    """The control for the refusals above: the owner is let through."""
    response = bearer_client(owner).patch("/api/v1/games/owned/", {"name": "Renamed"})

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Renamed"


def test_owning_one_game_gives_no_rights_over_another(game, stranger):
    GameFactory(owner=stranger, slug="theirs")

    assert_forbidden(bearer_client(stranger).patch("/api/v1/games/owned/", {"name": "Mine"}))
    assert_forbidden(bearer_client(stranger).delete("/api/v1/games/owned/"))


# --- Scores -------------------------------------------------------------------------


def test_a_player_cannot_delete_another_players_score(game, stranger):
    score = submit(UserFactory(), game, 100)

    response = bearer_client(stranger).delete(f"/api/v1/games/owned/scores/{score['id']}/")

    assert_forbidden(response)
    assert Score.objects.filter(pk=score["id"]).exists()


def test_a_player_cannot_delete_even_their_own_score(game):
    """Deleting is moderation (the game's owner or scores.delete_score), not a
    way for a player to erase a bad run."""
    player = UserFactory()
    score = submit(player, game, 100)

    response = bearer_client(player).delete(f"/api/v1/games/owned/scores/{score['id']}/")

    assert_forbidden(response)
    assert Score.objects.filter(pk=score["id"]).exists()


def test_an_anonymous_delete_of_a_score_is_a_401(game, api):
    score = submit(UserFactory(), game, 100)

    assert api.delete(f"/api/v1/games/owned/scores/{score['id']}/").status_code == 401
    assert Score.objects.filter(pk=score["id"]).exists()


def test_a_score_of_game_a_under_game_bs_url_is_not_found_for_bs_owner(game, stranger):
    """The owner of game B moderates B; naming A's score under B's URL must
    neither delete it nor reveal it."""
    score = submit(UserFactory(), game, 100)
    GameFactory(owner=stranger, slug="other")

    deleted = bearer_client(stranger).delete(f"/api/v1/games/other/scores/{score['id']}/")
    read = bearer_client(stranger).get(f"/api/v1/games/other/scores/{score['id']}/")

    assert deleted.status_code == 404
    assert deleted.json()["error"]["code"] == "NOT_FOUND"
    assert read.status_code == 404
    assert Score.objects.filter(pk=score["id"]).exists()


def test_a_moderator_cannot_delete_a_score_through_another_games_url(game):
    """Even a moderator (scores.delete_score everywhere) gets a 404 for a
    score id under the wrong game: the URL names the object exactly."""
    score = submit(UserFactory(), game, 100)
    GameFactory(slug="other")
    moderator = UserFactory(permissions=["scores.delete_score"])

    response = bearer_client(moderator).delete(f"/api/v1/games/other/scores/{score['id']}/")

    assert response.status_code == 404
    assert Score.objects.filter(pk=score["id"]).exists()


def test_the_games_owner_moderates_scores_of_their_own_game_only(game, owner):
    mine = submit(UserFactory(), game, 100)
    elsewhere = GameFactory(slug="elsewhere")
    theirs = submit(UserFactory(), elsewhere, 100)

    assert bearer_client(owner).delete(f"/api/v1/games/owned/scores/{mine['id']}/").status_code == 204
    assert_forbidden(bearer_client(owner).delete(f"/api/v1/games/elsewhere/scores/{theirs['id']}/"))
    assert Score.objects.filter(pk=theirs["id"]).exists()


def test_a_score_deleted_under_another_games_url_stays_on_its_leaderboard(game, stranger, api):
    player = UserFactory()
    score = submit(player, game, 100)
    GameFactory(owner=stranger, slug="other")

    bearer_client(stranger).delete(f"/api/v1/games/other/scores/{score['id']}/")

    board = api.get("/api/v1/games/owned/leaderboard/").json()["data"]
    assert [(entry["user"]["id"], entry["value"]) for entry in board] == [(player.pk, 100)]


# --- leaderboard/me -----------------------------------------------------------------


def test_leaderboard_me_shows_the_callers_own_entry(game):
    me, rival = UserFactory(), UserFactory()
    submit(rival, game, 500)
    submit(me, game, 100)

    data = bearer_client(me).get("/api/v1/games/owned/leaderboard/me/").json()["data"]

    assert data["entry"]["user"] == {"id": me.pk, "username": me.username}
    assert data["entry"]["value"] == 100
    assert data["entry"]["rank"] == 2


@pytest.mark.parametrize("query", ["user={username}", "userId={id}", "user_id={id}", "username={username}"])
def test_leaderboard_me_ignores_attempts_to_name_another_player(game, query):
    me, rival = UserFactory(), UserFactory()
    submit(rival, game, 500)
    submit(me, game, 100)

    path = "/api/v1/games/owned/leaderboard/me/?" + query.format(username=rival.username, id=rival.pk)
    response = bearer_client(me).get(path)

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["data"]["entry"]["user"]["id"] == me.pk


def test_leaderboard_me_is_empty_for_a_caller_without_scores_whoever_else_has_some(game):
    submit(UserFactory(), game, 500)
    newcomer = UserFactory()

    data = bearer_client(newcomer).get("/api/v1/games/owned/leaderboard/me/").json()["data"]

    assert data == {"entry": None, "around": []}


def test_leaderboard_me_needs_a_signed_in_caller(game, api):
    submit(UserFactory(), game, 500)

    response = api.get("/api/v1/games/owned/leaderboard/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
