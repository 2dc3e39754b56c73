"""/api/v1/games/{slug}/boards/: a game's boards, listed by anyone, made,
changed and archived by its owner or `games.change_game` (CONTRACT §9)."""

import pytest

from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import refused_field

pytestmark = pytest.mark.django_db

BOARDS = "/api/v1/games/racer/boards/"
BOARD_FIELDS = {
    "key",
    "name",
    "scoreOrder",
    "operator",
    "subscoreOrder",
    "minScore",
    "maxScore",
    "authoritative",
    "review",
    "kind",
    "startsAt",
    "endsAt",
    "maxEntrants",
    "maxAttempts",
    "joinRequired",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def game(owner):
    return GameFactory(slug="racer", name="Racer", owner=owner, score_order="desc", min_score=0, max_score=10**6)


@pytest.fixture
def as_owner(owner, game):
    return bearer_client(owner)


def made(client, **body) -> dict:
    response = client.post(BOARDS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def conflict_field(response) -> str:
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    return error["details"][0]["field"]


def test_every_game_has_its_default_board_with_the_games_order_and_bounds(api, game):
    response = api.get(BOARDS)

    assert response.status_code == 200, response.content
    [board] = response.json()["data"]
    assert set(board) == BOARD_FIELDS
    assert board | {"createdAt": None, "updatedAt": None} == {
        "key": "default",
        "name": "Default",
        "scoreOrder": "desc",
        "operator": "best",
        "subscoreOrder": None,
        "minScore": 0,
        "maxScore": 10**6,
        "authoritative": False,
        "review": "off",
        "kind": "board",
        "startsAt": None,
        "endsAt": None,
        "maxEntrants": None,
        "maxAttempts": None,
        "joinRequired": False,
        "createdAt": None,
        "updatedAt": None,
    }
    assert api.get(BOARDS + "default/").json()["data"] == board


def test_the_owner_makes_a_board_with_every_setting(as_owner, api):
    board = made(
        as_owner,
        key="time-trial",
        name="Time trial",
        scoreOrder="asc",
        operator="latest",
        subscoreOrder="desc",
        minScore=1,
        maxScore=600_000,
    )

    assert {field: board[field] for field in ("key", "name", "scoreOrder", "operator", "subscoreOrder")} == {
        "key": "time-trial",
        "name": "Time trial",
        "scoreOrder": "asc",
        "operator": "latest",
        "subscoreOrder": "desc",
    }
    assert (board["minScore"], board["maxScore"]) == (1, 600_000)
    assert api.get(BOARDS + "time-trial/").json()["data"] == board


def test_a_board_has_the_plain_defaults(as_owner):
    board = made(as_owner, name="Coins")

    assert (board["scoreOrder"], board["operator"], board["subscoreOrder"]) == ("desc", "best", None)
    assert (board["minScore"], board["maxScore"]) == (None, None)


def test_a_key_is_made_from_the_name_and_numbered_when_taken(as_owner):
    assert made(as_owner, name="Track 1: Monaco!")["key"] == "track-1-monaco"
    assert made(as_owner, name="Track 1 Monaco")["key"] == "track-1-monaco-2"
    assert made(as_owner, name="track 1 monaco")["key"] == "track-1-monaco-3"


def test_a_name_without_letters_or_digits_still_gets_a_key(as_owner):
    assert made(as_owner, name="???")["key"] == "board"


def test_a_taken_explicit_key_is_a_409_on_key(as_owner):
    made(as_owner, key="monaco", name="Monaco")

    assert conflict_field(as_owner.post(BOARDS, {"key": "monaco", "name": "Monaco again"}, format="json")) == "key"
    assert conflict_field(as_owner.post(BOARDS, {"key": "default", "name": "Another"}, format="json")) == "key"


def test_an_archived_boards_key_stays_taken(as_owner):
    made(as_owner, key="monaco", name="Monaco")
    assert as_owner.delete(BOARDS + "monaco/").status_code == 204

    assert conflict_field(as_owner.post(BOARDS, {"key": "monaco", "name": "Monaco"}, format="json")) == "key"
    assert made(as_owner, name="Monaco")["key"] == "monaco-2"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "key": "Not A Slug"}, "key"),
        ({"name": "Ok", "key": "a--b"}, "key"),
        ({"name": "Ok", "key": "k" * 65}, "key"),
        ({"name": "Ok", "operator": "max"}, "operator"),
        ({"name": "Ok", "scoreOrder": "up"}, "scoreOrder"),
        ({"name": "Ok", "subscoreOrder": "sideways"}, "subscoreOrder"),
        ({"name": "Ok", "minScore": "1"}, "minScore"),
        ({"name": "Ok", "maxScore": 2**53}, "maxScore"),
        ({"name": "Ok", "minScore": 10, "maxScore": 1}, "minScore"),
    ],
)
def test_a_bad_board_is_a_400_on_its_field(as_owner, body, field):
    assert refused_field(as_owner.post(BOARDS, body, format="json")) == field


