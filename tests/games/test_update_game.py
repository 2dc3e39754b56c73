"""PATCH /api/v1/games/{slug}/: the owner, or `games.change_game`, edits a game (CONTRACT §4)."""

from datetime import datetime

import pytest
from django.utils import timezone

from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

GAME = "/api/v1/games/pong/"
SCORES = "/api/v1/games/pong/scores/"


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def game(owner):
    return GameFactory(slug="pong", name="Pong", owner=owner)


@pytest.fixture
def as_owner(owner):
    return bearer_client(owner)


def refused_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    return {detail["field"] for detail in response.json()["error"]["details"]}


def test_the_owner_edits_their_game(as_owner, game):
    response = as_owner.patch(GAME, {"name": "Pong Deluxe", "description": "Now in colour."})

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["description"]) == ("Pong Deluxe", "Now in colour.")
    assert data["slug"] == "pong"


def test_an_edit_moves_updated_at_forward(as_owner, game):
    before = as_owner.get(GAME).json()["data"]

    after = as_owner.patch(GAME, {"name": "Pong Deluxe"}).json()["data"]

    assert datetime.fromisoformat(after["updatedAt"]) > datetime.fromisoformat(before["updatedAt"])
    assert after["createdAt"] == before["createdAt"]


def test_an_edit_is_seen_by_the_next_read(api, as_owner, game):
    assert api.get(GAME).json()["data"]["name"] == "Pong"

    as_owner.patch(GAME, {"name": "Pong Deluxe"})

    assert api.get(GAME).json()["data"]["name"] == "Pong Deluxe"


def test_a_patch_changes_only_the_fields_it_names(as_owner, game):
    as_owner.patch(GAME, {"description": "Classic.", "maxScore": 21, "metadata": {"paddle_size": 3}})

    response = as_owner.patch(GAME, {"name": "Pong II"})

    data = response.json()["data"]
    assert (data["name"], data["description"], data["maxScore"]) == ("Pong II", "Classic.", 21)
    assert data["metadata"] == {"paddle_size": 3}


def test_metadata_keys_keep_their_case_through_an_edit(as_owner, game):
    metadata = {"snake_key": {"camelKey": 1}}

    assert as_owner.patch(GAME, {"metadata": metadata}).json()["data"]["metadata"] == metadata


def test_a_player_who_is_not_the_owner_cannot_edit(signed_in, game):
    response = signed_in.patch(GAME, {"name": "Mine now"})

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert error["message"] == (
        "Only the game's owner, or an operator with the games.change_game permission, may change this game."
    )
    game.refresh_from_db()
    assert game.name == "Pong"


def test_a_studio_user_who_is_not_the_owner_cannot_edit(studio_user, game):
    assert bearer_client(studio_user).patch(GAME, {"name": "Mine now"}).status_code == 403


def test_an_anonymous_visitor_cannot_edit(api, game):
    response = api.patch(GAME, {"name": "Mine now"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_a_user_with_change_game_edits_any_game(game):
    editor = bearer_client(UserFactory(permissions=["games.change_game"]))

    response = editor.patch(GAME, {"name": "Moderated"})

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Moderated"


def test_a_user_with_only_delete_game_cannot_edit(game):
    archivist = bearer_client(UserFactory(permissions=["games.delete_game"]))

    assert archivist.patch(GAME, {"name": "Moderated"}).status_code == 403


def test_the_owner_stays_the_owner_after_an_operator_edits(operator, owner, game):
    response = bearer_client(operator).patch(GAME, {"name": "Moderated"})

    assert response.json()["data"]["owner"]["id"] == owner.pk


def test_the_slug_is_read_only(api, as_owner, game):
    response = as_owner.patch(GAME, {"slug": "new-pong", "name": "Pong 2"})

    assert response.status_code == 200
    assert response.json()["data"]["slug"] == "pong"
    assert api.get(GAME).json()["data"]["name"] == "Pong 2"
    assert api.get("/api/v1/games/new-pong/").status_code == 404


def test_owner_and_player_count_cannot_be_patched(as_owner, owner, game):
    other = UserFactory()

    response = as_owner.patch(GAME, {"owner": {"id": other.pk}, "playerCount": 50})

    assert response.status_code == 200
    assert response.json()["data"]["owner"]["id"] == owner.pk
    assert response.json()["data"]["playerCount"] == 0


def test_the_score_order_can_change_while_the_game_has_no_scores(as_owner, game):
    response = as_owner.patch(GAME, {"scoreOrder": "asc"})

    assert response.status_code == 200
    assert response.json()["data"]["scoreOrder"] == "asc"


def test_the_score_order_cannot_change_once_the_game_has_scores(as_owner, game):
    assert as_owner.post(SCORES, {"value": 10}).status_code == 201

    response = as_owner.patch(GAME, {"scoreOrder": "asc"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    game.refresh_from_db()
    assert game.score_order == "desc"


def test_restating_the_current_score_order_is_fine_once_the_game_has_scores(as_owner, game):
    as_owner.post(SCORES, {"value": 10})

    assert as_owner.patch(GAME, {"scoreOrder": "desc"}).status_code == 200


def test_a_minimum_above_the_current_maximum_is_a_400(as_owner, game):
    as_owner.patch(GAME, {"maxScore": 100})

    assert refused_fields(as_owner.patch(GAME, {"minScore": 101})) & {"minScore", "maxScore"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"minScore": 1.0}, "minScore"),
        ({"maxScore": "5"}, "maxScore"),
        ({"scoreOrder": "sideways"}, "scoreOrder"),
        ({"isActive": "false"}, "isActive"),
        ({"metadata": ["a"]}, "metadata"),
    ],
)
def test_invalid_changes_are_refused_naming_the_field(as_owner, game, body, field):
    assert refused_fields(as_owner.patch(GAME, body)) == {field}


def test_new_bounds_apply_to_the_next_submission(as_owner, game):
    as_owner.get(SCORES)  # the game is now warm in every cache

    as_owner.patch(GAME, {"maxScore": 100})

    response = as_owner.post(SCORES, {"value": 101})
    assert response.status_code == 400
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["value"]


def test_clearing_a_bound_with_null_accepts_any_value_again(as_owner, owner):
    GameFactory(slug="pong", owner=owner, min_score=0, max_score=100)

    data = as_owner.patch(GAME, {"maxScore": None}).json()["data"]

    assert (data["minScore"], data["maxScore"]) == (0, None)
    assert as_owner.post(SCORES, {"value": 10**12}).status_code == 201


def test_deactivating_a_game_stops_submissions(as_owner, game):
    as_owner.post(SCORES, {"value": 1})

    assert as_owner.patch(GAME, {"isActive": False}).json()["data"]["isActive"] is False

    assert as_owner.post(SCORES, {"value": 2}).status_code == 409


def test_reactivating_a_game_accepts_submissions_again(as_owner, owner):
    GameFactory(slug="pong", owner=owner, is_active=False)

    as_owner.patch(GAME, {"isActive": True})

    assert as_owner.post(SCORES, {"value": 2}).status_code == 201


def test_an_archived_game_cannot_be_edited(as_owner, owner):
    GameFactory(slug="pong", owner=owner, archived_at=timezone.now())

    assert as_owner.patch(GAME, {"name": "Back"}).status_code == 404


def test_put_is_not_allowed(as_owner, game):
    response = as_owner.put(GAME, {"name": "Pong", "scoreOrder": "desc"})

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
