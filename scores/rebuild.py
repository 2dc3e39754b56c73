"""Rebuilding Redis leaderboards from PostgreSQL, the source of truth, and
the stale marks that say which boards need it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import remember_usernames
from scores import page_cache, ranking
from scores.models import Best, Board, Period, StaleBoard
from scores.periods import BoardPeriod, periods_at

logger = logging.getLogger(__name__)

# Bests that changed this long before a rebuild started are written again
# after its swap, in case their own Redis update landed on the old set.
CATCH_UP = timedelta(seconds=10)


def board_rows(board: BoardPeriod, *, since: datetime | None = None) -> Iterator[tuple[int, ranking.StoredEntry]]:
    """(user_id, entry) of every entry on `board`, from PostgreSQL."""
    rows = Best.objects.filter(board_id=board.board_id, period=board.period, period_start=board.start)
    if since is not None:
        rows = rows.filter(achieved_at__gte=since)
    fields = ("user_id", "rank_key", "subrank_key", "achieved_at", "version")
    for user_id, rank_key, subrank_key, achieved_at, version in rows.values_list(*fields).iterator(chunk_size=10_000):
        yield user_id, ranking.StoredEntry(rank_key, subrank_key, achieved_at, version)


def rebuild_board(board: BoardPeriod, *, game_id: int) -> bool:
    """Rebuild one board in Redis. False when another process is already at it.

    Raises ranking.RankingUnavailable when Redis does not answer."""
    if not ranking.claim_rebuild(board):
        return False
    try:
        started = timezone.now()
        count = ranking.rebuild_board(board, board_rows(board))
        for user_id, entry in board_rows(board, since=started - CATCH_UP):
            ranking.record_entry(board, user_id=user_id, entry=entry)
        if board.period == Period.ALL:  # every period's players are among all time's
            _remember_players_names(board)
        _board_marks(board).filter(marked_at__lt=started).delete()
        stale_boards.forget(board)
        page_cache.bump(game_id)
        logger.info("leaderboard rebuilt", extra={"board": str(board), "entries": count})
        return True
    finally:
        ranking.release_rebuild(board)


# Names per round trip, small enough to stay well inside REDIS_TIMEOUT (as ranking._BATCH).
NAMES_BATCH = 1_000


def _remember_players_names(board: BoardPeriod) -> None:
    """Keep the names of the board's players in Redis, where the read
    scripts find them (accounts.selectors): a rebuilt board answers its
    first reads in one round trip too."""
    players = User.objects.filter(
        pk__in=Best.objects.filter(board_id=board.board_id, period=board.period, period_start=board.start).values(
            "user_id"
        )
    )
    batch: dict[int, str] = {}
    for user_id, username in players.values_list("pk", "username").iterator(chunk_size=10_000):
        batch[user_id] = username
        if len(batch) >= NAMES_BATCH:
            remember_usernames(batch)
            batch = {}
    remember_usernames(batch)


def mark_stale(board: BoardPeriod) -> None:
    """Record that Redis missed a write to `board`: every process rebuilds it
    before reading it from Redis again."""
    stale_boards.add(board)
    try:
        with transaction.atomic():
            StaleBoard.objects.create(
                board_id=board.board_id, period=board.period, period_start=board.start, marked_at=timezone.now()
            )
    except IntegrityError:
        _board_marks(board).update(marked_at=timezone.now())


def _board_marks(board: BoardPeriod):
    return StaleBoard.objects.filter(board_id=board.board_id, period=board.period, period_start=board.start)


class _StaleBoards:
    """The stale boards, read from PostgreSQL at most once a second per process."""

    REFRESH_SECONDS = 1.0

    def __init__(self):
        self._lock = threading.Lock()
        self._boards: frozenset[BoardPeriod] = frozenset()
        self._read_at = float("-inf")

    def __call__(self) -> frozenset[BoardPeriod]:
        if time.monotonic() - self._read_at >= self.REFRESH_SECONDS:
            rows = StaleBoard.objects.values_list("board_id", "period", "period_start")
            boards = frozenset(BoardPeriod(board_id, period, start) for board_id, period, start in rows)
            with self._lock:
                self._boards, self._read_at = boards, time.monotonic()
        return self._boards

    def add(self, board: BoardPeriod) -> None:
        with self._lock:
            self._boards = self._boards | {board}

    def forget(self, board: BoardPeriod) -> None:
        with self._lock:
            self._boards = self._boards - {board}

    def cache_clear(self) -> None:
        with self._lock:
            self._boards, self._read_at = frozenset(), float("-inf")


stale_boards = _StaleBoards()


def rebuild_boards(boards: list[Board], *, now: datetime | None = None) -> int:
    """Rebuild the current periods of `boards`; returns how many were rebuilt."""
    moment = now or timezone.now()
    return sum(
        rebuild_board(period, game_id=board.game_id) for board in boards for period in periods_at(board.pk, moment)
    )
