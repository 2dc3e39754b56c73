"""The memory of leaderboard top pages, as response bytes, in each process,
forgotten whenever their game's page version changes (one version for all
of a game's boards).

Every change that can alter a page bumps the version: accepted scores,
moderation, account deletion, rebuilds, and any change to the game itself
(archiving, restoring, editing: games.signals.game_changed) or to one of
its boards. The version is a key in Redis whose value means nothing: each
process hears of every change to it (config.watch) and stops using the
pages it kept for that game, so serving a remembered page asks nobody
anything, and a score's writer bumps the version before its 201 is sent,
so every read after the 201, in any process, builds the page afresh.

A page is remembered with the watch's sequence number from *before* the
board was read: a bump that lands in between leaves it unused. While
Redis does not answer nothing is remembered. Without Redis (the embedded
default, one process), a bump forgets the game's pages itself.
"""

from __future__ import annotations

import threading
from contextlib import suppress

from django.conf import settings
from redis.exceptions import RedisError

from config.api.query import PageRequest
from config.watch import watch
from scores.periods import BoardPeriod

PAGES_REMEMBERED = 5_000

_lock = threading.Lock()
# game id -> {(board period, page, limit): (sequence number, bytes)}
_pages: dict[int, dict[tuple, tuple[int, bytes]]] = {}
_count = 0
# Without Redis: each game's own count of bumps, the token of its pages.
_local_versions: dict[int, int] = {}


def version_key(game_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:lbver:{game_id}"


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def bump(game_id: int) -> None:
    """Forget every remembered page of a game's boards, in every process."""
    forget(game_id)
    if not settings.REDIS_URL:
        return
    with suppress(RedisError, OSError):  # Redis is away: so is every process's page memory
        _redis().incr(version_key(game_id))


def bump_in(pipe, game_id: int) -> None:
    """bump(), as one more command of a Redis pipeline the caller sends."""
    forget(game_id)
    pipe.incr(version_key(game_id))


def forget(game_id: int) -> None:
    """This process forgets the game's pages at once (a bump does, and tells every other)."""
    global _count
    watching = watch()
    if watching is not None:
        watching.changed(version_key(game_id))
    with _lock:
        if watching is None:
            _local_versions[game_id] = _local_versions.get(game_id, 0) + 1
        _count -= len(_pages.pop(game_id, {}))


def _fresh(watching, game_id: int, token: int) -> bool:
    """Whether pages kept under `token` still stand (no bump of the game since)."""
    if watching is None:
        return _local_versions.get(game_id, 0) == token
    return watching.unchanged_since(version_key(game_id), token)


def lookup(game_id: int, board: BoardPeriod, page: PageRequest) -> tuple[int | None, bytes | None]:
    """(a token to store the page under, or None when nothing may be
    remembered now; the page's bytes, or None). Take the token *before*
    reading the board."""
    watching = watch()
    token = _local_versions.get(game_id, 0) if watching is None else watching.snapshot()
    if token is None:
        return None, None
    found = _pages.get(game_id, {}).get((board, page.page, page.limit))
    if found is not None and _fresh(watching, game_id, found[0]):
        return token, found[1]
    return token, None


def store(game_id: int, board: BoardPeriod, page: PageRequest, token: int, body: bytes) -> None:
    """Remember a page built after `lookup` gave `token`, unless the game's
    pages changed since."""
    global _count
    if not _fresh(watch(), game_id, token):
        return
    with _lock:
        if _count >= PAGES_REMEMBERED:
            _pages.clear()
            _count = 0
        pages = _pages.setdefault(game_id, {})
        _count += (board, page.page, page.limit) not in pages
        pages[(board, page.page, page.limit)] = (token, body)


def forget_everything() -> None:
    """Forget every remembered page of this process (the test suite, between tests)."""
    global _count
    with _lock:
        _pages.clear()
        _local_versions.clear()
        _count = 0
