"""Leaderboards read from the database, the source of truth: what answers
when Redis cannot (down, a board being rebuilt, a past period).

Entries are read in rank order through the ranking index. On PostgreSQL a
rank or a deep page does not count every entry ahead of it: the rank
histogram (scores.models.RankBucket, kept exact by a trigger) says how many
entries lie in the buckets ahead, and only the entries inside one bucket
are counted; a page at any depth jumps to its bucket the same way, and a
board's size is the sum of its buckets. That keeps each answer within a few
milliseconds at a million entries, where counting took hundreds. SQLite,
the embedded default of one laptop, counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from config import prepared
from scores.models import Best, Board, RankBucket, ScoreOrder
from scores.periods import BoardPeriod
from scores.ranking import RankedEntry

# The ranking, as the ranking index orders it (index-only scans).
RANKING = ("rank_key", "subrank_key", "achieved_at", "user_id")
# Pages that start deeper than this jump to their bucket rather than scan.
SHALLOW = 1_000

_BEST, _BUCKETS, _USERS = Best._meta.db_table, RankBucket._meta.db_table, User._meta.db_table


@dataclass(frozen=True)
class Row:
    """An entry as the database holds it, with its rank and username."""

    rank: int
    user_id: int
    username: str | None
    rank_key: int
    subrank_key: int
    achieved_at: datetime


def histogram() -> bool:
    """Whether the rank histogram is there to read (PostgreSQL)."""
    return connection.vendor == "postgresql"


def period_rows(period: BoardPeriod) -> QuerySet[Best]:
    return Best.objects.filter(board_id=period.board_id, period=period.period, period_start=period.start)


def _where() -> str:
    return "board_id = %s AND period = %s AND period_start = %s"


_WHERE = "board_id = %(board)s AND period = %(period)s AND period_start = %(start)s"


def _named_period(period: BoardPeriod) -> dict:
    return {
        "board": period.board_id,
        "period": period.period,
        "start": connection.ops.adapt_datefield_value(period.start),
    }


def _period(period: BoardPeriod) -> list:
    return [period.board_id, period.period, connection.ops.adapt_datefield_value(period.start)]


def _counted_size(period: BoardPeriod) -> int:
    """How many entries the board's period has, counted (SQLite)."""
    return period_rows(period).count()


def page_and_size(period: BoardPeriod, *, offset: int, limit: int) -> tuple[list[RankedEntry], int]:
    """Entries offset+1 to offset+limit in rank order, with their usernames
    on PostgreSQL, and how many entries the period has: one statement there
    (the size and the page's bucket from the histogram, the entries from the
    ranking index), a count and a scan elsewhere."""
    if not histogram():
        total = _counted_size(period)
        return (_scanned_page(period, offset=offset, limit=limit) if offset < total else []), total
    statement, params = _page_statement(
        period,
        offset=offset,
        limit=limit,
        select="SELECT (SELECT n FROM total), w.user_id, w.username, w.rank_key, w.subrank_key, w.achieved_at "
        "FROM (SELECT 1) AS one LEFT JOIN w ON true ORDER BY w.place",
    )
    with connection.cursor() as cursor:
        prepared.execute(cursor, prepared.prepared(statement), params)
        found = cursor.fetchall()
    entries = [
        RankedEntry(
            rank=offset + index + 1,
            user_id=user_id,
            rank_key=rank_key,
            subrank_key=subrank,
            achieved_at=at,
            username=username,
        )
        for index, (_total, user_id, username, rank_key, subrank, at) in enumerate(found)
        if user_id is not None
    ]
    return entries, int(found[0][0])


