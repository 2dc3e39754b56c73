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

from games.models import Game
from scores import page_cache, ranking
from scores.models import Best, StaleBoard
from scores.periods import Board, boards_at

logger = logging.getLogger(__name__)

# Bests that changed this long before a rebuild started are written again
# after its swap, in case their own Redis update landed on the old set.
CATCH_UP = timedelta(seconds=10)


def board_rows(board: Board, *, since: datetime | None = None) -> Iterator[tuple[int, int, datetime]]:
    """(user_id, rank_key, achieved_at) of every entry on `board`, from PostgreSQL."""
    rows = Best.objects.filter(game_id=board.game_id, period=board.period, period_start=board.start)
    if since is not None:
        rows = rows.filter(achieved_at__gte=since)
    return rows.values_list("user_id", "rank_key", "achieved_at").iterator(chunk_size=10_000)


def rebuild_board(board: Board) -> bool:
    """Rebuild one board in Redis. False when another process is already at it.

    Raises ranking.RankingUnavailable when Redis does not answer."""
    if not ranking.claim_rebuild(board):
        return False
    try:
        started = timezone.now()
        count = ranking.rebuild_board(board, board_rows(board))
        for user_id, rank_key, achieved_at in board_rows(board, since=started - CATCH_UP):
            ranking.record_best(board, user_id=user_id, rank_key=rank_key, achieved_at=achieved_at)
        _board_marks(board).filter(marked_at__lt=started).delete()
        stale_boards.forget(board)
        page_cache.bump(board.game_id)
        logger.info("leaderboard rebuilt", extra={"board": str(board), "entries": count})
        return True
    finally:
        ranking.release_rebuild(board)


def mark_stale(board: Board) -> None:
    """Record that Redis missed a write to `board`: every process rebuilds it
    before reading it from Redis again."""
    stale_boards.add(board)
    try:
        with transaction.atomic():
            StaleBoard.objects.create(
                game_id=board.game_id, period=board.period, period_start=board.start, marked_at=timezone.now()
            )
    except IntegrityError:
        _board_marks(board).update(marked_at=timezone.now())


def _board_marks(board: Board):
    return StaleBoard.objects.filter(game_id=board.game_id, period=board.period, period_start=board.start)


class _StaleBoards:
    """The stale boards, read from PostgreSQL at most once a second per process."""

    REFRESH_SECONDS = 1.0

    def __init__(self):
        self._lock = threading.Lock()
        self._boards: frozenset[Board] = frozenset()
        self._read_at = float("-inf")

    def __call__(self) -> frozenset[Board]:
        if time.monotonic() - self._read_at >= self.REFRESH_SECONDS:
            rows = StaleBoard.objects.values_list("game_id", "period", "period_start")
            boards = frozenset(Board(game_id, period, start) for game_id, period, start in rows)
            with self._lock:
                self._boards, self._read_at = boards, time.monotonic()
        return self._boards

    def add(self, board: Board) -> None:
        with self._lock:
            self._boards = self._boards | {board}

    def forget(self, board: Board) -> None:
        with self._lock:
            self._boards = self._boards - {board}

    def cache_clear(self) -> None:
        with self._lock:
            self._boards, self._read_at = frozenset(), float("-inf")


stale_boards = _StaleBoards()


def rebuild_game(game: Game, *, now: datetime | None = None) -> int:
    """Rebuild every current board of a game; returns how many were rebuilt."""
    return sum(rebuild_board(board) for board in boards_at(game.pk, now or timezone.now()))
