"""What schema fuzzing found, each kept as a plain test (test_schema_fuzzing.py
finds them again only by chance).

Responses are checked against the published schema by schemathesis itself, so
"keeps to the schema" here means what it means to the fuzzer.
"""

import pytest

from accounts.services import issue_tokens
from config.api.query import MAX_PAGE
from games.services import create_game
from scores.boards import default_board
from scores.services import submit_score
from tests.factories import UserFactory
from tests.security.openapi import call, load_schema

# The WSGI application closes the connection at the end of every request, as
# in production: the data must be committed, not held in a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-7"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    # The schema view reads no table, but Django's request_started handler
    # touches the connection.
    with django_db_blocker.unblock():
        return load_schema()


@pytest.fixture
def arena(settings):
    settings.REGISTER_RATE = "1000/m"
    owner = UserFactory(username="arena-owner")
    game = create_game(owner=owner, name="Arena", slug="arena")
    submit_score(board=default_board(game), user=owner, value=42, metadata={"level": 3})
    return game


def keeps_to_the_schema(schema, method: str, path: str, response) -> None:
    """Raises schemathesis' FailureGroup when the body breaks the schema."""
    schema[path][method].validate_response(response)


# --- 1. Internationalized email addresses broke the User schema ---------------
# POST /api/v1/auth/register/ {"email": "ana@exämple.com", ...} was a 201 whose
# `email` is not `format: email` (RFC 5321 wants an ASCII domain), so the
# response broke the schema. Django's validation takes internationalized
# domains; the schema now says `idn-email`.


@pytest.mark.parametrize("email", ["ana@exämple.com", "bo@пример.рф", "cy@example.com"])
def test_a_registration_with_an_internationalized_address_keeps_to_the_schema(schema, settings, email):
    settings.REGISTER_RATE = "1000/m"
    response = call("POST", "/api/v1/auth/register/", json={"email": email, "username": "ana", "password": PASSWORD})

    assert response.status_code == 201, response.get_data()
    assert response.json["data"]["email"] == email
    keeps_to_the_schema(schema, "POST", "/api/v1/auth/register/", response)
    me = call("GET", "/api/v1/auth/me/", token=issue_tokens(user=UserFactory._meta.model.objects.get()).access)
    assert me.status_code == 200
    keeps_to_the_schema(schema, "GET", "/api/v1/auth/me/", me)


def test_the_schema_calls_email_addresses_idn_email(schema):
    components = schema.raw_schema["components"]["schemas"]

    assert components["User"]["properties"]["email"]["format"] == "idn-email"
    assert components["RegisterRequest"]["properties"]["email"]["format"] == "idn-email"


# --- 2. Public reads were documented as needing credentials -------------------
# GET /api/v1/games/, /games/{slug}/, /games/{slug}/scores/ and
# /games/{slug}/scores/{id}/ answer anyone (CONTRACT §4, §5), but their
# `security` listed only the bearer token and the cookie, so a client
# generated from the schema (and the fuzzer) always sent credentials.

PUBLIC_READS = [
    ("/api/v1/games/", "/api/v1/games/"),
    ("/api/v1/games/{slug}/", "/api/v1/games/arena/"),
    ("/api/v1/games/{slug}/scores/", "/api/v1/games/arena/scores/"),
    ("/api/v1/games/{slug}/scores/{id}/", "/api/v1/games/arena/scores/{score_id}/"),
    ("/api/v1/games/{slug}/leaderboard/", "/api/v1/games/arena/leaderboard/"),
    ("/api/v1/games/{slug}/leaderboard/users/{username}/", "/api/v1/games/arena/leaderboard/users/arena-owner/"),
]


@pytest.mark.parametrize(("template", "url"), PUBLIC_READS)
def test_public_reads_are_documented_as_open_to_anonymous_callers(schema, arena, template, url):
    operation = schema.raw_schema["paths"][template]["get"]
    response = call("GET", url.format(score_id=arena.scores.get().pk))

    assert {} in operation["security"]
    assert response.status_code == 200, response.get_data()
    keeps_to_the_schema(schema, "GET", template, response)