def page_json_and_size(board: Board, period: BoardPeriod, *, offset: int, limit: int) -> tuple[str, int] | None:
    """page_and_size's entries as the JSON array the API sends, written by
    PostgreSQL itself (as the Redis scripts write theirs: no row becomes a
    Python object); None where there is no histogram (SQLite)."""
    if not histogram():
        return None
    value = "-w.rank_key" if board.score_order == ScoreOrder.DESC else "w.rank_key"
    subscore = {None: "'null'", ScoreOrder.DESC: "(-w.subrank_key)::text", ScoreOrder.ASC: "w.subrank_key::text"}
    entry = (
        'format(\'{"rank":%%s,"user":{"id":%%s,"username":%%s},"value":%%s,"subscore":%%s,'
        '"achievedAt":"%%s"}\', %(offset)s::bigint + w.place, w.user_id, to_json(w.username), '
        f"{value}, {subscore[board.subscore_order]}, "
        "to_char(w.achieved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
    )
    statement, params = _page_statement(
        period,
        offset=offset,
        limit=limit,
        select=f"SELECT (SELECT n FROM total), (SELECT string_agg({entry}, ',' ORDER BY w.place) "  # noqa: S608 - fixed fragments; values are parameters
        "FROM w WHERE w.username IS NOT NULL)",
    )
    with connection.cursor() as cursor:
        prepared.execute(cursor, prepared.prepared(statement), params)
        total, entries = cursor.fetchone()
    return f"[{entries or ''}]", int(total)


def _page_statement(period: BoardPeriod, *, offset: int, limit: int, select: str) -> tuple[str, dict]:
    """The statement of a page on PostgreSQL: `total` (the board's size),
    and `w`, the page's entries with their usernames and their `place`
    (1…) on the page, for `select` to read."""
    deep = offset > SHALLOW
    # Deep pages start at their bucket: the first whose running count passes the offset.
    start = (
        f"start AS (SELECT podium_rank_bucket_low(bucket) AS low, %(offset)s::bigint - (upto - entries) AS skip FROM ("  # noqa: S608 - our table; values are parameters
        f"SELECT bucket, entries, SUM(entries) OVER (ORDER BY bucket) AS upto FROM {_BUCKETS} WHERE {_WHERE}"
        ") buckets WHERE upto > %(offset)s::bigint ORDER BY bucket LIMIT 1), "
        if deep
        else ""
    )
    statement = (
        f"WITH total AS (SELECT COALESCE(SUM(entries), 0) AS n FROM {_BUCKETS} WHERE {_WHERE}), {start}"  # noqa: S608 - our tables; values are parameters
        f"e AS (SELECT user_id, rank_key, subrank_key, achieved_at FROM {_BEST} WHERE {_WHERE}"
        + (" AND rank_key >= (SELECT low FROM start)" if deep else "")
        + " ORDER BY rank_key, subrank_key, achieved_at, user_id "
        + ("OFFSET (SELECT skip FROM start)" if deep else "OFFSET %(offset)s::bigint")
        + " LIMIT %(limit)s::bigint), "  # noqa: S608 - our tables; values are parameters
        "w AS (SELECT e.*, u.username, "
        "row_number() OVER (ORDER BY e.rank_key, e.subrank_key, e.achieved_at, e.user_id) AS place "
        f"FROM e LEFT JOIN {_USERS} u ON u.id = e.user_id) " + select
    )
    return statement, {**_named_period(period), "offset": offset, "limit": limit}


def _scanned_page(period: BoardPeriod, *, offset: int, limit: int) -> list[RankedEntry]:
    """Entries offset+1 to offset+limit, in rank order, scanned (SQLite)."""
    rows = period_rows(period).order_by(*RANKING)
    found = rows.values_list("user_id", "rank_key", "subrank_key", "achieved_at")[offset : offset + limit]
    return [
        RankedEntry(rank=offset + index + 1, user_id=user_id, rank_key=rank_key, subrank_key=subrank, achieved_at=at)
        for index, (user_id, rank_key, subrank, at) in enumerate(found)
    ]


def entry_keys(period: BoardPeriod, user_id: int) -> tuple[int, int, datetime] | None:
    """A user's (rank_key, subrank_key, achieved_at), or None without an entry."""
    return period_rows(period).filter(user_id=user_id).values_list("rank_key", "subrank_key", "achieved_at").first()


