"""Reads of scores and leaderboards.

Leaderboard reads come from Redis when it answers and holds the board, and
from PostgreSQL otherwise, with the same entries either way; callers never
know which answered. A board missing from Redis is rebuilt on the spot by
the first reader (the others read PostgreSQL meanwhile).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.selectors import usernames_by_id
from config.api.query import PageRequest
from games.models import Game
from scores import ranking
from scores.models import Best, Score
from scores.periods import Board, current_board
from scores.rebuild import rebuild_board, stale_boards

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: int
    username: str
    value: int
    achieved_at: datetime


@dataclass(frozen=True)
class EntryPage:
    entries: list[Entry]
    total: int


# --- Scores --------------------------------------------------------------------


def game_scores(*, game: Game, user_id: int | None = None) -> QuerySet[Score]:
    scores = Score.objects.filter(game=game).select_related("user")
    if user_id is not None:
        scores = scores.filter(user_id=user_id)
    return scores


# --- Leaderboards ----------------------------------------------------------------


def leaderboard_page(*, game: Game, period: str, page: PageRequest, now: datetime | None = None) -> EntryPage:
    """One page of a board, ranked 1..N without gaps."""
    board = current_board(game.pk, period, now or timezone.now())
    found = _from_redis(board, lambda: ranking.page(board, offset=page.offset, limit=page.limit))
    if found is not None:
        return EntryPage(entries=_entries(game, found.entries), total=found.total)
    return _page_from_database(game, board, page)


def leaderboard_entry(
    *, game: Game, period: str, user_id: int, username: str | None = None, now: datetime | None = None
) -> Entry | None:
    """A user's entry on a board, or None when they have none. A caller that
    knows the username saves looking it up."""
    known = {user_id: username} if username else None
    own, _around = leaderboard_around(game=game, period=period, user_id=user_id, radius=0, now=now, known=known)
    return own


def leaderboard_around(
    *, game: Game, period: str, user_id: int, radius: int, now: datetime | None = None, known=None
) -> tuple[Entry | None, list[Entry]]:
    """A user's entry and the entries from their rank - radius to rank + radius."""
    board = current_board(game.pk, period, now or timezone.now())
    found = _from_redis(board, lambda: ranking.around(board, user_id=user_id, radius=radius))
    if found is not None:
        own, around = found
        if own is None:
            return None, []
        entries = _entries(game, around, known=known)
        return next(entry for entry in entries if entry.user_id == user_id), entries
    return _around_from_database(game, board, user_id, radius)


def rank_of_new_best(*, game: Game, board: Board, user_id: int, rank_key: int, achieved_at: datetime) -> int:
    """The rank a best just written in the current transaction has on `board`.

    Redis knows every committed entry, all of which reached their value
    before this one: those at least as good are ahead. Without Redis, count
    in PostgreSQL, where the transaction sees its own write."""
    if ranking.enabled() and board not in stale_boards():
        try:
            return ranking.count_ahead_of(board, rank_key) + 1
        except (ranking.RankingUnavailable, ranking.BoardNotBuilt):
            pass
    return _count_ahead_in_database(board, rank_key, achieved_at, user_id) + 1


def rank_of_existing_best(*, game: Game, board: Board, user_id: int) -> int | None:
    """The rank of a user's committed entry on `board` (None if they have none)."""
    if ranking.enabled() and board not in stale_boards():
        try:
            own, _ = ranking.around(board, user_id=user_id, radius=0)
            return own.rank if own else None
        except (ranking.RankingUnavailable, ranking.BoardNotBuilt):
            pass
    best = _best_row(board, user_id)
    if best is None:
        return None
    return _count_ahead_in_database(board, best[0], best[1], user_id) + 1


# --- Redis path ----------------------------------------------------------------------


