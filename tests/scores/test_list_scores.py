"""GET /api/v1/games/{slug}/scores/: anyone lists a game's scores (CONTRACT §2, §5)."""

import pytest
from django.utils import timezone

from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/games/pong/scores/"


@pytest.fixture
def game(db):
    return GameFactory(slug="pong")


def post_scores(client, *values, slug: str = "pong") -> list[int]:
    ids = []
    for value in values:
        response = client.post(f"/api/v1/games/{slug}/scores/", {"value": value})
        assert response.status_code == 201, response.content
        ids.append(response.json()["data"]["score"]["id"])
    return ids


def values(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [score["value"] for score in response.json()["data"]]


def refused_parameter(response) -> list[str]:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    return [detail["field"] for detail in response.json()["error"]["details"]]


def test_anyone_lists_a_games_scores_as_score_objects(api, signed_in, user, game):
    [score_id] = post_scores(signed_in, 42)

    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"page": 1, "limit": 20, "total": 1, "pages": 1, "hasNext": False, "hasPrev": False}
    [score] = body["data"]
    assert score == {
        "id": score_id,
        "game": "pong",
        "board": "default",
        "user": {"id": user.pk, "username": user.username},
        "value": 42,
        "subscore": None,
        "metadata": {},
        "createdAt": score["createdAt"],
    }
    assert score["createdAt"].endswith("Z")


def test_a_game_without_scores_lists_none(api, game):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"]["total"] == 0


def test_scores_of_other_games_are_not_listed(api, signed_in, game):
    GameFactory(slug="tetris")
    post_scores(signed_in, 1)
    post_scores(signed_in, 999, slug="tetris")

    assert values(api.get(URL)) == [1]


def test_the_default_order_is_newest_first(api, signed_in, game):
    post_scores(signed_in, 5, 30, 10)

    assert values(api.get(URL)) == [10, 30, 5]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("value", [5, 10, 30]), ("-value", [30, 10, 5]), ("createdAt", [5, 30, 10]), ("-createdAt", [10, 30, 5])],
)
def test_scores_sort_by_value_or_creation_time(api, signed_in, game, sort, expected):
    post_scores(signed_in, 5, 30, 10)

    assert values(api.get(URL, {"sort": sort})) == expected


@pytest.mark.parametrize("sort", ["user", "id", "created_at", "rank", "-", ""])
def test_an_unknown_sort_is_a_400_naming_sort(api, game, sort):
    assert refused_parameter(api.get(URL, {"sort": sort})) == ["sort"]


@pytest.mark.parametrize("case", [str, str.upper, str.swapcase])
def test_user_filters_by_username_in_any_case(api, game, case):
    ada, bob = UserFactory(username="Ada_L"), UserFactory(username="bob")
    post_scores(bearer_client(ada), 1, 2)
    post_scores(bearer_client(bob), 3)

    response = api.get(URL, {"user": case("Ada_L"), "sort": "value"})

    assert values(response) == [1, 2]
    assert {score["user"]["username"] for score in response.json()["data"]} == {"Ada_L"}
    assert response.json()["meta"]["total"] == 2


def test_an_unknown_user_lists_no_scores(api, signed_in, game):
    post_scores(signed_in, 1)

    response = api.get(URL, {"user": "nobody-here"})

    assert values(response) == []
    assert response.json()["meta"]["total"] == 0


def test_a_user_without_scores_in_this_game_lists_none(api, signed_in, user, game):
    GameFactory(slug="tetris")
    post_scores(signed_in, 1, slug="tetris")

    assert values(api.get(URL, {"user": user.username})) == []


@pytest.mark.parametrize("username", ["ab", "a" * 31, "has space", "dot.ted", "at@sign", "", "x%", "<script>"])
def test_a_malformed_username_is_a_400_naming_user(api, game, username):
    assert refused_parameter(api.get(URL, {"user": username})) == ["user"]


def test_pages_carry_true_meta(api, signed_in, game):
    post_scores(signed_in, 1, 2, 3, 4, 5)

    first = api.get(URL, {"limit": 2, "sort": "value"}).json()
    last = api.get(URL, {"limit": 2, "page": 3, "sort": "value"}).json()

    assert [score["value"] for score in first["data"]] == [1, 2]
    assert first["meta"] == {"page": 1, "limit": 2, "total": 5, "pages": 3, "hasNext": True, "hasPrev": False}
    assert [score["value"] for score in last["data"]] == [5]
    assert last["meta"] == {"page": 3, "limit": 2, "total": 5, "pages": 3, "hasNext": False, "hasPrev": True}


def test_equal_values_neither_repeat_nor_vanish_across_pages(api, game):
    for _ in range(5):
        post_scores(bearer_client(UserFactory()), 7)
    pages = [api.get(URL, {"limit": 2, "page": page, "sort": "value"}).json()["data"] for page in (1, 2, 3)]

    ids = [score["id"] for page in pages for score in page]

    assert len(ids) == len(set(ids)) == 5


def test_a_page_past_the_end_is_an_empty_200_with_true_meta(api, signed_in, game):
    post_scores(signed_in, 1, 2, 3)

    response = api.get(URL, {"limit": 2, "page": 9})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"] == {"page": 9, "limit": 2, "total": 3, "pages": 2, "hasNext": False, "hasPrev": True}


@pytest.mark.parametrize(("name", "value"), [("page", "0"), ("page", "x"), ("limit", "0"), ("limit", "101")])
def test_a_bad_page_or_limit_is_a_400_naming_it(api, game, name, value):
    assert refused_parameter(api.get(URL, {name: value})) == [name]


def test_an_inactive_games_scores_are_still_listed(api, signed_in, user):
    GameFactory(slug="pong", owner=user)
    post_scores(signed_in, 8)
    assert signed_in.patch("/api/v1/games/pong/", {"isActive": False}).status_code == 200

    assert values(api.get(URL)) == [8]


def test_an_archived_games_scores_are_a_404(api):
    GameFactory(slug="pong", archived_at=timezone.now())

    assert api.get(URL).status_code == 404


def test_an_unknown_games_scores_are_a_404(api, db):
    assert api.get(URL).status_code == 404


@pytest.mark.parametrize("name", ["user", "sort", "page", "limit"])
def test_a_nul_character_in_a_parameter_is_a_400_not_a_crash(api, game, name):
    assert refused_parameter(api.get(URL, {name: "ab\x00c"})) == [name]
