"""GET /api/v1/games/: every game not archived, searchable, filterable, sorted, paged (CONTRACT §2, §4)."""

from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from games.models import Game
from realtime.presence import async_presence, socket_slot
from tests.factories import GameFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/games/"
GAME_KEYS = {
    "slug",
    "name",
    "description",
    "scoreOrder",
    "minScore",
    "maxScore",
    "metadata",
    "isActive",
    "playerCount",
    "owner",
    "createdAt",
    "updatedAt",
}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [game["slug"] for game in response.json()["data"]]


def refused_parameter(response) -> list[str]:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    return [detail["field"] for detail in error["details"]]


def created_on(game: Game, day: int) -> None:
    Game.objects.filter(pk=game.pk).update(created_at=datetime(2024, 3, day, tzinfo=UTC))


def test_anyone_lists_the_games_in_the_envelope_with_meta(api):
    game = GameFactory(name="Tetris", slug="tetris")

    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["meta"] == {"page": 1, "limit": 20, "total": 1, "pages": 1, "hasNext": False, "hasPrev": False}
    [listed] = body["data"]
    assert set(listed) == GAME_KEYS
    assert listed["slug"] == "tetris"
    assert listed["owner"] == {"id": game.owner.pk, "username": game.owner.username}
    assert listed["createdAt"].endswith("Z")


def test_an_empty_catalogue_is_an_empty_list(api):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"]["total"] == 0


def test_archived_games_are_not_listed(api):
    GameFactory(slug="kept")
    GameFactory(slug="archived", archived_at=timezone.now())

    response = api.get(URL)

    assert slugs(response) == ["kept"]
    assert response.json()["meta"]["total"] == 1


def test_inactive_games_are_listed(api):
    GameFactory(slug="closed", is_active=False)

    response = api.get(URL)

    assert slugs(response) == ["closed"]
    assert response.json()["data"][0]["isActive"] is False


@pytest.mark.parametrize("term", ["space", "SPACE", "Ace inv", "invaders"])
def test_search_matches_part_of_the_name_in_any_case(api, term):
    GameFactory(name="Space Invaders", slug="space-invaders")
    GameFactory(name="Tetris", slug="tetris")

    assert slugs(api.get(URL, {"search": term})) == ["space-invaders"]


def test_search_does_not_match_the_slug_or_description(api):
    GameFactory(name="Tetris", slug="blocks", description="falling blocks")

    assert slugs(api.get(URL, {"search": "blocks"})) == []


def test_search_does_not_find_archived_games(api):
    GameFactory(name="Old Invaders", slug="old-invaders", archived_at=timezone.now())

    assert slugs(api.get(URL, {"search": "invaders"})) == []


def test_search_treats_like_wildcards_literally(api):
    GameFactory(name="Tetris", slug="tetris")
    GameFactory(name="100% Orange", slug="orange")

    assert slugs(api.get(URL, {"search": "%"})) == ["orange"]
    assert slugs(api.get(URL, {"search": "_"})) == []


@pytest.mark.parametrize(("flag", "expected"), [("true", ["open"]), ("false", ["closed"])])
def test_is_active_filters_on_activity(api, flag, expected):
    GameFactory(slug="open", is_active=True)
    GameFactory(slug="closed", is_active=False)

    assert slugs(api.get(URL, {"isActive": flag})) == expected


@pytest.mark.parametrize("flag", ["1", "0", "yes", "True", "FALSE", ""])
def test_other_is_active_spellings_are_a_400_naming_the_parameter(api, flag):
    GameFactory()

    assert refused_parameter(api.get(URL, {"isActive": flag})) == ["isActive"]


def test_search_and_is_active_combine(api):
    GameFactory(name="Space Invaders", slug="space-invaders", is_active=True)
    GameFactory(name="Space Race", slug="space-race", is_active=False)

    assert slugs(api.get(URL, {"search": "space", "isActive": "false"})) == ["space-race"]


def test_the_default_order_is_newest_first(api):
    first, second, third = GameFactory(slug="first"), GameFactory(slug="second"), GameFactory(slug="third")
    created_on(first, 2)
    created_on(second, 3)
    created_on(third, 1)

    assert slugs(api.get(URL)) == ["second", "first", "third"]


@pytest.mark.parametrize(("sort", "expected"), [("createdAt", ["c", "a", "b"]), ("-createdAt", ["b", "a", "c"])])
def test_games_sort_by_creation_time(api, sort, expected):
    a, b, c = GameFactory(slug="a"), GameFactory(slug="b"), GameFactory(slug="c")
    created_on(a, 2)
    created_on(b, 3)
    created_on(c, 1)

    assert slugs(api.get(URL, {"sort": sort})) == expected


