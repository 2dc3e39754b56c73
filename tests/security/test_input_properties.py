"""Property tests (hypothesis) of the input rules, over HTTP: for any input,
the API accepts exactly what the contract allows and refuses the rest with
a 400 naming the field, never a 500.

- score `value`: an integer within +/-(2**53 - 1), nothing else (CONTRACT §5);
- `metadata`: any JSON object within 4 KiB and 8 levels, round-tripping
  exactly; beyond either, a 400;
- usernames: exactly ^[A-Za-z0-9_-]{3,30}$ (CONTRACT §3);
- page, limit and sort: exactly the contract's ranges and whitelist (§2).
"""

import itertools
import json
import re
from decimal import Decimal

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from accounts.models import User
from tests.conftest import CommittingAPIClient, bearer_client
from tests.factories import GameFactory

pytestmark = pytest.mark.django_db

MAX_SAFE_INTEGER = 2**53 - 1
METADATA_MAX_BYTES = 4096
METADATA_MAX_DEPTH = 8
USERNAME = re.compile(r"[A-Za-z0-9_-]{3,30}")

PROPERTY = hypothesis.settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def player(db, settings):
    settings.SCORE_RATE = "100000/m"  # every example is a submission
    GameFactory(slug="arena")
    return bearer_client(User.objects.create_user(username="prop-player", email="prop@example.com"))


def post_json(client, path: str, body) -> object:
    """Post `body` encoded exactly as given (no client-side coercion)."""
    return client.generic("POST", path, json.dumps(body), content_type="application/json")


def refused_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    return {detail["field"] for detail in response.json()["error"]["details"]}


# --- Score values ---------------------------------------------------------------------------------------

text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
json_scalars = st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.integers() | text
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=6,
)
safe_integers = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
unsafe_integers = st.integers(min_value=MAX_SAFE_INTEGER + 1) | st.integers(max_value=-MAX_SAFE_INTEGER - 1)
integral_floats = safe_integers.map(float)  # 10.0 is refused too
numeric_strings = safe_integers.map(str)


def is_safe_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_SAFE_INTEGER


@PROPERTY
@given(value=safe_integers | st.sampled_from([0, -0, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]))
def test_every_integer_within_the_safe_range_is_accepted_exactly(player, value):
    response = post_json(player, "/api/v1/games/arena/scores/", {"value": value})

    assert response.status_code == 201, response.content
    assert response.json()["data"]["score"]["value"] == value


@PROPERTY
@given(
    value=(unsafe_integers | integral_floats | numeric_strings | json_values).filter(lambda v: not is_safe_integer(v))
)
def test_any_other_json_value_is_a_400_on_value(player, value):
    response = post_json(player, "/api/v1/games/arena/scores/", {"value": value})

    assert refused_fields(response) == {"value"}


# --- Metadata -------------------------------------------------------------------------------------------

keys = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
)
trees = st.recursive(
    leaves, lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4), max_leaves=12
)


@st.composite
def metadata_objects(draw) -> dict:
    """A JSON object, wrapped in up to 10 more levels and padded up to 6000 bytes:
    on both sides of both limits."""
    value = draw(st.dictionaries(keys, trees, max_size=5))
    for _ in range(draw(st.integers(0, 2) | st.integers(5, 10))):
        value = draw(st.sampled_from([{"nested": value}, {"items": [value]}]))
    padding = draw(st.just(0) | st.integers(3800, 4300) | st.integers(4300, 6000))
    if padding:
        value = {**value, "padding": "x" * padding}
    return value


def depth_of(value, level: int = 1) -> int:
    """Levels of containers, the metadata object itself being the first."""
    if isinstance(value, dict):
        return max([level, *(depth_of(item, level + 1) for item in value.values())])
    if isinstance(value, list):
        return max([level, *(depth_of(item, level + 1) for item in value)])
    return level - 1


