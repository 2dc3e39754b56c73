"""What the operator's dashboard of one game shows (issue #11): players now,
submissions and distinct players per hour, the all-time board's score
distribution and its top 10.

Each aggregate is one query whose cost does not grow with the game's
history: the hourly counts read only the last 48 hours of scores through
the (game, created_at) index, the distribution and the top 10 read the
all-time board through its ranking index (index-only scans). Results are
exact, never sampled or cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from games.models import Game
from games.units import score_unit
from realtime.presence import PlayerCount, player_counts
from scores.boards import default_board
from scores.models import Best, Period, Score
from scores.periods import ALL_TIME_START

SUBMISSION_HOURS = 48
PLAYER_HOURS = 24
HISTOGRAM_BUCKETS = 20
TOP_ENTRIES = 10


@dataclass(frozen=True)
class Hour:
    """One UTC hour: scores accepted in it, and the distinct players who sent them."""

    start: datetime
    submissions: int
    players: int


@dataclass(frozen=True)
class Bucket:
    """Players whose all-time best lies in [low, high] (both inclusive)."""

    low: int
    high: int
    players: int


@dataclass(frozen=True)
class TopEntry:
    rank: int
    username: str
    value: int
    achieved_at: datetime


@dataclass(frozen=True)
class Dashboard:
    game: Game
    unit: str | None
    now: datetime
    players_now: PlayerCount
    hours: list[Hour]  # the last SUBMISSION_HOURS hours, oldest first, the current one last
    buckets: list[Bucket]  # ascending values; empty for an empty board
    top: list[TopEntry]

    @property
    def player_hours(self) -> list[Hour]:
        return self.hours[-PLAYER_HOURS:]

    @property
    def recent_submissions(self) -> int:
        return sum(hour.submissions for hour in self.hours)

    @property
    def board_size(self) -> int:
        return sum(bucket.players for bucket in self.buckets)


def game_dashboard(*, game: Game, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, at `now` (default: the present). Runs
    three queries and one presence read, whatever the number of scores."""
    now = now or timezone.now()
    return Dashboard(
        game=game,
        unit=score_unit(game.metadata),
        now=now,
        players_now=player_counts([game.pk])[game.pk],
        hours=hourly_activity(game=game, now=now),
        buckets=score_distribution(game=game),
        top=top_entries(game=game),
    )


def hourly_activity(*, game: Game, now: datetime, hours: int = SUBMISSION_HOURS) -> list[Hour]:
    """Submissions and distinct submitting players in each of the last `hours`
    UTC hours (the current, unfinished one last), every hour present: one
    grouped query over the time range, zero-filled here."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=hours - 1)
    rows = (
        Score.objects.filter(game=game, created_at__gte=first, created_at__lt=current + timedelta(hours=1))
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour")
        .annotate(submissions=Count("id"), players=Count("user_id", distinct=True))
        .order_by()
    )
    found = {row["hour"].astimezone(UTC): row for row in rows}
    starts = [first + timedelta(hours=index) for index in range(hours)]
    return [
        Hour(start=start, submissions=found[start]["submissions"], players=found[start]["players"])
        if start in found
        else Hour(start=start, submissions=0, players=0)
        for start in starts
    ]


def score_distribution(*, game: Game, buckets: int = HISTOGRAM_BUCKETS) -> list[Bucket]:
    """The all-time board's bests in at most `buckets` ranges of equal width
    (give or take one) from its lowest to its highest value, lowest first:
    one range when they are all equal, none for an empty board. One query.

    The query finds the lowest and highest value and the ranges' edges, then
    counts each range with an index-only range scan of the board's ranking
    index (on `rank_key`, the value negated for higher-is-better games):
    every entry is visited once and merely counted, which at 1,000,000
    entries took two thirds of the time of grouping them by an expression
    and a third of PostgreSQL's width_bucket, which is exact only over
    numeric (and which SQLite lacks). Integer arithmetic keeps the edges
    exact on PostgreSQL and SQLite alike: values are within ±(2**53 - 1)
    (config.api.fields), so `bucket * span` stays far inside BIGINT."""
    table = Best._meta.db_table
    on_board = "board_id = %s AND period = %s AND period_start = %s"
    board = [_default_board_id(game), Period.ALL, connection.ops.adapt_datefield_value(ALL_TIME_START)]
    # Fixed fragments of ours, chosen by the game's order: values to rank keys.
    if game.higher_is_better:
        lowest, in_range = "-MAX(rank_key)", "rank_key BETWEEN -edges.high AND -edges.low"
    else:
        lowest, in_range = "MIN(rank_key)", "rank_key BETWEEN edges.low AND edges.high"
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE sizes AS ("  # noqa: S608 - the table name and fragments are ours; values are parameters
            "  SELECT lowest, span, CASE WHEN span < %s THEN span ELSE %s END AS buckets"
            f"  FROM (SELECT {lowest} AS lowest, MAX(rank_key) - MIN(rank_key) + 1 AS span"
            f"        FROM {table} WHERE {on_board}) AS bounds"
            "  WHERE span IS NOT NULL"
            "), ranges(bucket) AS ("
            "  SELECT 0 UNION ALL SELECT bucket + 1 FROM ranges, sizes WHERE bucket + 1 < buckets"
            "), edges AS ("
            "  SELECT bucket, lowest + (bucket * span + buckets - 1) / buckets AS low,"
            "         lowest + ((bucket + 1) * span + buckets - 1) / buckets - 1 AS high"
            "  FROM ranges, sizes"
            ") "
            f"SELECT low, high, (SELECT COUNT(*) FROM {table} WHERE {on_board} AND {in_range}) "
            "FROM edges ORDER BY bucket",
            [buckets, buckets, *board, *board],
        )
        return [Bucket(low=low, high=high, players=players) for low, high, players in cursor.fetchall()]


def top_entries(*, game: Game, limit: int = TOP_ENTRIES) -> list[TopEntry]:
    """The first `limit` entries of the all-time board, in the public board's
    order (scores.selectors: rank_key, then who got there first, then the
    lower user id), read from PostgreSQL, the board's source of truth."""
    rows = (
        Best.objects.filter(board_id=_default_board_id(game), period=Period.ALL, period_start=ALL_TIME_START)
        .order_by("rank_key", "subrank_key", "achieved_at", "user_id")
        .values_list("user__username", "value", "achieved_at")[:limit]
    )
    return [
        TopEntry(rank=index, username=username, value=value, achieved_at=achieved_at)
        for index, (username, value, achieved_at) in enumerate(rows, start=1)
    ]


def _default_board_id(game: Game) -> int:
    return default_board(game).pk
