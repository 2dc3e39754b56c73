"""What a client author needs from the OpenAPI document (issue 11, items
13-17): answers that validate under a strict JSON Schema validator, typed
integers and literals, client-facing text, names that generate well, and the
error statuses each operation can really answer."""

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

DOCUMENT_URI = "urn:podium-api"


@pytest.fixture
def schema(api):
    response = api.get("/api/schema.json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def response_validator(schema, operation_id: str, status: str) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for one response body of the document."""
    method, path = next((m, p) for m, p, op in operations(schema) if op["operationId"] == operation_id)
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"#/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema"
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(schema, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": DOCUMENT_URI + pointer}, registry=registry)


def subschemas(node):
    """Every schema-like object in the document, parameters and headers included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from subschemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from subschemas(value)


def texts(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


# --- 13. null where the schema allows it ------------------------------------

ME = "/api/v1/games/{slug}/leaderboard/me/"


def test_my_standing_without_an_entry_validates_against_the_schema(schema):
    game, player = GameFactory(), UserFactory()
    response = bearer_client(player).get(f"/api/v1/games/{game.slug}/leaderboard/me/")

    assert response.status_code == 200
    assert response.json()["data"] == {"entry": None, "around": []}
    assert list(response_validator(schema, "games_leaderboard_me_retrieve", "200").iter_errors(response.json())) == []


def test_my_standing_with_an_entry_validates_against_the_schema(schema):
    game, player = GameFactory(), UserFactory()
    client = bearer_client(player)
    assert client.post(f"/api/v1/games/{game.slug}/scores/", {"value": 42}, format="json").status_code == 201
    response = client.get(f"/api/v1/games/{game.slug}/leaderboard/me/")

    assert response.json()["data"]["entry"]["value"] == 42
    assert list(response_validator(schema, "games_leaderboard_me_retrieve", "200").iter_errors(response.json())) == []


def test_nullable_fields_use_3_1_nulls_not_nullable(schema):
    assert not [node for node in subschemas(schema["components"]) if "nullable" in node]


# --- 14. integers carry a format ---------------------------------------------


def test_the_score_id_path_parameter_is_an_int64_integer(schema):
    for method in ("get", "delete"):
        parameters = schema["paths"]["/api/v1/games/{slug}/scores/{id}/"][method]["parameters"]
        score_id = next(parameter for parameter in parameters if parameter["name"] == "id")
        assert score_id["in"] == "path"
        assert score_id["schema"]["type"] == "integer"
        assert score_id["schema"]["format"] == "int64"
        assert score_id["schema"]["minimum"] == 1


def _is_integer(node: dict) -> bool:
    kind = node.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def test_every_integer_has_a_format(schema):
    integers = [node for node in subschemas(schema) if _is_integer(node)]

    assert len(integers) > 20  # fields, parameters and headers
    assert [node for node in integers if node.get("format") not in ("int32", "int64")] == []


# --- 15. success is a literal ------------------------------------------------


def test_success_is_literal_true_in_every_success_answer(schema):
    components = schema["components"]["schemas"]
    for method, path, operation in operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith("2") or "content" not in response:
                continue
            body = response["content"]["application/json"]["schema"]
            if "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[-1]]
            assert body["properties"]["success"]["const"] is True, (method, path, status)


def test_success_is_literal_false_in_the_error_envelope(schema):
    envelope = schema["components"]["schemas"]["ErrorEnvelope"]

    assert envelope["properties"]["success"]["const"] is False


# --- 16. client-facing text --------------------------------------------------

# Words about how Podium is built, and developers' identifiers (snake_case;
# a permission such as games.add_game is the client's business, so it stays).
INTERNAL_WORDS = re.compile(
    r"\b(views?|viewsets?|wire|lazily|docstrings?|serializers?|selectors?|querysets?|hooks?)\b", re.IGNORECASE
)
IDENTIFIER = re.compile(r"(?<![.\w])[a-z][a-z0-9]*_[a-z0-9_]+")


def test_every_operation_has_a_summary_and_a_description(schema):
    for method, path, operation in operations(schema):
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)


def test_every_component_has_a_description(schema):
    for name, component in schema["components"]["schemas"].items():
        assert component.get("description"), name


def test_no_text_in_the_schema_talks_about_implementation(schema):
    found = [text for text in texts(schema) if INTERNAL_WORDS.search(text) or IDENTIFIER.search(text)]

    assert found == []


# --- 17. names that generate well --------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_no_component_is_named_like_one_of_its_own_properties(schema):
    for name, component in schema["components"]["schemas"].items():
        properties = {_snake(prop) for prop in component.get("properties", {})}
        assert _snake(name) not in properties, name


def test_the_me_answer_is_a_standing_not_an_around(schema):
    body = schema["paths"][ME]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert body["properties"]["data"] == {"$ref": "#/components/schemas/Standing"}
    assert "Around" not in schema["components"]["schemas"]


def test_sort_values_have_names_in_generated_clients(schema):
    components = schema["components"]["schemas"]
    for path in ("/api/v1/games/", "/api/v1/games/{slug}/scores/"):
        sort = next(
            parameter for parameter in schema["paths"][path]["get"]["parameters"] if parameter["name"] == "sort"
        )
        enum = components[sort["schema"]["$ref"].rsplit("/", 1)[-1]]
        names = enum["x-enum-varnames"]
        assert len(names) == len(enum["enum"]) == len(set(names))
        assert all(re.fullmatch(r"[A-Z]+(?:_[A-Z]+)*", name) for name in names)
        assert dict(zip(enum["enum"], names, strict=True))["-createdAt"] == "CREATED_AT_DESC"


def test_a_player_is_one_component_wherever_it_appears(schema):
    components = schema["components"]["schemas"]

    assert "UserEntry" not in components
    for owner, field in (("Game", "owner"), ("Score", "user"), ("Entry", "user")):
        assert "#/components/schemas/UserRef" in str(components[owner]["properties"][field]), owner


def test_the_game_path_parameter_has_one_name_everywhere(schema):
    game_paths = [path for path in schema["paths"] if path.startswith("/api/v1/games/{")]

    assert len(game_paths) == 13  # the game, its scores and leaderboard, and the same under boards/{key}/
    assert all(path.startswith("/api/v1/games/{slug}/") for path in game_paths)
    for method, path, operation in operations(schema):
        names = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "path"}
        assert names == set(re.findall(r"\{(\w+)\}", path)), (method, path)


def test_the_document_names_its_server(schema):
    assert schema["servers"] == [{"url": "/", "description": "The server this document is served from."}]


# --- 17. the error statuses each operation can answer --------------------------

PUBLIC_READ = {400, 401, 404, 500, 503}
WRITE = {400, 401, 403, 404, 500, 503}
BODY = {413, 415}
EXPECTED_ERRORS = {
    ("get", "/api/v1/auth/csrf/"): {400, 500},
    ("post", "/api/v1/auth/register/"): {400, 409, 429, 500, 503} | BODY,
    ("post", "/api/v1/auth/login/"): {400, 401, 429, 500, 503} | BODY,
    ("post", "/api/v1/auth/refresh/"): {400, 401, 403, 500, 503} | BODY,
    ("post", "/api/v1/auth/logout/"): {400, 401, 403, 500, 503} | BODY,
    ("get", "/api/v1/auth/me/"): {400, 401, 500, 503},
    ("get", "/api/v1/games/"): {400, 401, 500, 503},
    ("post", "/api/v1/games/"): {400, 401, 403, 409, 500, 503} | BODY,
    ("get", "/api/v1/games/{slug}/"): PUBLIC_READ,
    ("patch", "/api/v1/games/{slug}/"): WRITE | {409} | BODY,
    ("delete", "/api/v1/games/{slug}/"): WRITE,
    ("get", "/api/v1/games/{slug}/scores/"): PUBLIC_READ,
    ("post", "/api/v1/games/{slug}/scores/"): WRITE | {409, 429} | BODY,
    ("get", "/api/v1/games/{slug}/scores/{id}/"): PUBLIC_READ,
    ("delete", "/api/v1/games/{slug}/scores/{id}/"): WRITE,
    ("get", "/api/v1/games/{slug}/leaderboard/"): PUBLIC_READ,
    ("get", "/api/v1/games/{slug}/leaderboard/me/"): PUBLIC_READ,
    ("get", "/api/v1/games/{slug}/leaderboard/users/{username}/"): PUBLIC_READ,
    ("get", "/api/v1/games/{slug}/boards/"): PUBLIC_READ,
    ("post", "/api/v1/games/{slug}/boards/"): WRITE | {409} | BODY,
    ("get", "/api/v1/games/{slug}/boards/{key}/"): PUBLIC_READ,
    ("patch", "/api/v1/games/{slug}/boards/{key}/"): WRITE | {409} | BODY,
    ("delete", "/api/v1/games/{slug}/boards/{key}/"): WRITE | {409},
    ("get", "/api/v1/games/{slug}/boards/{key}/scores/"): PUBLIC_READ,
    ("post", "/api/v1/games/{slug}/boards/{key}/scores/"): WRITE | {409, 429} | BODY,
    ("get", "/api/v1/games/{slug}/boards/{key}/scores/{id}/"): PUBLIC_READ,
    ("delete", "/api/v1/games/{slug}/boards/{key}/scores/{id}/"): WRITE,
    ("get", "/api/v1/games/{slug}/boards/{key}/leaderboard/"): PUBLIC_READ,
    ("get", "/api/v1/games/{slug}/boards/{key}/leaderboard/me/"): PUBLIC_READ,
    ("get", "/api/v1/games/{slug}/boards/{key}/leaderboard/users/{username}/"): PUBLIC_READ,
}


def _errors(operation) -> set[int]:
    return {int(status) for status in operation["responses"] if int(status) >= 400}


def test_each_operation_lists_the_errors_it_can_answer_and_no_others(schema):
    listed = {(method, path): _errors(operation) for method, path, operation in operations(schema)}

    assert listed == EXPECTED_ERRORS


def test_reads_list_no_body_or_conflict_errors(schema):
    for method, path, operation in operations(schema):
        if method == "get":
            assert not _errors(operation) & {409, 413, 415}, path
        assert {400, 500} <= _errors(operation), (method, path)


def test_every_rate_limited_answer_documents_retry_after(schema):
    limited = [operation for _, _, operation in operations(schema) if "429" in operation["responses"]]

    # Sign-in, sign-up, and a submission on a game's and on a board's path.
    assert len(limited) == 4
    for operation in limited:
        header = operation["responses"]["429"]["headers"]["Retry-After"]
        assert header["required"] is True
        assert header["schema"]["type"] == "integer"