def _from_redis(board: Board, read):
    """`read()` from Redis, rebuilding a missing or stale board first; None
    means read PostgreSQL."""
    if not ranking.enabled():
        return None
    try:
        if board in stale_boards() and not rebuild_board(board):
            return None  # another process is rebuilding it
        try:
            return read()
        except ranking.BoardNotBuilt:
            if rebuild_board(board):
                return read()
            return None  # another process is rebuilding it
    except ranking.RankingUnavailable as exc:
        logger.debug("leaderboard read from PostgreSQL", extra={"reason": str(exc)})
        return None
    except ranking.BoardNotBuilt:
        return None


def _entries(game: Game, ranked: list[ranking.RankedEntry], known: dict[int, str] | None = None) -> list[Entry]:
    known = known or {}
    names = {**usernames_by_id([entry.user_id for entry in ranked if entry.user_id not in known]), **known}
    return [
        Entry(
            rank=entry.rank,
            user_id=entry.user_id,
            username=names.get(entry.user_id, ""),
            value=_value(game, entry.rank_key),
            achieved_at=entry.achieved_at,
        )
        for entry in ranked
        if entry.user_id in names
    ]


def _value(game: Game, rank_key: int) -> int:
    return -rank_key if game.higher_is_better else rank_key


# --- PostgreSQL path ---------------------------------------------------------------------


def _board_rows(board: Board) -> QuerySet[Best]:
    return Best.objects.filter(game_id=board.game_id, period=board.period, period_start=board.start)


def _page_from_database(game: Game, board: Board, page: PageRequest) -> EntryPage:
    rows = _board_rows(board)
    total = rows.count()
    if page.offset >= total:
        return EntryPage(entries=[], total=total)
    # rank_key, not value: the ranking index alone answers (index-only scan).
    window = rows.order_by("rank_key", "achieved_at", "user_id").values_list("user_id", "rank_key", "achieved_at")[
        page.offset : page.offset + page.limit
    ]
    ranked = [
        ranking.RankedEntry(rank=page.offset + index + 1, user_id=user_id, rank_key=rank_key, achieved_at=achieved)
        for index, (user_id, rank_key, achieved) in enumerate(window)
    ]
    return EntryPage(entries=_entries(game, ranked), total=total)


def _best_row(board: Board, user_id: int) -> tuple[int, datetime] | None:
    return _board_rows(board).filter(user_id=user_id).values_list("rank_key", "achieved_at").first()


def _count_ahead_in_database(board: Board, rank_key: int, achieved_at: datetime, user_id: int) -> int:
    """Entries ranked ahead of (rank_key, achieved_at, user_id), by one row comparison
    that the ranking index serves."""
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Best._meta.db_table} "  # noqa: S608 - the table name is ours; values are parameters
            "WHERE game_id = %s AND period = %s AND period_start = %s "
            "AND (rank_key, achieved_at, user_id) < (%s, %s, %s)",
            [
                board.game_id,
                board.period,
                ops.adapt_datefield_value(board.start),
                rank_key,
                ops.adapt_datetimefield_value(achieved_at),
                user_id,
            ],
        )
        return cursor.fetchone()[0]


def _around_from_database(game: Game, board: Board, user_id: int, radius: int) -> tuple[Entry | None, list[Entry]]:
    best = _best_row(board, user_id)
    if best is None:
        return None, []
    rank = _count_ahead_in_database(board, best[0], best[1], user_id) + 1
    first = max(1, rank - radius)
    window = _page_from_window(game, board, offset=first - 1, limit=rank + radius - first + 1)
    own = next((entry for entry in window if entry.user_id == user_id), None)
    return own, window


def _page_from_window(game: Game, board: Board, *, offset: int, limit: int) -> list[Entry]:
    rows = (
        _board_rows(board)
        .order_by("rank_key", "achieved_at", "user_id")
        .values_list("user_id", "rank_key", "achieved_at")[offset : offset + limit]
    )
    ranked = [
        ranking.RankedEntry(rank=offset + index + 1, user_id=user_id, rank_key=rank_key, achieved_at=achieved)
        for index, (user_id, rank_key, achieved) in enumerate(rows)
    ]
    return _entries(game, ranked)