def test_a_key_may_be_64_characters(as_owner):
    assert made(as_owner, name="Long", key="k" * 64)["key"] == "k" * 64


def test_boards_are_listed_by_key_name_or_creation(as_owner, api):
    for key, name in (("b", "Zeta"), ("c", "Alpha"), ("a", "Mid")):
        made(as_owner, key=key, name=name)

    def keys(**params):
        response = api.get(BOARDS, params)
        assert response.status_code == 200, response.content
        return [board["key"] for board in response.json()["data"]]

    assert keys() == ["a", "b", "c", "default"]
    assert keys(sort="name") == ["c", "default", "a", "b"]
    assert keys(sort="-createdAt") == ["a", "c", "b", "default"]
    assert api.get(BOARDS, {"sort": "operator"}).status_code == 400


def test_a_change_is_seen_by_the_next_read(as_owner, api):
    made(as_owner, key="monaco", name="Monaco")
    assert api.get(BOARDS + "monaco/").json()["data"]["name"] == "Monaco"

    response = as_owner.patch(BOARDS + "monaco/", {"name": "Monte Carlo", "maxScore": 99}, format="json")

    assert response.status_code == 200, response.content
    assert api.get(BOARDS + "monaco/").json()["data"]["name"] == "Monte Carlo"
    assert as_owner.get(BOARDS + "monaco/").json()["data"]["maxScore"] == 99


def test_the_key_is_read_only(as_owner):
    made(as_owner, key="monaco", name="Monaco")

    response = as_owner.patch(BOARDS + "monaco/", {"key": "nice", "name": "Monaco"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["key"] == "monaco"
    assert as_owner.get(BOARDS + "nice/").status_code == 404


def test_order_operator_and_subscore_order_change_freely_before_any_score(as_owner):
    made(as_owner, key="monaco", name="Monaco")

    response = as_owner.patch(
        BOARDS + "monaco/", {"scoreOrder": "asc", "operator": "sum", "subscoreOrder": "asc"}, format="json"
    )

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["scoreOrder"], data["operator"], data["subscoreOrder"]) == ("asc", "sum", "asc")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scoreOrder": "asc"}, "scoreOrder"),
        ({"operator": "sum"}, "operator"),
        ({"subscoreOrder": "asc"}, "subscoreOrder"),
    ],
)
def test_order_operator_and_subscore_order_are_fixed_once_the_board_has_scores(as_owner, game, change, field):
    made(as_owner, key="monaco", name="Monaco")
    player = bearer_client(UserFactory())
    assert player.post(BOARDS + "monaco/scores/", {"value": 5}, format="json").status_code == 201

    assert conflict_field(as_owner.patch(BOARDS + "monaco/", change, format="json")) == field
    assert as_owner.patch(BOARDS + "monaco/", {"name": "Still fine", "maxScore": 10}, format="json").status_code == 200


def test_the_default_boards_order_and_bounds_are_the_games(as_owner, api):
    response = as_owner.patch(BOARDS + "default/", {"scoreOrder": "asc", "maxScore": 500}, format="json")
    assert response.status_code == 200, response.content
    game = api.get("/api/v1/games/racer/").json()["data"]
    assert (game["scoreOrder"], game["maxScore"]) == ("asc", 500)

    assert as_owner.patch("/api/v1/games/racer/", {"minScore": 7}, format="json").status_code == 200
    board = api.get(BOARDS + "default/").json()["data"]
    assert (board["scoreOrder"], board["minScore"], board["maxScore"]) == ("asc", 7, 500)


