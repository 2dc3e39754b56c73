"""How a submission changes a player's entry on a board (CONTRACT §9):
`best`, `latest` and `sum`, in each period on its own, and subscores."""

import pytest

from scores.models import Score
from tests.boards.boards import entries_of, make_board, post_to, submit_to
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import refused_field

pytestmark = pytest.mark.django_db

MAX_SAFE = 2**53 - 1
SUNDAY_LATE = "2031-03-09T23:00:00Z"  # the last hour of a day and of an ISO week
MONDAY = "2031-03-10T01:00:00Z"  # a new day and week, the same month
NEXT_MONTH = "2031-04-01T09:00:00Z"  # a new month, in a week that began on March 31st


@pytest.fixture
def game(db):
    return GameFactory(slug="stats")


@pytest.fixture
def ann(db):
    return UserFactory(username="ann")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def periods(game, key: str, as_user=None) -> dict[str, list[tuple[int, str, int, int | None]]]:
    return {period: entries_of(game, key, as_user, period=period) for period in ("all", "day", "week", "month")}


@pytest.mark.parametrize("signed_in", [False, True])
def test_sum_adds_up_in_each_period_on_its_own(game, ann, bob, time_machine, signed_in):
    key = make_board(game, name="Kills", operator="sum")
    reader = ann if signed_in else None
    time_machine.move_to(SUNDAY_LATE, tick=False)
    submit_to(game, key, ann, 5)
    submit_to(game, key, ann, 7)
    submit_to(game, key, bob, 10)
    assert periods(game, key, reader) == {
        period: [(1, "ann", 12, None), (2, "bob", 10, None)] for period in ("all", "day", "week", "month")
    }

    time_machine.move_to(MONDAY, tick=False)
    submit_to(game, key, bob, 3)
    submit_to(game, key, ann, -1)  # a sum may go down
    assert periods(game, key, reader) == {
        "all": [(1, "bob", 13, None), (2, "ann", 11, None)],
        "day": [(1, "bob", 3, None), (2, "ann", -1, None)],
        "week": [(1, "bob", 3, None), (2, "ann", -1, None)],
        "month": [(1, "bob", 13, None), (2, "ann", 11, None)],
    }

    time_machine.move_to(NEXT_MONTH, tick=False)
    submit_to(game, key, ann, 4)
    assert periods(game, key, reader) == {
        "all": [(1, "ann", 15, None), (2, "bob", 13, None)],
        "day": [(1, "ann", 4, None)],
        "week": [(1, "ann", 4, None)],
        "month": [(1, "ann", 4, None)],
    }


def test_latest_keeps_the_newest_value_in_each_period(game, ann, bob, time_machine):
    key = make_board(game, name="Level", operator="latest")
    time_machine.move_to(SUNDAY_LATE, tick=False)
    submit_to(game, key, ann, 30)
    submit_to(game, key, ann, 20)
    submit_to(game, key, bob, 25)
    assert entries_of(game, key) == [(1, "bob", 25, None), (2, "ann", 20, None)]

    time_machine.move_to(MONDAY, tick=False)
    submit_to(game, key, bob, 2)
    assert periods(game, key) == {
        "all": [(1, "ann", 20, None), (2, "bob", 2, None)],
        "day": [(1, "bob", 2, None)],
        "week": [(1, "bob", 2, None)],
        "month": [(1, "ann", 20, None), (2, "bob", 2, None)],
    }


def test_best_keeps_the_best_of_each_period(game, ann, time_machine):
    key = make_board(game, name="Lap", scoreOrder="asc")
    time_machine.move_to(SUNDAY_LATE, tick=False)
    submit_to(game, key, ann, 70)
    submit_to(game, key, ann, 90)

    time_machine.move_to(MONDAY, tick=False)
    submit_to(game, key, ann, 80)
    assert periods(game, key) == {
        "all": [(1, "ann", 70, None)],
        "day": [(1, "ann", 80, None)],
        "week": [(1, "ann", 80, None)],
        "month": [(1, "ann", 70, None)],
    }


