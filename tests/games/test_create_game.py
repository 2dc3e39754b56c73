"""POST /api/v1/games/: studios create games and own them (CONTRACT §4)."""

import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from games.models import Game
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/games/"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SAFE = 2**53 - 1


@pytest.fixture
def studio(studio_user):
    return bearer_client(studio_user)


def refused_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    return {detail["field"] for detail in error["details"]}


def test_a_studio_user_creates_a_game_and_becomes_its_owner(studio, studio_user):
    response = studio.post(URL, {"name": "Space Invaders"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["success"] is True
    game = body["data"]
    assert game["owner"] == {"id": studio_user.pk, "username": studio_user.username}
    assert Game.objects.get(slug=game["slug"]).owner == studio_user


def test_a_new_game_has_the_documented_defaults(studio):
    game = studio.post(URL, {"name": "Pong"}).json()["data"]

    assert game["description"] == ""
    assert game["scoreOrder"] == "desc"
    assert game["minScore"] is None
    assert game["maxScore"] is None
    assert game["metadata"] == {}
    assert game["isActive"] is True
    assert game["playerCount"] == 0
    assert game["createdAt"].endswith("Z")
    assert game["updatedAt"].endswith("Z")


def test_a_user_granted_add_game_directly_may_create_games(db):
    client = bearer_client(UserFactory(permissions=["games.add_game"]))

    assert client.post(URL, {"name": "Pong"}).status_code == 201


def test_an_operator_may_create_games(operator):
    assert bearer_client(operator).post(URL, {"name": "Pong"}).status_code == 201


def test_an_anonymous_visitor_cannot_create_a_game(api):
    response = api.post(URL, {"name": "Pong"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert not Game.objects.exists()


def test_a_plain_player_cannot_create_a_game(signed_in):
    response = signed_in.post(URL, {"name": "Pong"})

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert "games.add_game" in error["message"]
    assert "Studio group" in error["message"]
    assert not Game.objects.exists()


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Space Invaders", "space-invaders"), ("  Ms. Pac-Man!  ", "ms-pac-man"), ("Café Über", "cafe-uber")],
)
def test_the_slug_is_made_from_the_name_when_absent(studio, name, slug):
    assert studio.post(URL, {"name": name}).json()["data"]["slug"] == slug


def test_a_name_taken_twice_gets_numbered_slugs(studio):
    made = [studio.post(URL, {"name": "Space Invaders"}).json()["data"]["slug"] for _ in range(3)]

    assert made == ["space-invaders", "space-invaders-2", "space-invaders-3"]


def test_a_slug_held_by_an_archived_game_is_not_reused(studio):
    GameFactory(slug="space-invaders", archived_at=timezone.now())

    assert studio.post(URL, {"name": "Space Invaders"}).json()["data"]["slug"] == "space-invaders-2"


def test_numbering_skips_suffixes_already_taken(studio):
    GameFactory(slug="pong")
    GameFactory(slug="pong-2", archived_at=timezone.now())

    assert studio.post(URL, {"name": "Pong"}).json()["data"]["slug"] == "pong-3"


@pytest.mark.parametrize("name", ["!!!", "日本語のゲーム", "🙂"])
def test_a_name_without_slug_characters_still_gets_a_valid_slug(studio, name):
    response = studio.post(URL, {"name": name})

    assert response.status_code == 201
    assert SLUG.match(response.json()["data"]["slug"])
    assert response.json()["data"]["name"] == name


def test_a_long_name_gets_a_valid_slug_of_at_most_64_characters(studio):
    slug = studio.post(URL, {"name": "word " * 20}).json()["data"]["slug"]

    assert SLUG.match(slug)
    assert len(slug) <= 64


def test_an_explicit_slug_is_used_as_given(studio):
    response = studio.post(URL, {"name": "Space Invaders", "slug": "invaders-1978"})

    assert response.status_code == 201
    assert response.json()["data"]["slug"] == "invaders-1978"
    assert studio.get(URL + "invaders-1978/").status_code == 200


def test_an_explicit_slug_that_is_taken_is_a_409_on_slug(studio):
    GameFactory(slug="pong")

    response = studio.post(URL, {"name": "Another Pong", "slug": "pong"})

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert "slug" in [detail["field"] for detail in error["details"]]
    assert Game.objects.filter(name="Another Pong").count() == 0


def test_an_explicit_slug_held_by_an_archived_game_is_a_409(studio):
    GameFactory(slug="pong", archived_at=timezone.now())

    response = studio.post(URL, {"name": "Pong", "slug": "pong"})

    assert response.status_code == 409
    assert "slug" in [detail["field"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    "slug", ["Has-Caps", "under_score", "-lead", "trail-", "double--hyphen", "white space", "a" * 65, "", "é"]
)
def test_an_invalid_explicit_slug_is_a_400_on_slug(studio, slug):
    assert refused_fields(studio.post(URL, {"name": "Pong", "slug": slug})) == {"slug"}
    assert not Game.objects.exists()


def test_fields_are_camel_case_in_and_out(studio):
    response = studio.post(
        URL,
        {
            "name": "Golf",
            "description": "Fewest strokes wins.",
            "scoreOrder": "asc",
            "minScore": 18,
            "maxScore": 200,
            "isActive": False,
        },
    )

    assert response.status_code == 201, response.content
    game = response.json()["data"]
    assert game["scoreOrder"] == "asc"
    assert game["minScore"] == 18
    assert game["maxScore"] == 200
    assert game["isActive"] is False
    assert game["description"] == "Fewest strokes wins."
    assert not [key for key in game if "_" in key]


def test_metadata_keys_round_trip_verbatim(studio):
    metadata = {"snake_key": {"camelKey": 1, "deep_snake": [{"Mixed_Case": True}]}, "UPPER": "x"}

    created = studio.post(URL, {"name": "Pong", "metadata": metadata}).json()["data"]

    assert created["metadata"] == metadata
    assert studio.get(URL + created["slug"] + "/").json()["data"]["metadata"] == metadata


@pytest.mark.parametrize("metadata", [[1, 2], "text", 3, True])
def test_metadata_must_be_an_object(studio, metadata):
    assert refused_fields(studio.post(URL, {"name": "Pong", "metadata": metadata})) == {"metadata"}


def test_oversized_metadata_is_a_400_on_metadata(studio):
    assert refused_fields(studio.post(URL, {"name": "Pong", "metadata": {"blob": "x" * 40_000}})) == {"metadata"}


def test_metadata_containing_nul_is_a_400_on_metadata(studio):
    assert refused_fields(studio.post(URL, {"name": "Pong", "metadata": {"note": "a\x00b"}})) == {"metadata"}


@pytest.mark.parametrize("raw", ['{"note": "\\ud800"}', '{"\\udfff": 1}', '{"time": 1e400}'])
def test_metadata_no_database_can_store_is_a_400_not_a_crash(studio, raw):
    body = '{"name": "Pong", "metadata": ' + raw + "}"

    response = studio.generic("POST", URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert not Game.objects.exists()


def test_a_name_with_a_lone_surrogate_is_a_400_not_a_crash(studio):
    response = studio.generic("POST", URL, '{"name": "Pong \\ud800"}', content_type="application/json")

    assert response.status_code == 400, response.content
    assert not Game.objects.exists()


def test_a_minimum_above_the_maximum_is_a_400(studio):
    response = studio.post(URL, {"name": "Pong", "minScore": 10, "maxScore": 5})

    assert refused_fields(response) & {"minScore", "maxScore"}
    assert not Game.objects.exists()


def test_equal_bounds_are_accepted(studio):
    response = studio.post(URL, {"name": "Pong", "minScore": 7, "maxScore": 7})

    assert response.status_code == 201
    assert (response.json()["data"]["minScore"], response.json()["data"]["maxScore"]) == (7, 7)


@pytest.mark.parametrize("field", ["minScore", "maxScore"])
@pytest.mark.parametrize("bound", [10.0, 1e3, "5", True, [1], {"n": 1}])
def test_non_integer_bounds_are_refused(studio, field, bound):
    assert refused_fields(studio.post(URL, {"name": "Pong", field: bound})) == {field}


@pytest.mark.parametrize("field", ["minScore", "maxScore"])
@pytest.mark.parametrize("bound", [2**53, -(2**53)])
def test_bounds_beyond_the_safe_integer_range_are_refused(studio, field, bound):
    assert refused_fields(studio.post(URL, {"name": "Pong", field: bound})) == {field}


def test_bounds_at_the_edge_of_the_safe_integer_range_are_accepted(studio):
    game = studio.post(URL, {"name": "Pong", "minScore": -MAX_SAFE, "maxScore": MAX_SAFE}).json()["data"]

    assert (game["minScore"], game["maxScore"]) == (-MAX_SAFE, MAX_SAFE)


@pytest.mark.parametrize("order", ["up", "ASC", "", None, 1])
def test_an_unknown_score_order_is_refused(studio, order):
    assert refused_fields(studio.post(URL, {"name": "Pong", "scoreOrder": order})) == {"scoreOrder"}


@pytest.mark.parametrize("active", ["true", 1, None])
def test_is_active_must_be_a_json_boolean(studio, active):
    assert refused_fields(studio.post(URL, {"name": "Pong", "isActive": active})) == {"isActive"}


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": None}, {"name": "a\x00b"}])
def test_a_missing_or_bad_name_is_a_400_on_name(studio, body):
    assert refused_fields(studio.post(URL, body)) == {"name"}


def test_owner_and_server_fields_in_the_body_are_ignored(studio, studio_user):
    someone_else = UserFactory()

    response = studio.post(
        URL,
        {
            "name": "Pong",
            "owner": {"id": someone_else.pk, "username": someone_else.username},
            "ownerId": someone_else.pk,
            "playerCount": 99,
            "createdAt": "2000-01-01T00:00:00Z",
            "archivedAt": "2000-01-01T00:00:00Z",
        },
    )

    assert response.status_code == 201, response.content
    game = response.json()["data"]
    assert game["owner"]["id"] == studio_user.pk
    assert game["playerCount"] == 0
    assert not game["createdAt"].startswith("2000")
    assert studio.get(URL + game["slug"] + "/").status_code == 200


def test_a_created_game_is_listed(studio):
    slug = studio.post(URL, {"name": "Pong"}).json()["data"]["slug"]

    assert [game["slug"] for game in studio.get(URL).json()["data"]] == [slug]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_games_created_at_once_with_the_same_name_all_get_their_own_slug():
    studios = [bearer_client(UserFactory(studio=True)) for _ in range(10)]
    connection.close()  # give the main thread's pooled connection back for the threads
    start = threading.Barrier(len(studios), timeout=30)
    responses: list = [None] * len(studios)

    def create(index: int) -> None:
        try:
            start.wait()
            responses[index] = studios[index].post(URL, {"name": "Space Invaders"})
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(len(studios))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = [response.status_code for response in responses]
    assert statuses == [201] * 10, [response.json() for response in responses if response.status_code != 201]
    made = sorted(response.json()["data"]["slug"] for response in responses)
    assert made == sorted(["space-invaders", *(f"space-invaders-{n}" for n in range(2, 11))])
