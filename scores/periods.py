"""Leaderboard periods: all time, and the current UTC day, ISO week and month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scores.models import Period

ALL_TIME_START = date(1970, 1, 1)
# A finished period's Redis keys linger this long, then expire by themselves.
EXPIRY_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Board:
    """One leaderboard: a game's ranking over one period."""

    game_id: int
    period: str
    start: date

    @property
    def expires_at(self) -> datetime | None:
        """When the board's period is over (plus grace); None for all time."""
        end = period_end(self.period, self.start)
        return None if end is None else datetime.combine(end, time(), tzinfo=UTC) + EXPIRY_GRACE


def period_start(period: str, moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    if period == Period.ALL:
        return ALL_TIME_START
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if period == Period.MONTH:
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def period_end(period: str, start: date) -> date | None:
    """The first day after the period that starts on `start`."""
    if period == Period.ALL:
        return None
    if period == Period.DAY:
        return start + timedelta(days=1)
    if period == Period.WEEK:
        return start + timedelta(days=7)
    if period == Period.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def current_board(game_id: int, period: str, moment: datetime) -> Board:
    return Board(game_id=game_id, period=period, start=period_start(period, moment))


def boards_at(game_id: int, moment: datetime) -> list[Board]:
    """The four boards a score accepted at `moment` counts on."""
    return [current_board(game_id, period, moment) for period in Period.values]