def exact(value):
    """A JSON value with its numbers as exact decimals: 1e2 and 100 are the
    same JSON number, whichever way a database writes it back."""
    return json.loads(json.dumps(value), parse_float=Decimal, parse_int=Decimal)


@PROPERTY
@given(metadata=metadata_objects())
def test_metadata_within_the_limits_round_trips_and_beyond_them_is_a_400(player, metadata):
    depth = depth_of(metadata)
    compact = len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())
    widest = max(len(json.dumps(metadata).encode()), len(json.dumps(metadata, ensure_ascii=False).encode()))

    response = post_json(player, "/api/v1/games/arena/scores/", {"value": 1, "metadata": metadata})

    assert response.status_code in (201, 400), response.content
    if depth > METADATA_MAX_DEPTH or compact > METADATA_MAX_BYTES:
        assert refused_fields(response) == {"metadata"}
    elif widest <= METADATA_MAX_BYTES:
        assert response.status_code == 201, (depth, compact, response.content)
    if response.status_code == 201:
        score = response.json()["data"]["score"]
        assert exact(score["metadata"]) == exact(metadata)
        listed = CommittingAPIClient().get("/api/v1/games/arena/scores/", {"user": "prop-player", "limit": 1})
        assert listed.json()["data"][0]["id"] == score["id"]
        assert exact(listed.json()["data"][0]["metadata"]) == exact(metadata)


# --- Usernames ------------------------------------------------------------------------------------------

username_characters = st.sampled_from("abcxyzABCXYZ0189_-") | st.characters(exclude_categories=("Cs",))
serial = itertools.count()


@pytest.fixture
def registrar(db, settings):
    settings.REGISTER_RATE = "100000/m"
    return CommittingAPIClient()


@PROPERTY
@given(username=st.text(username_characters, max_size=34) | st.from_regex(USERNAME, fullmatch=True))
def test_a_username_is_accepted_exactly_when_it_follows_the_rule(registrar, username):
    taken = bool(USERNAME.fullmatch(username)) and User.objects.filter(username__iexact=username).exists()
    body = {"email": f"prop{next(serial)}@example.com", "username": username, "password": "Zq8!vN3#pL0@wX7$"}

    response = post_json(registrar, "/api/v1/auth/register/", body)

    if not USERNAME.fullmatch(username):
        assert "username" in refused_fields(response)
    elif taken:
        assert response.status_code == 409
    else:
        assert response.status_code == 201, response.content
        assert response.json()["data"]["username"] == username


# --- Page, limit and sort -------------------------------------------------------------------------------

query_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=14) | st.integers(-5, 10**13).map(str)


def valid_number(raw: str, maximum: int) -> bool:
    return re.fullmatch(r"[0-9]{1,12}", raw) is not None and 1 <= int(raw) <= maximum


@pytest.fixture
def reader(db):
    GameFactory(slug="arena")
    return CommittingAPIClient()


@PROPERTY
@given(page=query_text, limit=query_text)
def test_a_page_and_limit_are_served_exactly_when_the_contract_allows_them(reader, page, limit):
    response = reader.get("/api/v1/games/", {"page": page, "limit": limit})

    invalid = {
        name for name, raw, top in (("page", page, 10**12 - 1), ("limit", limit, 100)) if not valid_number(raw, top)
    }
    if invalid:
        assert refused_fields(response) <= invalid
    else:
        assert response.status_code == 200
        assert (response.json()["meta"]["page"], response.json()["meta"]["limit"]) == (int(page), int(limit))


GAME_SORTS = {"name", "createdAt", "playerCount"}


@PROPERTY
@given(sort=query_text | st.sampled_from(sorted(GAME_SORTS | {f"-{s}" for s in GAME_SORTS} | {"--name", "-", ""})))
def test_a_sort_is_served_exactly_when_it_names_a_whitelisted_field(reader, sort):
    response = reader.get("/api/v1/games/", {"sort": sort})

    if sort.removeprefix("-") in GAME_SORTS:
        assert response.status_code == 200
    else:
        assert refused_fields(response) == {"sort"}
