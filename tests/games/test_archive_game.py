"""DELETE /api/v1/games/{slug}/: the owner, or `games.delete_game`, archives a game (CONTRACT §4)."""

import pytest

from games.models import Game
from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

GAME = "/api/v1/games/pong/"


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def game(owner):
    return GameFactory(slug="pong", owner=owner)


@pytest.fixture
def as_owner(owner):
    return bearer_client(owner)


def test_the_owner_archives_their_game_with_a_204(as_owner, game):
    response = as_owner.delete(GAME)

    assert response.status_code == 204
    assert response.content == b""


def test_an_archived_game_is_a_404_on_its_page(api, as_owner, game):
    assert api.get(GAME).status_code == 200  # warm in the cache

    as_owner.delete(GAME)

    response = api.get(GAME)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_an_archived_game_is_hidden_from_the_list(api, as_owner, game):
    GameFactory(slug="tetris")

    as_owner.delete(GAME)

    response = api.get("/api/v1/games/")
    assert [listed["slug"] for listed in response.json()["data"]] == ["tetris"]
    assert response.json()["meta"]["total"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "scores/",
        "leaderboard/",
        "leaderboard/?period=day",
        "leaderboard/me/",
        "leaderboard/users/{username}/",
    ],
)
def test_every_read_under_an_archived_game_is_a_404(as_owner, owner, game, path):
    as_owner.post(GAME + "scores/", {"value": 5})
    path = GAME + path.format(username=owner.username)
    assert as_owner.get(path).status_code == 200

    as_owner.delete(GAME)

    response = as_owner.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_submissions_to_an_archived_game_are_a_404(as_owner, game):
    as_owner.post(GAME + "scores/", {"value": 5})

    as_owner.delete(GAME)

    assert as_owner.post(GAME + "scores/", {"value": 6}).status_code == 404
    assert Score.objects.count() == 1


def test_moderating_a_score_of_an_archived_game_is_a_404(as_owner, game):
    score_id = as_owner.post(GAME + "scores/", {"value": 5}).json()["data"]["score"]["id"]

    as_owner.delete(GAME)

    assert as_owner.delete(f"{GAME}scores/{score_id}/").status_code == 404


def test_an_archived_game_cannot_be_edited_or_archived_again(as_owner, game):
    as_owner.delete(GAME)

    assert as_owner.patch(GAME, {"name": "Back"}).status_code == 404
    assert as_owner.delete(GAME).status_code == 404


def test_archiving_keeps_the_game_and_its_scores(as_owner, game):
    as_owner.post(GAME + "scores/", {"value": 5})

    as_owner.delete(GAME)

    assert Game.objects.get(slug="pong").archived_at is not None
    assert Score.objects.filter(game__slug="pong").count() == 1


def test_a_user_with_delete_game_archives_any_game(game):
    archivist = bearer_client(UserFactory(permissions=["games.delete_game"]))

    assert archivist.delete(GAME).status_code == 204
    assert archivist.get(GAME).status_code == 404


def test_an_operator_archives_any_game(operator, game):
    assert bearer_client(operator).delete(GAME).status_code == 204


def test_a_player_who_is_not_the_owner_cannot_archive(api, signed_in, game):
    response = signed_in.delete(GAME)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert api.get(GAME).status_code == 200


def test_a_user_with_only_change_game_cannot_archive(api, game):
    editor = bearer_client(UserFactory(permissions=["games.change_game"]))

    response = editor.delete(GAME)

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only the game's owner, or an operator with the games.delete_game permission, may archive this game."
    )
    assert api.get(GAME).status_code == 200


def test_an_anonymous_visitor_cannot_archive(api, game):
    response = api.delete(GAME)

    assert response.status_code == 401
    assert api.get(GAME).status_code == 200


def test_archiving_an_unknown_game_is_a_404(as_owner, db):
    assert as_owner.delete("/api/v1/games/no-such-game/").status_code == 404
