"""CONTRACT §6 as a property: whatever players submit, on whichever days, the
boards read over HTTP right after each 201 are the rankings recomputed in
plain Python from the submissions — on the Redis path and on the database
path."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import PROPERTY_PLAYERS
from tests.factories import GameFactory
from tests.leaderboards.playing import (
    PROPERTY_EXAMPLES,
    Accepted,
    as_read,
    board,
    expected_entries,
    me_url,
    read,
    redis_key,
    submit,
)

pytestmark = pytest.mark.django_db

PERIODS = ["all", "day", "week", "month"]
SUNDAY_NOON = datetime(2031, 3, 9, 12, tzinfo=UTC)

ORDERS = st.sampled_from(["desc", "asc"])
# A step: who submits, what value, how many days pass first, and which period
# board is read after it besides all time. Few players and a narrow range of
# values make ties and repeats common; days passing cross day, ISO week and
# month boundaries.
STEPS = st.lists(
    st.tuples(
        st.integers(0, PROPERTY_PLAYERS - 1),
        st.integers(-4, 4),
        st.sampled_from([0, 0, 0, 0, 1, 2, 9]),
        st.sampled_from(PERIODS[1:]),
    ),
    min_size=1,
    max_size=10,
)


def play(players, order, steps):
    """Run `steps` in a fresh game, a millisecond (or some days) apart,
    comparing the boards after every 201 and, at the end, every board and
    every player's own view; returns the game and the final all-time entries."""
    game = GameFactory(score_order=order)
    accepted = []
    with time_machine.travel(SUNDAY_NOON, tick=False) as traveller:
        assert board(game) == []  # the (empty) board exists before the first score
        for index, value, days_later, period in steps:
            traveller.shift(timedelta(days=days_later, milliseconds=1))
            accepted.append(Accepted.from_201(submit(game, players[index], value)))
            now = timezone.now()

            assert as_read(board(game)) == expected_entries(accepted, order=order)
            assert as_read(board(game, period=period)) == expected_entries(
                accepted, order=order, period=period, now=now
            )
        for period in PERIODS:
            expected = expected_entries(accepted, order=order, period=period, now=now)
            assert as_read(board(game, period=period)) == expected
            for player in players:
                view = read(me_url(game), player, period=period, radius=1).json()["data"]
                rank = next((entry[0] for entry in expected if entry[1] == player.pk), None)
                if rank is None:
                    assert view == {"entry": None, "around": []}
                else:
                    assert as_read([view["entry"]]) == [expected[rank - 1]]
                    assert as_read(view["around"]) == expected[max(rank - 2, 0) : rank + 1]
    return game, expected_entries(accepted, order=order)


@pytest.mark.redis
@PROPERTY_EXAMPLES
@given(order=ORDERS, steps=STEPS)
def test_the_boards_served_from_redis_equal_the_recomputed_rankings(private_redis, property_players, order, steps):
    game, expected = play(property_players, order, steps)

    with private_redis.client() as client:
        assert client.zcard(redis_key(game, "all")) == len(expected)


@PROPERTY_EXAMPLES
@given(order=ORDERS, steps=STEPS)
def test_the_boards_served_from_the_database_equal_the_recomputed_rankings(
    embedded_defaults, property_players, order, steps
):
    play(property_players, order, steps)
