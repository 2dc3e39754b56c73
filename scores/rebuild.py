"""Rebuilding Redis leaderboards from PostgreSQL, the source of truth."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.utils import timezone

from games.models import Game
from scores import ranking
from scores.models import Best
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
        logger.info("leaderboard rebuilt", extra={"board": str(board), "entries": count})
        return True
    finally:
        ranking.release_rebuild(board)


def rebuild_game(game: Game, *, now: datetime | None = None) -> int:
    """Rebuild every current board of a game; returns how many were rebuilt."""
    return sum(rebuild_board(board) for board in boards_at(game.pk, now or timezone.now()))
