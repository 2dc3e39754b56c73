"""CONTRACT §9 as a property: on a board of any score order, operator and
subscore order, whatever players submit on whichever days, the board read
over HTTP after each 201 is the ranking recomputed in plain Python — on the
Redis path and on the database path."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.boards.boards import board_url, make_board, submit_to
from tests.conftest import PROPERTY_PLAYERS
from tests.factories import GameFactory
from tests.leaderboards.playing import PROPERTY_EXAMPLES, Accepted, expected_board, moment, read

pytestmark = pytest.mark.django_db

PERIODS = ["all", "day", "week", "month"]
SUNDAY_NOON = datetime(2031, 3, 9, 12, tzinfo=UTC)

BOARDS = st.fixed_dictionaries(
    {
        "score_order": st.sampled_from(["desc", "asc"]),
        "operator": st.sampled_from(["best", "latest", "sum"]),
        "subscore_order": st.sampled_from([None, "asc", "desc"]),
    }
)
# A step: who submits, what value and subscore, how many days pass first,
# and which period is read after it besides all time. Narrow ranges make
# equal values, equal subscores and repeats common; days passing cross day,
# ISO week and month boundaries.
STEPS = st.lists(
    st.tuples(
        st.integers(0, PROPERTY_PLAYERS - 1),
        st.integers(-3, 3),
        st.integers(0, 2),
        st.sampled_from([0, 0, 0, 0, 1, 2, 9]),
        st.sampled_from(PERIODS[1:]),
    ),
    min_size=1,
    max_size=10,
)


def as_read(entries: list[dict]) -> list[tuple]:
    return [
        (
            entry["rank"],
            entry["user"]["id"],
            entry["user"]["username"],
            entry["value"],
            moment(entry["achievedAt"]),
            entry["subscore"],
        )
        for entry in entries
    ]


def entries(game, key: str, as_user=None, **params) -> list[tuple]:
    response = read(board_url(game, key, "leaderboard/"), as_user, limit=100, **params)
    assert response.status_code == 200, response.content
    return as_read(response.json()["data"])


def play(players, spec, steps):
    game = GameFactory()
    key = make_board(game, name="Property", **spec)
    recompute = {
        "order": spec["score_order"],
        "operator": spec["operator"],
        "subscore_order": spec["subscore_order"],
    }
    accepted = []
    with time_machine.travel(SUNDAY_NOON, tick=False) as traveller:
        for index, value, subscore, days_later, period in steps:
            traveller.shift(timedelta(days=days_later, milliseconds=1))
            sent = subscore if spec["subscore_order"] else None
            accepted.append(Accepted.from_201(submit_to(game, key, players[index], value, sent)))
            now = timezone.now()

            assert entries(game, key) == expected_board(accepted, **recompute)
            assert entries(game, key, period=period) == expected_board(accepted, **recompute, period=period, now=now)
        for period in PERIODS:
            expected = expected_board(accepted, **recompute, period=period, now=now)
            assert entries(game, key, players[0], period=period) == expected
            usernames = ",".join(player.username for player in players[1:3])
            friends = [entry for entry in expected if entry[2] in usernames.split(",")]
            assert entries(game, key, period=period, users=usernames) == friends
    return game, key, expected_board(accepted, **recompute)


@pytest.mark.redis
@PROPERTY_EXAMPLES
@given(spec=BOARDS, steps=STEPS)
def test_boards_served_from_redis_equal_the_recomputed_rankings(private_redis, property_players, spec, steps):
    play(property_players, spec, steps)


@PROPERTY_EXAMPLES
@given(spec=BOARDS, steps=STEPS)
def test_boards_served_from_the_database_equal_the_recomputed_rankings(
    embedded_defaults, property_players, spec, steps
):
    play(property_players, spec, steps)
