"""The cache of leaderboard top pages, as response bytes, invalidated by a
per-game version (one for all of a game's boards).

A page is cached with the game's version read *before* the board was: a
write that lands in between bumps the version, and the page is never
served. A version that is missing (never set, evicted, or lost with Redis)
starts again from the clock, never from a value an old page may carry.
Every change that can alter a page bumps it: accepted scores, moderation,
account deletion, rebuilds, and any change to the game itself (archiving,
restoring, editing: games.signals.game_changed) or to one of its boards.

With Redis the page and its version are read in one MGET of raw bytes (this
is the hottest read Podium serves); without it, the process's own cache.
"""

from __future__ import annotations

import time
from contextlib import suppress

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from config.api.query import PageRequest
from config.memo import BUMP_SCRIPT
from scores.periods import BoardPeriod

PAGE_CACHE_SECONDS = 300


def _version_key(game_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:lbver:{game_id}"


def _page_key(board: BoardPeriod, page: PageRequest) -> str:
    return (
        f"{settings.REDIS_KEY_PREFIX}:lbpage:{board.board_id}:{board.period}:{board.start.isoformat()}"
        f":{page.page}:{page.limit}"
    )


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def bump(game_id: int) -> None:
    """Invalidate every cached page of a game's boards."""
    if not settings.REDIS_URL:
        try:
            cache.incr(_version_key(game_id))
        except ValueError:
            cache.add(_version_key(game_id), time.time_ns(), timeout=None)
        return
    with suppress(RedisError, OSError):  # Redis is down: so is every page cached in it
        _redis().eval(BUMP_SCRIPT, 1, _version_key(game_id), time.time_ns())


def bump_in(pipe, game_id: int) -> None:
    """bump(), as one more command of a Redis pipeline the caller sends."""
    pipe.eval(BUMP_SCRIPT, 1, _version_key(game_id), time.time_ns())


def lookup(game_id: int, board: BoardPeriod, page: PageRequest) -> tuple[int | None, bytes | None]:
    """(the game's current version, the page's bytes cached for it or None), in one round trip."""
    version_key, page_key = _version_key(game_id), _page_key(board, page)
    if not settings.REDIS_URL:
        found = cache.get_many([version_key, page_key])
        version, cached = found.get(version_key), found.get(page_key)
        if version is None:
            cache.add(version_key, time.time_ns(), timeout=None)
            return None, None
        return version, (cached[1] if cached is not None and cached[0] == version else None)
    client = _redis()
    try:
        raw_version, cached = client.mget([version_key, page_key])
        if raw_version is None:
            client.set(version_key, time.time_ns(), nx=True)
            return None, None
    except (RedisError, OSError):
        return None, None
    prefix = raw_version + b"\n"
    return int(raw_version), (cached[len(prefix) :] if cached and cached.startswith(prefix) else None)


def store(board: BoardPeriod, page: PageRequest, version: int, body: bytes) -> None:
    if not settings.REDIS_URL:
        cache.set(_page_key(board, page), (version, body), PAGE_CACHE_SECONDS)
        return
    with suppress(RedisError, OSError):
        _redis().set(_page_key(board, page), b"%d\n" % version + body, ex=PAGE_CACHE_SECONDS)
