"""Injection (OWASP API8:2019; the 2023 list folds it into API8 Security
Misconfiguration and API10 Unsafe Consumption of APIs).

Query parameters, path segments, metadata and usernames are data, never
code: SQL-ish, NUL and wildcard payloads get a 400 naming the parameter or
the correct (often empty) result, never a 500 and never a glimpse of the
query, the database or another row.
"""

import json
import re

import pytest

from accounts.models import User
from tests.conftest import CommittingAPIClient, bearer_client
from tests.factories import PASSWORD, GameFactory, UserFactory

pytestmark = pytest.mark.django_db

SQL_PAYLOADS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "1; DROP TABLE games_game; --",
    "name; SELECT password FROM accounts_user",
    "1 UNION SELECT username, password FROM accounts_user --",
    '" OR ""="',
    "createdAt desc",
    "-createdAt,name",
    "owner__password",
    "-owner__password",
    "(SELECT 1)",
    "\x00",
    "name\x00",
    "%00",
    "\\",
    "$where",
]
LEAKS = [b"SELECT", b"sqlite", b"psycopg", b"postgres", b"Traceback", b"syntax", b"accounts_user", b"hunter"]


def assert_no_leak(response):
    for leak in LEAKS:
        assert leak.lower() not in response.content.lower(), leak


def assert_refused(response, field: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"][0]["field"] == field
    assert_no_leak(response)


@pytest.fixture
def arena(db):
    return GameFactory(name="Arena", slug="arena")


@pytest.fixture
def world(arena):
    """More games, a few players and scores: something to find, or to leak."""
    GameFactory(name="O'Brien's \"Quest\"", slug="obriens-quest")
    GameFactory(name="100% Fun_Run", slug="fun-run")
    players = [UserFactory(username=name) for name in ("alice", "bob", "carol")]
    for value, player in enumerate(players, start=1):
        bearer_client(player).post("/api/v1/games/arena/scores/", {"value": value * 10})
    return arena


@pytest.fixture
def client(arena):
    """An anonymous client; refusals need no more than the game to exist."""
    return CommittingAPIClient()


# --- sort -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_a_sort_payload_is_a_400_naming_sort(client, payload):
    for path in ("/api/v1/games/", "/api/v1/games/arena/scores/"):
        assert_refused(client.get(path, {"sort": payload}), "sort")


def test_sorting_by_a_related_secret_is_refused_not_obeyed(client):
    """Ordering by owner__password would leak hashes one comparison at a time."""
    for sort in ("owner__password", "owner__email", "user__password", "-user__password"):
        assert client.get("/api/v1/games/", {"sort": sort}).status_code == 400
        assert client.get("/api/v1/games/arena/scores/", {"sort": sort}).status_code == 400


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [p for p in SQL_PAYLOADS if "\x00" not in p and p != "%00"])
def test_a_sql_search_finds_only_games_whose_name_contains_it_literally(world, client, payload):
    response = client.get("/api/v1/games/", {"search": payload})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert_no_leak(response)


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("'", ["O'Brien's \"Quest\""]),
        ('"', ["O'Brien's \"Quest\""]),
        ("%", ["100% Fun_Run"]),
        ("_", ["100% Fun_Run"]),
        ("%%", []),
        ("a%a", []),
        ("_un", []),
        ("arena", ["Arena"]),
    ],
)
def test_quotes_and_like_wildcards_in_a_search_match_literally(world, client, search, names):
    response = client.get("/api/v1/games/", {"search": search})

    assert response.status_code == 200
    assert [game["name"] for game in response.json()["data"]] == names


@pytest.mark.parametrize("payload", ["\x00", "arena\x00' OR 1=1"])
def test_a_nul_in_a_search_is_a_400(client, payload):
    assert_refused(client.get("/api/v1/games/", {"search": payload}), "search")


# --- period, user, page, limit, radius, isActive -------------------------------------------------------


@pytest.mark.parametrize("payload", [*SQL_PAYLOADS, "ALL", "all ", "day'", "week--"])
def test_a_period_payload_is_a_400_naming_period(client, payload):
    signed_in = bearer_client(UserFactory())
    for reader, path in [
        (client, "/api/v1/games/arena/leaderboard/"),  # the cached fast path
        (signed_in, "/api/v1/games/arena/leaderboard/"),  # the full path
        (client, "/api/v1/games/arena/leaderboard/users/alice/"),
        (signed_in, "/api/v1/games/arena/leaderboard/me/"),
    ]:
        assert_refused(reader.get(path, {"period": payload}), "period")


@pytest.mark.parametrize("payload", [*SQL_PAYLOADS, "", "alice' --", "alice\x00", "ALICE' OR 'a'='a", "alice\n"])
def test_a_user_filter_payload_is_a_400_naming_user_or_matches_nobody(world, client, payload):
    response = client.get("/api/v1/games/arena/scores/", {"user": payload})

    if re.fullmatch(r"[A-Za-z0-9_-]{3,30}", payload):  # a well-formed name, of nobody here
        assert response.status_code == 200
        assert response.json()["data"] == []
    else:
        assert_refused(response, "user")


