"""Leaderboard periods: all time, and the UTC days, ISO weeks and months, each
of which a board keeps on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scores.models import Period

ALL_TIME_START = date(1970, 1, 1)
# A finished period's Redis keys linger this long, then expire by themselves.
EXPIRY_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class BoardPeriod:
    """One ranking: a board over one period (all time, or the day, week or
    month that starts on `start`)."""

    board_id: int
    period: str
    start: date

    @property
    def end(self) -> date | None:
        return period_end(self.period, self.start)

    @property
    def starts_at(self) -> datetime | None:
        """The period's first moment; None for all time."""
        return None if self.period == Period.ALL else _midnight(self.start)

    @property
    def ends_at(self) -> datetime | None:
        """The moment after the period (its reset); None for all time."""
        end = self.end
        return None if end is None else _midnight(end)

    def is_over(self, now: datetime) -> bool:
        """Whether the period ended before `now`: a past period, read from
        PostgreSQL only."""
        end = self.ends_at
        return end is not None and end <= now

    @property
    def expires_at(self) -> datetime | None:
        """When the board's period is over (plus grace); None for all time."""
        end = self.ends_at
        return None if end is None else end + EXPIRY_GRACE


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


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


def period_containing(board_id: int, period: str, moment: datetime) -> BoardPeriod:
    return BoardPeriod(board_id=board_id, period=period, start=period_start(period, moment))


def period_on(board_id: int, period: str, day: date) -> BoardPeriod:
    """The board's period that contains the UTC date `day`."""
    return period_containing(board_id, period, _midnight(day))


def periods_at(board_id: int, moment: datetime) -> list[BoardPeriod]:
    """The four periods of a board that a score accepted at `moment` counts on."""
    return [period_containing(board_id, period, moment) for period in Period.values]