@pytest.mark.parametrize(
    ("operator", "values", "personal_bests", "previous"),
    [
        ("best", [10, 5, 20], [True, False, True], [None, 10, 10]),
        ("latest", [10, 5, 20], [True, False, True], [None, 10, 5]),
        ("sum", [10, -3, 2], [True, False, True], [None, 10, 7]),
    ],
)
def test_the_201_says_whether_the_all_time_entry_got_better(game, ann, operator, values, personal_bests, previous):
    key = make_board(game, name="Board", operator=operator)

    answers = [submit_to(game, key, ann, value) for value in values]

    assert [answer["personalBest"] for answer in answers] == personal_bests
    assert [answer["previousBest"] for answer in answers] == previous
    assert all(answer["rank"] == 1 for answer in answers)
    assert [answer["score"]["board"] for answer in answers] == [key] * 3


@pytest.mark.parametrize("first", [MAX_SAFE, -MAX_SAFE])
def test_a_sum_beyond_the_safe_range_is_a_400_on_value_and_nothing_is_stored(game, ann, first):
    key = make_board(game, name="Coins", operator="sum")
    submit_to(game, key, ann, first)
    step = 1 if first > 0 else -1

    assert refused_field(post_to(game, key, ann, step)) == "value"

    assert Score.objects.filter(user=ann).count() == 1
    assert entries_of(game, key) == [(1, "ann", first, None)]
    assert entries_of(game, key, period="day") == [(1, "ann", first, None)]
    assert submit_to(game, key, ann, -step)["score"]["value"] == -step  # and the board goes on


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sum_refused_in_a_submission_of_its_own_transaction_stores_nothing_either(game, ann):
    # Outside a test's transaction PostgreSQL takes the statement and the
    # commit in one round trip: the refusal comes back with the commit, and
    # still takes the score back.
    test_a_sum_beyond_the_safe_range_is_a_400_on_value_and_nothing_is_stored(game, ann, MAX_SAFE)


def test_subscores_break_ties_then_time(game, time_machine):
    key = make_board(game, name="Time trial", scoreOrder="asc", subscoreOrder="desc")
    players = [UserFactory(username=name) for name in ("ann", "bob", "cat", "dan")]
    time_machine.move_to(SUNDAY_LATE, tick=False)
    for player, (value, subscore) in zip(players, [(60, 1), (60, 3), (59, 0), (60, 3)], strict=True):
        submit_to(game, key, player, value, subscore)
        time_machine.shift(1)

    assert entries_of(game, key) == [(1, "cat", 59, 0), (2, "bob", 60, 3), (3, "dan", 60, 3), (4, "ann", 60, 1)]
    assert entries_of(game, key, as_user=players[0]) == entries_of(game, key)


def test_an_ascending_subscore_ranks_the_lower_first(game):
    key = make_board(game, name="Score", subscoreOrder="asc")
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    submit_to(game, key, ann, 100, 9)
    submit_to(game, key, bob, 100, -4)

    assert entries_of(game, key) == [(1, "bob", 100, -4), (2, "ann", 100, 9)]


def test_a_best_keeps_the_better_pair_whole(game, ann):
    key = make_board(game, name="Score", subscoreOrder="desc")
    submit_to(game, key, ann, 100, 5)

    worse = submit_to(game, key, ann, 100, 2)
    better = submit_to(game, key, ann, 100, 9)
    lower = submit_to(game, key, ann, 99, 50)

    assert [worse["personalBest"], better["personalBest"], lower["personalBest"]] == [False, True, False]
    assert entries_of(game, key) == [(1, "ann", 100, 9)]


def test_a_board_with_a_subscore_needs_one_and_others_refuse_one(game, ann):
    with_subscore = make_board(game, name="Trial", subscoreOrder="asc")
    without = make_board(game, name="Plain")

    assert refused_field(post_to(game, with_subscore, ann, 10)) == "subscore"
    assert refused_field(post_to(game, without, ann, 10, subscore=3)) == "subscore"
    assert refused_field(post_to(game, with_subscore, ann, 10, subscore=2**53)) == "subscore"
    assert Score.objects.count() == 0


def test_a_boards_bounds_apply_to_its_submissions(game, ann):
    key = make_board(game, name="Bounded", minScore=0, maxScore=100)

    assert refused_field(post_to(game, key, ann, 101)) == "value"
    assert refused_field(post_to(game, key, ann, -1)) == "value"
    assert submit_to(game, key, ann, 100)["score"]["value"] == 100