def test_a_user_filter_for_nobody_is_an_empty_list(world, client):
    response = client.get("/api/v1/games/arena/scores/", {"user": "nobody-at-all"})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"]["total"] == 0


def test_a_user_filter_returns_that_players_scores_only(world, client):
    response = client.get("/api/v1/games/arena/scores/", {"user": "ALICE"})

    assert [score["user"]["username"] for score in response.json()["data"]] == ["alice"]


NUMBER_PAYLOADS = [
    *SQL_PAYLOADS,
    "1 OR 1=1",
    "1e2",
    "0x10",
    "1.0",
    "+1",
    " 1",
    "1 ",
    "\uff11",  # a fullwidth one: int() takes it, the contract does not
    "\u0663",  # an Arabic-Indic three: likewise
    "1\x00",
    "0",
    "-1",
]


@pytest.mark.parametrize("payload", NUMBER_PAYLOADS)
def test_a_page_limit_or_radius_payload_is_a_400_naming_it(client, payload):
    for path in ("/api/v1/games/", "/api/v1/games/arena/scores/", "/api/v1/games/arena/leaderboard/"):
        for name in ("page", "limit"):
            assert_refused(client.get(path, {name: payload}), name)
    if payload != "0":  # a radius of 0 is allowed
        response = bearer_client(UserFactory()).get("/api/v1/games/arena/leaderboard/me/", {"radius": payload})
        assert_refused(response, "radius")


@pytest.mark.parametrize("payload", ["true' OR '1'='1", "1", "True", "yes", "\x00", "false--"])
def test_an_is_active_payload_is_a_400_naming_it(client, payload):
    assert_refused(client.get("/api/v1/games/", {"isActive": payload}), "isActive")


@pytest.mark.parametrize("path", ["/api/v1/games/", "/api/v1/games/arena/scores/", "/api/v1/games/arena/leaderboard/"])
def test_the_last_possible_page_is_an_empty_200_not_an_overflow(world, client, path):
    response = client.get(path, {"page": "9" * 12, "limit": "100"})

    assert response.status_code == 200
    assert response.json()["data"] == []


# --- path segments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/games/arena' OR '1'='1/",
        "/api/v1/games/arena%00/",
        "/api/v1/games/%27%3B%20DROP%20TABLE%20games_game%3B--/",
        "/api/v1/games/arena/scores/1 OR 1=1/",
        "/api/v1/games/arena/scores/1%00/",
        "/api/v1/games/arena/scores/-1/",
        "/api/v1/games/arena/scores/99999999999999999999999/",
        "/api/v1/games/arena/leaderboard/users/alice' OR '1'='1/",
        "/api/v1/games/arena/leaderboard/users/alice%00/",
        "/api/v1/games/..%2F..%2Fadmin/",
        "/games/arena' OR 1=1/live/",
    ],
)
def test_a_payload_in_a_path_is_a_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert_no_leak(response)


# --- metadata ------------------------------------------------------------------------------------------


HOSTILE_METADATA = {
    "'; DROP TABLE scores_score; --": "' OR '1'='1",
    "$.level": 1,
    "$[0]": [1, 2],
    "a->>'b'": "c",
    "a #> '{b}'": None,
    "@>": {"?|": ["x"]},
    "level__gt": 3,
    "user_id": 1,
    "camelCaseKey": {"snake_case_key": {"UPPER_KEY": True}},
    "__proto__": {"isAdmin": True},
    "key with \"quotes\" and 'apostrophes'": "\\\\",
    "ключ": "значение",
    "🎮": "🏆",
    "": "empty key",
    "a.b.c": {"d.e": 1},
    "$where": "function() { return true; }",
}


def test_hostile_score_metadata_round_trips_verbatim(world):
    player = UserFactory()

    created = bearer_client(player).post("/api/v1/games/arena/scores/", {"value": 5, "metadata": HOSTILE_METADATA})

    assert created.status_code == 201, created.content
    assert created.json()["data"]["score"]["metadata"] == HOSTILE_METADATA
    listed = CommittingAPIClient().get("/api/v1/games/arena/scores/", {"user": player.username})
    assert listed.json()["data"][0]["metadata"] == HOSTILE_METADATA


def test_hostile_game_metadata_round_trips_verbatim(studio_user):
    created = bearer_client(studio_user).post("/api/v1/games/", {"name": "Meta", "metadata": HOSTILE_METADATA})

    assert created.status_code == 201, created.content
    slug = created.json()["data"]["slug"]
    assert created.json()["data"]["metadata"] == HOSTILE_METADATA
    assert CommittingAPIClient().get(f"/api/v1/games/{slug}/").json()["data"]["metadata"] == HOSTILE_METADATA
    listed = CommittingAPIClient().get("/api/v1/games/", {"search": "Meta"}).json()["data"]
    assert listed[0]["metadata"] == HOSTILE_METADATA


