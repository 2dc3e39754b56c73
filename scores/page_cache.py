"""The cache of leaderboard top pages, invalidated by a per-game version.

A page is cached with the game's version read *before* the board was: a
write that lands in between bumps the version, and the page is never
served. A version that is missing (never set, evicted, or lost with Redis)
starts again from the clock, never from a value an old page may carry.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

from config.api.query import PageRequest
from scores.periods import Board

PAGE_CACHE_SECONDS = 300


def version_key(game_id: int) -> str:
    return f"lbver:{game_id}"


def bump(game_id: int) -> None:
    """Invalidate every cached page of a game's boards."""
    key = version_key(game_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, time.time_ns(), timeout=None)


def _page_key(board: Board, page: PageRequest) -> str:
    return f"lbpage:{board.game_id}:{board.period}:{board.start.isoformat()}:{page.page}:{page.limit}"


def lookup(board: Board, page: PageRequest) -> tuple[int | None, Any]:
    """(the current version, the page cached for it or None)."""
    key, page_key = version_key(board.game_id), _page_key(board, page)
    found = cache.get_many([key, page_key])
    version = found.get(key)
    if version is None:
        cache.add(key, time.time_ns(), timeout=None)
        return None, None
    cached = found.get(page_key)
    if cached is None or cached[0] != version:
        return version, None
    return version, cached[1]


def store(board: Board, page: PageRequest, version: int, result: Any) -> None:
    cache.set(_page_key(board, page), (version, result), PAGE_CACHE_SECONDS)
