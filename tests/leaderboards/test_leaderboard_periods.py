"""CONTRACT §6: `day`, `week` (ISO) and `month` boards are the current UTC
calendar period; `all` (the default) is every score. A fake clock carries
scores across the boundaries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import (
    board,
    leaderboard_url,
    me_url,
    moment,
    player_url,
    read,
    refused_field,
    standings,
    submit,
)

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2031, 3, 4, 18, 30, tzinfo=UTC)
WEDNESDAY = datetime(2031, 3, 5, 9, 0, tzinfo=UTC)
SUNDAY_NIGHT = datetime(2031, 3, 9, 23, 59, 59, 999_999, tzinfo=UTC)  # ISO week 10
MONDAY_MIDNIGHT = datetime(2031, 3, 10, tzinfo=UTC)  # ISO week 11
LAST_OF_MARCH = datetime(2031, 3, 31, 22, 0, tzinfo=UTC)  # Monday of ISO week 14
FIRST_OF_APRIL = datetime(2031, 4, 1, 1, 0, tzinfo=UTC)  # Tuesday of ISO week 14
NEW_YEARS_EVE = datetime(2031, 12, 31, 23, 0, tzinfo=UTC)  # Wednesday of ISO week 2032-W01
NEW_YEARS_DAY = datetime(2032, 1, 1, 8, 0, tzinfo=UTC)  # Thursday of ISO week 2032-W01

PERIODS = ["all", "day", "week", "month"]


@pytest.fixture(autouse=True)
def _many_submissions_allowed(settings):
    settings.SCORE_RATE = "1000/m"


def listed_after(scored_at: datetime, read_at: datetime, period: str) -> bool:
    """Whether a score made at `scored_at` is on the `period` board read at `read_at`."""
    game = GameFactory()
    player = UserFactory()
    with time_machine.travel(scored_at, tick=False) as traveller:
        submit(game, player, 10)
        traveller.move_to(read_at)
        entries = board(game, period=period)
    return [entry["user"]["username"] for entry in entries] == [player.username]


@pytest.mark.parametrize(("period", "listed"), [("all", True), ("day", False), ("week", True), ("month", True)])
def test_a_score_from_yesterday_is_on_this_weeks_and_months_boards_but_not_todays(period, listed):
    assert listed_after(TUESDAY, WEDNESDAY, period) is listed


@pytest.mark.parametrize(("period", "listed"), [("all", True), ("day", False), ("week", False), ("month", True)])
def test_a_score_from_sunday_night_is_off_the_week_board_from_monday_midnight(period, listed):
    assert listed_after(SUNDAY_NIGHT, MONDAY_MIDNIGHT, period) is listed


@pytest.mark.parametrize(("period", "listed"), [("all", True), ("day", False), ("week", True), ("month", False)])
def test_a_score_from_the_last_of_a_month_is_off_the_month_board_on_the_first_but_still_this_weeks(period, listed):
    assert listed_after(LAST_OF_MARCH, FIRST_OF_APRIL, period) is listed


@pytest.mark.parametrize(("period", "listed"), [("all", True), ("day", False), ("week", True), ("month", False)])
def test_the_iso_week_board_runs_across_new_year(period, listed):
    assert listed_after(NEW_YEARS_EVE, NEW_YEARS_DAY, period) is listed


@pytest.mark.parametrize("period", PERIODS)
def test_a_score_is_on_every_board_of_the_moment_it_was_made(period):
    assert listed_after(SUNDAY_NIGHT, SUNDAY_NIGHT, period) is True


def test_a_score_at_midnight_is_on_the_new_days_board_only():
    game = GameFactory()
    late, early = UserFactory.create_batch(2)
    with time_machine.travel(SUNDAY_NIGHT, tick=False) as traveller:
        submit(game, late, 10)
        traveller.move_to(MONDAY_MIDNIGHT)
        submit(game, early, 5)
        traveller.shift(timedelta(hours=23, minutes=59))
        entries = board(game, period="day")

    assert standings(entries) == [(1, early.username, 5)]


def test_a_period_board_ranks_each_players_best_within_the_period():
    game = GameFactory()
    veteran, newcomer = UserFactory.create_batch(2)
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        submit(game, veteran, 100)
        traveller.move_to(WEDNESDAY)
        submit(game, veteran, 40)
        submit(game, newcomer, 60)
        entries = board(game, period="day")

    assert standings(entries) == [(1, newcomer.username, 60), (2, veteran.username, 40)]


def test_the_all_time_board_keeps_a_best_from_an_earlier_period():
    game = GameFactory()
    veteran, newcomer = UserFactory.create_batch(2)
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        submit(game, veteran, 100)
        traveller.move_to(WEDNESDAY)
        submit(game, veteran, 40)
        submit(game, newcomer, 60)
        entries = board(game, period="all")

    assert standings(entries) == [(1, veteran.username, 100), (2, newcomer.username, 60)]


def test_a_period_entrys_achieved_at_is_when_the_value_was_reached_within_the_period():
    game = GameFactory()
    player = UserFactory()
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        submit(game, player, 100)
        traveller.move_to(WEDNESDAY)
        submit(game, player, 100)
        [today] = board(game, period="day")
        [ever] = board(game, period="all")

    assert moment(today["achievedAt"]) == WEDNESDAY
    assert moment(ever["achievedAt"]) == TUESDAY


def test_a_tie_on_a_period_board_goes_to_whoever_reached_the_value_first_within_the_period():
    game = GameFactory()
    veteran, newcomer = UserFactory.create_batch(2)
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        submit(game, veteran, 100)
        traveller.move_to(WEDNESDAY)
        submit(game, newcomer, 100)
        traveller.shift(timedelta(minutes=5))
        submit(game, veteran, 100)
        today = board(game, period="day")
        ever = board(game, period="all")

    assert standings(today) == [(1, newcomer.username, 100), (2, veteran.username, 100)]
    assert standings(ever) == [(1, veteran.username, 100), (2, newcomer.username, 100)]


def test_the_period_defaults_to_all_time():
    game = GameFactory()
    player = UserFactory()
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        submit(game, player, 10)
        traveller.move_to(WEDNESDAY)
        default = board(game)
        all_time = board(game, period="all")

    assert default == all_time
    assert standings(default) == [(1, player.username, 10)]


def test_the_month_board_keeps_scores_from_earlier_weeks_of_the_month():
    game = GameFactory()
    early, late = UserFactory.create_batch(2)
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        submit(game, early, 7)
        traveller.move_to(LAST_OF_MARCH)
        submit(game, late, 3)
        entries = board(game, period="month")

    assert standings(entries) == [(1, early.username, 7), (2, late.username, 3)]


BAD_PERIODS = ["year", "ALL", "Day", "", " week", "weekly", "all,day"]


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_an_unknown_period_on_the_board_is_a_400_naming_period(period):
    game = GameFactory()

    assert refused_field(read(leaderboard_url(game), period=period)) == "period"


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_an_unknown_period_on_my_entry_is_a_400_naming_period(period, user):
    game = GameFactory()

    assert refused_field(read(me_url(game), user, period=period)) == "period"


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_an_unknown_period_on_a_players_entry_is_a_400_naming_period(period, user):
    game = GameFactory()
    submit(game, user, 1)

    assert refused_field(read(player_url(game, user.username), period=period)) == "period"