def count_ahead(period: BoardPeriod, rank_key: int, subrank_key: int, achieved_at: datetime, user_id: int) -> int:
    """Entries ranked ahead of (rank_key, subrank_key, achieved_at, user_id)."""
    ops = connection.ops
    target = [rank_key, subrank_key, ops.adapt_datetimefield_value(achieved_at), user_id]
    ahead = "(rank_key, subrank_key, achieved_at, user_id) < (%s, %s, %s, %s)"
    with connection.cursor() as cursor:
        if histogram():
            cursor.execute(
                f"SELECT COALESCE((SELECT SUM(entries) FROM {_BUCKETS} WHERE {_where()} "  # noqa: S608 - our tables; values are parameters
                "AND bucket < podium_rank_bucket(%s)), 0) "
                f"+ (SELECT COUNT(*) FROM {_BEST} WHERE {_where()} "
                f"AND rank_key >= podium_rank_bucket_low(podium_rank_bucket(%s)) AND {ahead})",
                [*_period(period), rank_key, *_period(period), rank_key, *target],
            )
        else:
            cursor.execute(f"SELECT COUNT(*) FROM {_BEST} WHERE {_where()} AND {ahead}", [*_period(period), *target])  # noqa: S608
        return int(cursor.fetchone()[0])


def around(period: BoardPeriod, user_id: int, radius: int) -> tuple[int, list[RankedEntry]] | None:
    """A user's rank and the entries within `radius` of it, or None without
    an entry: the entries just ahead and from theirs on, read from the index
    around their own, wherever it lies."""
    if histogram():
        return _around_in_one_statement(period, user_id, radius)
    keys = entry_keys(period, user_id)
    if keys is None:
        return None
    rank = count_ahead(period, *keys, user_id) + 1
    own = [keys[0], keys[1], connection.ops.adapt_datetimefield_value(keys[2]), user_id]
    columns, key = "user_id, rank_key, subrank_key, achieved_at", "(rank_key, subrank_key, achieved_at, user_id)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM (SELECT {columns} FROM {_BEST} WHERE {_where()} AND {key} < (%s, %s, %s, %s) "  # noqa: S608 - our table; values are parameters
            "ORDER BY rank_key DESC, subrank_key DESC, achieved_at DESC, user_id DESC LIMIT %s) AS ahead "
            f"UNION ALL SELECT * FROM (SELECT {columns} FROM {_BEST} WHERE {_where()} AND {key} >= (%s, %s, %s, %s) "
            "ORDER BY rank_key, subrank_key, achieved_at, user_id LIMIT %s) AS behind",
            [*_period(period), *own, radius, *_period(period), *own, radius + 1],
        )
        found = cursor.fetchall()
    ahead = sum(1 for row in found if (row[1], row[2], _moment(row[3]), row[0]) < (keys[0], keys[1], keys[2], user_id))
    found.sort(key=lambda row: (row[1], row[2], _moment(row[3]), row[0]))
    first = rank - ahead
    entries = [
        RankedEntry(rank=first + index, user_id=uid, rank_key=rank_key, subrank_key=subrank, achieved_at=_moment(at))
        for index, (uid, rank_key, subrank, at) in enumerate(found)
    ]
    return rank, entries