@pytest.mark.parametrize(
    ("sort", "expected"), [("name", ["asteroids", "pong", "tetris"]), ("-name", ["tetris", "pong", "asteroids"])]
)
def test_games_sort_by_name(api, sort, expected):
    GameFactory(name="pong", slug="pong")
    GameFactory(name="tetris", slug="tetris")
    GameFactory(name="asteroids", slug="asteroids")

    assert slugs(api.get(URL, {"sort": sort})) == expected


@pytest.mark.parametrize("sort", ["playerCount", "-playerCount"])
def test_games_sort_by_player_count_and_every_game_appears_once_across_pages(api, sort):
    for n in range(5):
        GameFactory(slug=f"game-{n}")

    pages = [slugs(api.get(URL, {"sort": sort, "limit": 2, "page": page})) for page in (1, 2, 3)]

    listed = [slug for page in pages for slug in page]
    assert sorted(listed) == [f"game-{n}" for n in range(5)]
    counts = [game["playerCount"] for game in api.get(URL, {"sort": sort}).json()["data"]]
    assert counts == sorted(counts, reverse=sort.startswith("-"))


def count_in(game, players: int) -> None:
    """Open presence for `players` signed-in sockets, as a server process does."""

    async def join():
        for n in range(players):
            slot = socket_slot(user_id=1_000 + n, address="10.0.0.9", game_id=game.pk)
            await async_presence().join(game.pk, f"{game.slug}-socket-{n}", 1_000 + n, slot)

    async_to_sync(join)()


@pytest.mark.parametrize(
    ("sort", "expected"), [("playerCount", ["empty", "quiet", "busy"]), ("-playerCount", ["busy", "quiet", "empty"])]
)
def test_games_sort_by_their_live_player_count(api, sort, expected):
    games = {slug: GameFactory(slug=slug) for slug in ("quiet", "busy", "empty")}
    players = {"quiet": 2, "busy": 9, "empty": 0}
    for slug, game in games.items():
        count_in(game, players[slug])

    response = api.get(URL, {"sort": sort})

    assert slugs(response) == expected
    assert [game["playerCount"] for game in response.json()["data"]] == [players[slug] for slug in expected]


@pytest.mark.parametrize("sort", ["slug", "created_at", "-owner", "NAME", "--name", "", "-", "name,createdAt"])
def test_an_unknown_sort_is_a_400_naming_sort(api, sort):
    GameFactory()

    assert refused_parameter(api.get(URL, {"sort": sort})) == ["sort"]


def test_pages_carry_true_meta(api):
    for n in range(5):
        GameFactory(slug=f"game-{n}")

    first = api.get(URL, {"limit": 2}).json()
    last = api.get(URL, {"limit": 2, "page": 3}).json()

    assert first["meta"] == {"page": 1, "limit": 2, "total": 5, "pages": 3, "hasNext": True, "hasPrev": False}
    assert len(first["data"]) == 2
    assert last["meta"] == {"page": 3, "limit": 2, "total": 5, "pages": 3, "hasNext": False, "hasPrev": True}
    assert len(last["data"]) == 1


def test_consecutive_pages_neither_repeat_nor_skip_a_game(api):
    for n in range(7):
        GameFactory(slug=f"game-{n}")
    Game.objects.update(created_at=datetime(2024, 3, 1, tzinfo=UTC))  # every game ties on the default sort

    listed = [slug for page in (1, 2, 3, 4) for slug in slugs(api.get(URL, {"limit": 2, "page": page}))]

    assert sorted(listed) == sorted(f"game-{n}" for n in range(7))


def test_a_page_past_the_end_is_an_empty_200_with_true_meta(api):
    for n in range(3):
        GameFactory(slug=f"game-{n}")

    response = api.get(URL, {"limit": 2, "page": 5})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"] == {"page": 5, "limit": 2, "total": 3, "pages": 2, "hasNext": False, "hasPrev": True}


def test_the_largest_limit_is_100(api):
    GameFactory()

    response = api.get(URL, {"limit": 100})

    assert response.status_code == 200
    assert response.json()["meta"]["limit"] == 100


@pytest.mark.parametrize("page", ["0", "-1", "1.5", "abc", "", "1e3"])
def test_a_bad_page_is_a_400_naming_page(api, page):
    assert refused_parameter(api.get(URL, {"page": page})) == ["page"]


@pytest.mark.parametrize("limit", ["0", "101", "-5", "ten", "", "20.0"])
def test_a_bad_limit_is_a_400_naming_limit(api, limit):
    assert refused_parameter(api.get(URL, {"limit": limit})) == ["limit"]


@pytest.mark.parametrize("name", ["search", "isActive", "sort", "page", "limit"])
def test_a_nul_character_in_a_parameter_is_a_400_not_a_crash(api, name):
    GameFactory()

    assert refused_parameter(api.get(URL, {name: "a\x00b"})) == [name]