def test_signed_in_only_operations_are_not_documented_as_anonymous(schema):
    paths = schema.raw_schema["paths"]

    assert {} not in paths["/api/v1/auth/me/"]["get"]["security"]
    assert {} not in paths["/api/v1/games/{slug}/leaderboard/me/"]["get"]["security"]
    assert {} not in paths["/api/v1/games/"]["post"]["security"]
    assert {} not in paths["/api/v1/games/{slug}/scores/"]["post"]["security"]


# --- 3. Query and path parameters without the bounds the server applies -------
# Values the schema allowed were refused with a 400: `?radius=51` (0 to 50),
# `?page=10000000000000` (at most 12 digits), `?user=a b` (a username);
# and game slugs in paths had no length (at most 64). The schema now states
# each bound; the server's answers at the edges are unchanged.


def _parameter(schema, path: str, name: str) -> dict:
    parameters = schema.raw_schema["paths"][path]["get"]["parameters"]
    return next(parameter["schema"] for parameter in parameters if parameter["name"] == name)


def test_the_schema_states_the_bounds_of_radius_page_user_and_slugs(schema):
    assert _parameter(schema, "/api/v1/games/{slug}/leaderboard/me/", "radius") == {
        "type": "integer",
        "format": "int64",
        "minimum": 0,
        "maximum": 50,
        "default": 5,
    }
    for path in ("/api/v1/games/", "/api/v1/games/{slug}/scores/", "/api/v1/games/{slug}/leaderboard/"):
        assert _parameter(schema, path, "page")["maximum"] == MAX_PAGE
    assert _parameter(schema, "/api/v1/games/{slug}/scores/", "user")["pattern"] == "^[A-Za-z0-9_-]{3,30}$"
    assert _parameter(schema, "/api/v1/games/{slug}/", "slug")["maxLength"] == 64
    assert _parameter(schema, "/api/v1/games/{slug}/leaderboard/", "slug")["maxLength"] == 64


@pytest.mark.parametrize(
    ("query", "status"),
    [("radius=0", 200), ("radius=50", 200), ("radius=51", 400), ("radius=-1", 400)],
)
def test_radius_is_taken_exactly_within_its_documented_bounds(schema, arena, query, status):
    token = issue_tokens(user=arena.owner).access
    response = call("GET", f"/api/v1/games/arena/leaderboard/me/?{query}", token=token)

    assert response.status_code == status
    if status == 400:
        assert response.json["error"]["details"][0]["field"] == "radius"
    keeps_to_the_schema(schema, "GET", "/api/v1/games/{slug}/leaderboard/me/", response)


@pytest.mark.parametrize("path", ["/api/v1/games/", "/api/v1/games/arena/scores/", "/api/v1/games/arena/leaderboard/"])
def test_the_last_documented_page_is_an_empty_page_and_the_next_a_400(schema, arena, path):
    last = call("GET", f"{path}?page={MAX_PAGE}")
    past = call("GET", f"{path}?page={MAX_PAGE + 1}")

    assert last.status_code == 200
    assert last.json["data"] == []
    assert last.json["meta"]["page"] == MAX_PAGE
    assert past.status_code == 400
    assert past.json["error"]["details"][0] == {
        "field": "page",
        "message": f"page must be an integer between 1 and {MAX_PAGE}.",
    }


@pytest.mark.parametrize(("user", "status"), [("arena-owner", 200), ("ARENA-OWNER", 200), ("ab", 400), ("a b", 400)])
def test_the_user_filter_takes_exactly_what_its_pattern_allows(schema, arena, user, status):
    response = call("GET", "/api/v1/games/arena/scores/", query_string={"user": user})

    assert response.status_code == status
    keeps_to_the_schema(schema, "GET", "/api/v1/games/{slug}/scores/", response)