def _around_in_one_statement(period: BoardPeriod, user_id: int, radius: int) -> tuple[int, list[RankedEntry]] | None:
    """around() on PostgreSQL, in one statement: the user's keys, their rank
    through the histogram, and the entries on both sides with usernames."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            _AROUND,
            {**_named_period(period), "user": user_id, "radius": radius},
        )
        found = cursor.fetchall()
    if not found:
        return None
    rank = int(found[0][0]) + 1
    first = rank - sum(1 for row in found if row[1])
    entries = [
        RankedEntry(
            rank=first + index, user_id=uid, rank_key=rank_key, subrank_key=subrank, achieved_at=at, username=username
        )
        for index, (_ahead, _before, uid, username, rank_key, subrank, at) in enumerate(found)
    ]
    return rank, entries


def _around_statement() -> prepared.Prepared:
    key, own = "(b.rank_key, b.subrank_key, b.achieved_at, b.user_id)", "(own.k, own.s, own.a, own.u)"
    columns = "b.user_id, b.rank_key, b.subrank_key, b.achieved_at"
    return prepared.prepared(
        "WITH own AS (SELECT rank_key AS k, subrank_key AS s, achieved_at AS a, user_id AS u "  # noqa: S608 - our tables; values are parameters
        f"FROM {_BEST} WHERE {_WHERE} AND user_id = %(user)s), "
        f"ahead AS MATERIALIZED (SELECT COALESCE((SELECT SUM(entries) FROM {_BUCKETS} WHERE {_WHERE} "
        "AND bucket < podium_rank_bucket(own.k)), 0) "
        f"+ (SELECT COUNT(*) FROM {_BEST} b WHERE {_WHERE} "
        f"AND b.rank_key >= podium_rank_bucket_low(podium_rank_bucket(own.k)) AND {key} < {own}) AS n FROM own) "
        "SELECT ahead.n, w.before, w.user_id, u.username, w.rank_key, w.subrank_key, w.achieved_at "
        "FROM own, ahead, LATERAL ("
        f"(SELECT true AS before, {columns} FROM {_BEST} b WHERE {_WHERE} AND {key} < {own} "
        "ORDER BY b.rank_key DESC, b.subrank_key DESC, b.achieved_at DESC, b.user_id DESC LIMIT %(radius)s::bigint) "
        f"UNION ALL (SELECT false, {columns} FROM {_BEST} b WHERE {_WHERE} AND {key} >= {own} "
        "ORDER BY b.rank_key, b.subrank_key, b.achieved_at, b.user_id LIMIT %(radius)s::bigint + 1)"
        f") w LEFT JOIN {_USERS} u ON u.id = w.user_id "
        "ORDER BY w.rank_key, w.subrank_key, w.achieved_at, w.user_id"
    )


_AROUND = _around_statement()


def friends(period: BoardPeriod, usernames: list[str]) -> list[Row]:
    """The named players' entries (any case), each with its rank on the whole
    board, in rank order; one query (each rank through the histogram on
    PostgreSQL, a count served by the ranking index elsewhere)."""
    names = sorted({name.lower() for name in usernames})
    with connection.cursor() as cursor:
        if histogram():
            prepared.execute(cursor, _FRIENDS, {**_named_period(period), "names": names})
        else:
            named = {f"name{index}": name for index, name in enumerate(names)}
            cursor.execute(
                _friends_statement(
                    f"(SELECT COUNT(*) FROM {_BEST} o WHERE {_AHEAD_OF_B}) + 1",  # noqa: S608 - our table
                    "IN (" + ", ".join(f"%({key})s" for key in named) + ")",
                ),
                {**_named_period(period), **named},
            )
        return [Row(int(row[0]), *row[1:5], _moment(row[5])) for row in cursor.fetchall()]


# Entries `o` ahead of `b` on b's board and period.
_AHEAD_OF_B = (
    "o.board_id = b.board_id AND o.period = b.period AND o.period_start = b.period_start "
    "AND (o.rank_key, o.subrank_key, o.achieved_at, o.user_id) < (b.rank_key, b.subrank_key, b.achieved_at, b.user_id)"
)


def _friends_statement(ranked: str, named: str) -> str:
    return (
        f"SELECT {ranked}, b.user_id, u.username, b.rank_key, b.subrank_key, b.achieved_at "  # noqa: S608 - our tables; values are parameters
        f"FROM {_BEST} b JOIN {_USERS} u ON u.id = b.user_id "
        "WHERE b.board_id = %(board)s AND b.period = %(period)s AND b.period_start = %(start)s "
        f"AND LOWER(u.username) {named} "
        "ORDER BY b.rank_key, b.subrank_key, b.achieved_at, b.user_id"
    )


_FRIENDS = prepared.prepared(
    _friends_statement(
        f"COALESCE((SELECT SUM(r.entries) FROM {_BUCKETS} r WHERE r.board_id = b.board_id "  # noqa: S608 - our tables
        "AND r.period = b.period AND r.period_start = b.period_start "
        "AND r.bucket < podium_rank_bucket(b.rank_key)), 0) "
        f"+ (SELECT COUNT(*) FROM {_BEST} o WHERE {_AHEAD_OF_B} "
        "AND o.rank_key >= podium_rank_bucket_low(podium_rank_bucket(b.rank_key))) + 1",
        "= ANY(%(names)s::text[])",
    )
)


def _moment(value: datetime | str) -> datetime:
    """A timestamp from raw SQL: SQLite gives it as text, without a zone."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