def test_hostile_game_metadata_round_trips_through_an_update(studio_user):
    slug = bearer_client(studio_user).post("/api/v1/games/", {"name": "Patched"}).json()["data"]["slug"]

    updated = bearer_client(studio_user).patch(f"/api/v1/games/{slug}/", {"metadata": HOSTILE_METADATA})

    assert updated.status_code == 200, updated.content
    assert CommittingAPIClient().get(f"/api/v1/games/{slug}/").json()["data"]["metadata"] == HOSTILE_METADATA


@pytest.mark.parametrize(
    "metadata",
    [{"a": "\x00"}, {"\x00": 1}, {"nested": {"deeper": ["ok", "nul\x00here"]}}],
    ids=["value", "key", "deep"],
)
def test_a_nul_in_metadata_is_a_400_on_metadata(arena, metadata):
    response = bearer_client(UserFactory()).post("/api/v1/games/arena/scores/", {"value": 1, "metadata": metadata})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"].startswith("metadata")
    assert_no_leak(response)


@pytest.mark.parametrize("raw", [b'"\\ud800"', b'"\\udfff tail"', b'{"\\udc00": 1}'])
def test_a_lone_surrogate_in_metadata_is_a_400_not_a_crash(arena, raw):
    body = b'{"value": 1, "metadata": {"x": ' + raw + b"}}"

    response = bearer_client(UserFactory()).generic(
        "POST", "/api/v1/games/arena/scores/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert_no_leak(response)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"value": NaN}',
        b'{"value": Infinity}',
        b'{"value": 1e999}',
        b'{"value": 1, "metadata": {"x": -Infinity}}',
        b'{"value": 1, "value": "duplicate keys"}',
        b"[1]",
        b'"a string"',
        b'{"value": 1',
    ],
)
def test_non_json_or_non_object_bodies_are_a_400_not_a_crash(arena, raw):
    response = bearer_client(UserFactory()).generic(
        "POST", "/api/v1/games/arena/scores/", raw, content_type="application/json"
    )

    assert response.status_code == 400
    assert_no_leak(response)


# --- usernames ----------------------------------------------------------------------------------------


HOSTILE_USERNAMES = [
    "o'brien",
    'rob"ert',
    "Robert'); DROP TABLE accounts_user;--",
    "admin' --",
    "a b",
    "<script>",
    "name;",
    "abc\n",
    "abc\x00",
    "\x00abc",
    "Zoë",
    "İstanbul",
    "\uff46\uff55\uff4c\uff4c",  # fullwidth "full"
    "名前です",
    "١٢٣٤",
    "abc\u200b",
    "ab",
    "a" * 31,
    "a/b",
    "%27%20OR",
]


@pytest.mark.parametrize("username", HOSTILE_USERNAMES)
def test_a_hostile_username_is_refused_at_registration(username):
    body = {"email": "new@example.com", "username": username, "password": "Sturdy-pass-9876"}

    response = CommittingAPIClient().post("/api/v1/auth/register/", body)

    assert_refused(response, "username")
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("login", ["' OR '1'='1", "admin'--", "x@x.x' OR 1=1 --", "%", "_", "*"])
def test_a_sql_login_is_an_ordinary_401(world, login):
    response = CommittingAPIClient().post("/api/v1/auth/login/", {"username": login, "password": "' OR '1'='1"})

    assert response.status_code == 401
    assert_no_leak(response)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice\x00", "password": PASSWORD},
        {"username": "\x00", "password": "x"},
        {"username": "alice@example.com\x00' OR 1=1", "password": "x"},
        {"username": "alice", "password": "pass\x00word"},
    ],
)
def test_a_nul_in_a_login_is_refused_not_a_crash(world, body):
    response = CommittingAPIClient().post("/api/v1/auth/login/", body)

    assert response.status_code in (400, 401)
    assert_no_leak(response)


def test_like_wildcards_do_not_match_someone_elses_login(world):
    """`a%` or `_lice` must not sign in as alice with alice's password."""
    for login in ("a%", "_lice", "%", "ALIC_", "alice%"):
        response = CommittingAPIClient().post("/api/v1/auth/login/", {"username": login, "password": PASSWORD})
        assert response.status_code == 401, login


def test_hostile_input_left_the_database_intact(world, client):
    for payload in SQL_PAYLOADS:
        client.get("/api/v1/games/", {"search": payload.replace("\x00", "")})

    assert client.get("/api/v1/games/").json()["meta"]["total"] == 3
    assert json.loads(client.get("/api/v1/games/arena/leaderboard/").content)["meta"]["total"] == 3