def test_archiving_hides_the_board_and_everything_under_it(as_owner, api):
    made(as_owner, key="monaco", name="Monaco")
    assert as_owner.post(BOARDS + "monaco/scores/", {"value": 5}, format="json").status_code == 201
    for client in (api, as_owner):
        assert client.get(BOARDS + "monaco/leaderboard/").status_code == 200  # cached, for the anonymous read

    assert as_owner.delete(BOARDS + "monaco/").status_code == 204

    for client in (api, as_owner):
        assert [board["key"] for board in client.get(BOARDS).json()["data"]] == ["default"]
        for tail in ("", "scores/", "leaderboard/", "leaderboard/users/nobody/"):
            response = client.get(BOARDS + "monaco/" + tail)
            assert response.status_code == 404, (tail, response.content)
            assert response.json()["error"]["code"] == "NOT_FOUND"
    assert as_owner.get(BOARDS + "monaco/leaderboard/me/").status_code == 404
    assert as_owner.post(BOARDS + "monaco/scores/", {"value": 6}, format="json").status_code == 404
    assert as_owner.delete(BOARDS + "monaco/").status_code == 404
    # To everyone: not a 401 or 403 that would say the board is still there.
    stranger = bearer_client(UserFactory())
    for client in (api, stranger):
        assert client.patch(BOARDS + "monaco/", {"name": "Mine"}, format="json").status_code == 404
        assert client.delete(BOARDS + "monaco/").status_code == 404


def test_the_default_board_cannot_be_deleted(as_owner, api):
    response = as_owner.delete(BOARDS + "default/")

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "CONFLICT"
    assert api.get(BOARDS + "default/").status_code == 200


def test_anyone_reads_but_only_the_owner_or_change_game_writes(game, api):
    stranger = bearer_client(UserFactory())
    operator = bearer_client(UserFactory(permissions=["games.change_game"]))

    assert api.post(BOARDS, {"name": "Monaco"}, format="json").status_code == 401
    refused = stranger.post(BOARDS, {"name": "Monaco"}, format="json")
    assert refused.status_code == 403
    assert "games.change_game" in refused.json()["error"]["message"]
    assert made(operator, key="monaco", name="Monaco")["key"] == "monaco"
    assert stranger.patch(BOARDS + "monaco/", {"name": "Mine"}, format="json").status_code == 403
    assert stranger.delete(BOARDS + "monaco/").status_code == 403
    assert operator.patch(BOARDS + "monaco/", {"name": "Monte Carlo"}, format="json").status_code == 200
    assert operator.delete(BOARDS + "monaco/").status_code == 204


def test_an_unknown_or_archived_game_has_no_boards(as_owner, api):
    assert api.get("/api/v1/games/nope/boards/").status_code == 404
    assert as_owner.delete("/api/v1/games/racer/").status_code == 204

    for client in (api, as_owner):
        assert client.get(BOARDS).status_code == 404
        assert client.get(BOARDS + "default/").status_code == 404
    assert as_owner.post(BOARDS, {"name": "Monaco"}, format="json").status_code == 404


def test_an_unknown_board_is_a_404(api, game):
    response = api.get(BOARDS + "nope/leaderboard/")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such board."


def test_a_key_made_from_a_name_keeps_to_the_slug_rule(as_owner, api):
    # Django's slugify keeps underscores; the key rule (and the URL) does not.
    board = made(as_owner, name="Lap_1 __Fast__")
    assert board["key"] == "lap-1-fast"
    assert api.get(BOARDS + "lap-1-fast/leaderboard/").status_code == 200
    assert made(as_owner, name="___")["key"] == "board"


def test_scores_on_another_board_leave_the_games_order_free(as_owner, api):
    made(as_owner, key="laps", name="Laps")
    assert as_owner.post(BOARDS + "laps/scores/", {"value": 5}, format="json").status_code == 201

    assert as_owner.patch("/api/v1/games/racer/", {"scoreOrder": "asc"}, format="json").status_code == 200
    assert api.get(BOARDS + "default/").json()["data"]["scoreOrder"] == "asc"
    assert as_owner.patch(BOARDS + "laps/", {"scoreOrder": "asc"}, format="json").status_code == 409
