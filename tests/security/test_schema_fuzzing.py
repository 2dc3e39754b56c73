"""Schema fuzzing (issue 6, item 5): schemathesis runs every operation of
/api/schema/ against the WSGI application in-process, with bounded examples,
and finds no 5xx and no response the schema does not describe: status code,
content type, body and documented headers.

Each operation is one test. Hypothesis draws, for every request, whether it
goes signed in (a bearer token of a user who may create games and owns the
games below) or anonymous. The fixture's games, players and scores give path
parameters something to resolve: fuzz dictionaries put a real slug or username
in nine path parameters out of ten (a random one in the tenth), and positive
cases of the score-id operations get a real score's id. Generation is
derandomized so that CI is repeatable; PODIUM_FUZZ_EXAMPLES=500
PODIUM_FUZZ_RANDOM=1 digs deeper by hand.

A failure prints the request to replay (curl) and which check it broke; fix
the application or the schema, and keep the finding as a plain test in
test_fuzzing_findings.py.
"""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Config

from accounts.services import issue_tokens
from games.services import create_game
from scores.boards import default_board
from scores.services import submit_score
from tests.factories import UserFactory
from tests.security.openapi import load_schema

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = int(os.environ.get("PODIUM_FUZZ_EXAMPLES", "100"))
DERANDOMIZE = not os.environ.get("PODIUM_FUZZ_RANDOM")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]

ARENA, EMPTY, PATCHED, ARCHIVED = "fuzz-arena", "fuzz-empty", "fuzz-patched", "fuzz-archived"
OWNER = "fuzz-owner"
PLAYERS = ["fuzz-player-0", "fuzz-player-1", "Fuzz-Player-2"]
REAL = 0.9  # how often a path parameter gets a value that exists


def _sometimes(dictionary: str, probability: float = REAL) -> dict:
    return {"dictionary": dictionary, "probability": probability}


CONFIG = Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "with-security-parameters": False},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "dictionaries": {
            # The owner has a score in the arena and none in the empty game.
            "games": {"values": [ARENA, ARENA, ARENA, EMPTY]},
            "patched": {"values": [PATCHED]},
            "archived": {"values": [ARCHIVED]},
            "players": {"values": [*PLAYERS, OWNER, "nobody-here"]},
            "emails": {"values": ["ana@example.com", "ana@exämple.com", "bo@пример.рф", "cy@[127.0.0.1]"]},
            "passwords": {"values": ["Correct-Horse-Battery-7", "ĉu-vi-parolas-esperanton?"]},
        },
        "parameters": {
            "path.slug": _sometimes("games"),
            "path.username": _sometimes("players"),
            "query.user": _sometimes("players", 0.5),
            # Addresses Django takes, internationalized ones too, and
            # passwords its validators take, so that registrations succeed.
            "body.email": _sometimes("emails", 0.3),
            "body.password": _sometimes("passwords", 0.5),
        },
        "operations": [
            {"include-name": "GET /api/v1/games/{slug}/", "parameters": {"path.slug": _sometimes("games")}},
            {"include-name": "PATCH /api/v1/games/{slug}/", "parameters": {"path.slug": _sometimes("patched")}},
            {"include-name": "DELETE /api/v1/games/{slug}/", "parameters": {"path.slug": _sometimes("archived")}},
        ],
    }
)
schema = load_schema(CONFIG)


@pytest.fixture
def world(settings):
    """Games and scores for the path parameters to name, and the fuzzer's token."""
    # Every attempt counts against the limits: at their defaults the run
    # would be mostly 429s.
    settings.SCORE_RATE = settings.LOGIN_RATE = settings.REGISTER_RATE = "100000/m"
    owner = UserFactory(studio=True, username=OWNER)
    players = [UserFactory(username=name) for name in PLAYERS]
    arena = create_game(owner=owner, name="Fuzz arena", slug=ARENA, metadata={"maxPlayers": 4})
    for slug in (EMPTY, PATCHED, ARCHIVED):
        create_game(owner=owner, name=slug.replace("-", " ").title(), slug=slug)
    for value, player in enumerate([owner, *players], start=10):
        submit_score(board=default_board(arena), user=player, value=value, metadata={"level": value})
    kept = submit_score(board=default_board(arena), user=players[0], value=7, metadata={}).data["score"]["id"]
    doomed = submit_score(board=default_board(arena), user=players[1], value=3, metadata={}).data["score"]["id"]
    return {
        "headers": {"Authorization": f"Bearer {issue_tokens(user=owner).access}"},
        # GET reads one score; DELETE (moderation by the game's owner) removes another.
        "score_ids": {"GET": str(kept), "DELETE": str(doomed)},
    }


@schema.parametrize()
@schema.given(anonymous=st.booleans())
@settings(suppress_health_check=list(HealthCheck), deadline=None, derandomize=DERANDOMIZE, database=None)
def test_every_operation_keeps_to_the_schema(case, anonymous, world):
    if case.path_parameters and "id" in case.path_parameters and case.meta and case.meta.generation.mode.is_positive:
        case.path_parameters["id"] = world["score_ids"].get(case.method.upper(), world["score_ids"]["GET"])
    case.call_and_validate(headers=None if anonymous else world["headers"])


# Charsets a client may name: UTF-8 spelt several ways, codecs that are not
# text (which Django would decode a body or query string with), text codecs
# that are not UTF-8, and none at all. Bodies in any but UTF-8 are a 415.
CHARSETS = ["utf-8", "UTF8", "rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri", "utf-7", "utf-16", "latin-1", "x"]
# Django reads at most 1,000 parameters: past that, a 400 in the envelope.
EXTRA_PARAMETERS = [0, 0, 1000, 1001, 1500]


@schema.parametrize()
@schema.given(anonymous=st.booleans(), charset=st.sampled_from(CHARSETS), extra=st.sampled_from(EXTRA_PARAMETERS))
@settings(
    max_examples=max(10, MAX_EXAMPLES // 4),
    suppress_health_check=list(HealthCheck),
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
)
def test_every_operation_keeps_to_the_schema_whatever_the_charset_and_the_number_of_parameters(
    case, anonymous, charset, extra, world
):
    """The outside probe's findings 1-3 (issue 10) as a class: no charset and
    no number of query parameters makes an operation answer outside its schema."""
    headers = {} if anonymous else dict(world["headers"])
    headers["Content-Type"] = f"application/json; charset={charset}"
    case.query = {**(case.query or {}), **{f"extra{n}": "v" for n in range(extra)}}
    case.call_and_validate(headers=headers)
