"""DELETE /api/v1/games/{slug}/scores/{id}/: the game's owner or a moderator removes a score (CONTRACT §5, §6)."""

import pytest

from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

SCORES = "/api/v1/games/pong/scores/"


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def game(owner):
    return GameFactory(slug="pong", owner=owner)


@pytest.fixture
def player(db):
    return UserFactory(username="ada")


@pytest.fixture
def as_player(player):
    return bearer_client(player)


@pytest.fixture
def moderator(db):
    return bearer_client(UserFactory(permissions=["scores.delete_score"]))


def post_score(client, value: int, slug: str = "pong") -> int:
    response = client.post(f"/api/v1/games/{slug}/scores/", {"value": value})
    assert response.status_code == 201, response.content
    return response.json()["data"]["score"]["id"]


def entry_of(client, username: str, period: str = "all"):
    return client.get(f"/api/v1/games/pong/leaderboard/users/{username}/", {"period": period})


def test_the_games_owner_deletes_a_score_with_a_204(api, owner, game, as_player):
    score_id = post_score(as_player, 10)

    response = bearer_client(owner).delete(f"{SCORES}{score_id}/")

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(SCORES).json()["data"] == []
    assert not Score.objects.exists()


def test_a_moderator_with_delete_score_deletes_a_score_in_any_game(moderator, game, as_player):
    score_id = post_score(as_player, 10)

    assert moderator.delete(f"{SCORES}{score_id}/").status_code == 204
    assert not Score.objects.exists()


def test_another_player_cannot_delete_a_score(signed_in, game, as_player):
    score_id = post_score(as_player, 10)

    response = signed_in.delete(f"{SCORES}{score_id}/")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert "scores.delete_score" in error["message"]
    assert Score.objects.filter(pk=score_id).exists()


def test_a_player_cannot_delete_their_own_score(game, as_player):
    score_id = post_score(as_player, 10)

    assert as_player.delete(f"{SCORES}{score_id}/").status_code == 403
    assert Score.objects.filter(pk=score_id).exists()


def test_the_owner_of_another_game_cannot_delete_a_score_here(game, as_player):
    other_owner = UserFactory()
    GameFactory(slug="tetris", owner=other_owner)
    score_id = post_score(as_player, 10)

    assert bearer_client(other_owner).delete(f"{SCORES}{score_id}/").status_code == 403


def test_an_anonymous_visitor_cannot_delete_a_score(api, game, as_player):
    score_id = post_score(as_player, 10)

    response = api.delete(f"{SCORES}{score_id}/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert Score.objects.filter(pk=score_id).exists()


def test_a_score_in_an_inactive_game_can_still_be_moderated(owner, game, as_player):
    score_id = post_score(as_player, 10)
    as_owner = bearer_client(owner)
    assert as_owner.patch("/api/v1/games/pong/", {"isActive": False}).status_code == 200

    assert as_owner.delete(f"{SCORES}{score_id}/").status_code == 204
    assert not Score.objects.exists()


def test_deleting_an_unknown_score_is_a_404(owner, game):
    response = bearer_client(owner).delete(f"{SCORES}999999/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_score_cannot_be_deleted_through_another_games_path(owner, game, as_player):
    GameFactory(slug="tetris", owner=owner)
    score_id = post_score(as_player, 10, "tetris")

    assert bearer_client(owner).delete(f"{SCORES}{score_id}/").status_code == 404
    assert Score.objects.filter(pk=score_id).exists()


def test_deleting_a_score_twice_is_a_404_the_second_time(owner, game, as_player):
    score_id = post_score(as_player, 10)
    as_owner = bearer_client(owner)

    assert as_owner.delete(f"{SCORES}{score_id}/").status_code == 204
    assert as_owner.delete(f"{SCORES}{score_id}/").status_code == 404


def test_deleting_a_players_best_shows_their_next_best_on_the_leaderboard(api, moderator, game, as_player):
    best = post_score(as_player, 90)
    post_score(as_player, 40)
    post_score(as_player, 70)
    assert entry_of(api, "ada").json()["data"]["value"] == 90  # the entry is read, and cached, first

    moderator.delete(f"{SCORES}{best}/")

    response = entry_of(api, "ada")
    assert response.status_code == 200
    assert response.json()["data"]["value"] == 70


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_deleting_a_players_best_recomputes_the_current_period_boards_too(api, moderator, game, as_player, period):
    best = post_score(as_player, 90)
    post_score(as_player, 70)
    assert entry_of(api, "ada", period).json()["data"]["value"] == 90

    moderator.delete(f"{SCORES}{best}/")

    assert entry_of(api, "ada", period).json()["data"]["value"] == 70


def test_deleting_a_players_only_score_removes_their_entry(api, moderator, game, as_player):
    only = post_score(as_player, 90)
    assert entry_of(api, "ada").status_code == 200

    moderator.delete(f"{SCORES}{only}/")

    response = entry_of(api, "ada")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert api.get("/api/v1/games/pong/leaderboard/").json()["data"] == []


def test_deleting_a_leaders_best_reranks_the_board(api, moderator, game, as_player):
    other = bearer_client(UserFactory(username="bob"))
    cheat = post_score(as_player, 1000)
    post_score(as_player, 10)
    post_score(other, 50)
    assert [e["user"]["username"] for e in api.get("/api/v1/games/pong/leaderboard/").json()["data"]] == ["ada", "bob"]

    moderator.delete(f"{SCORES}{cheat}/")

    board = api.get("/api/v1/games/pong/leaderboard/").json()["data"]
    assert [(e["rank"], e["user"]["username"], e["value"]) for e in board] == [(1, "bob", 50), (2, "ada", 10)]


def test_deleting_a_score_that_was_not_the_best_leaves_the_entry(api, moderator, game, as_player):
    post_score(as_player, 90)
    worse = post_score(as_player, 40)

    moderator.delete(f"{SCORES}{worse}/")

    assert entry_of(api, "ada").json()["data"]["value"] == 90
    assert [s["value"] for s in api.get(SCORES).json()["data"]] == [90]


def test_after_moderation_the_next_submission_reports_the_recomputed_previous_best(moderator, game, as_player):
    best = post_score(as_player, 90)
    post_score(as_player, 40)
    moderator.delete(f"{SCORES}{best}/")

    data = as_player.post(SCORES, {"value": 60}).json()["data"]

    assert (data["personalBest"], data["previousBest"], data["rank"]) == (True, 40, 1)


def test_after_moderation_an_ascending_games_next_best_is_the_lowest(api, moderator, owner, as_player):
    GameFactory(slug="pong", owner=owner, score_order="asc")
    best = post_score(as_player, 30)
    post_score(as_player, 80)
    post_score(as_player, 50)

    moderator.delete(f"{SCORES}{best}/")

    assert entry_of(api, "ada").json()["data"]["value"] == 50
