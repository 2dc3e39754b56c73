"""Per-process memory of the rows nearly every request needs (the user behind
a token, the game and the board behind a URL), each trusted only while its
stamp in Redis has not changed.

A change to a row sets a new stamp for it (`changed`), at once and again
when the change commits: a request that read the row between the two could
otherwise remember the old one. Nobody reads stamps: each process hears of
every new stamp from Redis itself (config.watch), so a remembered row costs
a request no round trip at all, and a change is seen by every request, in
every process, that starts after the change's response was sent. A row is
remembered with the watch's sequence number from *before* it was read, so a
change landing while it is read leaves it unused.

While Redis does not answer nothing is remembered: the rows are read from
the database each time. A change made while Redis is away (its new stamp
lost) is seen within MEMO_SECONDS. Without Redis at all (the embedded
default, one process) only the memos made `single_process` remember, and
changes made in this process forget: the game and the board, as the
in-process cache did before; the user behind a token is read each time.
"""

from __future__ import annotations

import pickle
import threading
import time
from contextlib import suppress
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError

from config.watch import watch

MEMO_SECONDS = 300

_LOCAL = -1  # the sequence number of a single process without Redis: changes forget rows themselves
_memos: list[Memo] = []


class Memo:
    """One kind of remembered row, by key, at most `size` of them. Rows are
    kept pickled: each lookup gets a copy of its own to change."""

    def __init__(self, kind: str, *, size: int, single_process: bool = False, clock=time.monotonic):
        # single_process: without Redis, remember rows anyway, forgotten by
        # changes made in this process only (the embedded default serves
        # from one process; what another process changes it cannot hear of).
        self.kind, self.size, self.clock = kind, size, clock
        self.single_process = single_process
        self._rows: dict[Any, tuple[int, float, bytes]] = {}
        self._lock = threading.Lock()
        _memos.append(self)

    def stamp_key(self, key: Any) -> str:
        return stamp_key(self.kind, key)

    def get(self, key: Any, load):
        """The row for `key`: remembered while its stamp holds, else `load()`
        (which may return None for "no such row": that is not remembered)."""
        return self._lookup(key, load, None)

    def shared(self, key: Any, load, *, at: int | None = None):
        """The row get() would give, as one copy that every caller in this
        process shares while the row stays remembered: for hot reads that
        only read it (nobody may change it). Saves unpickling it each time.
        `at`: a sequence number from snapshot(), for several lookups of one
        request."""
        return self._lookup(key, load, _same, at)

    def derived(self, key: Any, load, derive, *, at: int | None = None):
        """`derive(row)` for the row get() would give (None without one),
        worked out once while the row stays remembered: for what a hot read
        makes of a row every time (its response's bytes). `derive` must
        return something nobody changes (bytes, a tuple of them). `at` as
        for shared()."""
        return self._lookup(key, load, derive, at)

    def _lookup(self, key: Any, load, derive, at: int | None = None):
        watching = watch()
        if watching is None:
            if not self.single_process:
                return _derived(load(), derive)
            seq = _LOCAL
        else:
            seq = watching.snapshot() if at is None else at
            if seq is None:
                return _derived(load(), derive)
        stamp = self.stamp_key(key)
        found = self._rows.get(key)
        if (
            found is not None
            and self.clock() - found[1] < MEMO_SECONDS
            and (watching is None or watching.unchanged_since(stamp, found[0]))
        ):
            if derive is None:
                return pickle.loads(found[2])  # noqa: S301 - bytes this process pickled itself
            derivations = found[3]
            if derive not in derivations:  # two threads may both work it out: the same value
                derivations[derive] = derive(pickle.loads(found[2]))  # noqa: S301 - as above
            return derivations[derive]
        row = load()
        if row is not None and (watching is None or watching.unchanged_since(stamp, seq)):
            kept = (seq, self.clock(), pickle.dumps(row, pickle.HIGHEST_PROTOCOL), {})
            with self._lock:
                if len(self._rows) >= self.size:
                    self._rows.pop(next(iter(self._rows)))  # the oldest remembered
                self._rows[key] = kept
        return _derived(row, derive)

    def snapshot(self) -> int | None:
        """A sequence number for lookups (`at`) that may answer from memory
        now; None when they would load every time."""
        watching = watch()
        if watching is None:
            return _LOCAL if self.single_process else None
        return watching.snapshot()

    def changed(self, key: Any) -> None:
        """The row changed: a new stamp now, and again once the change commits."""
        from django.db import transaction

        def forget() -> None:
            with self._lock:
                self._rows.pop(key, None)
            bump(self.stamp_key(key))

        forget()
        transaction.on_commit(forget, robust=True)


def _same(row):
    return row


def _derived(row, derive):
    return row if derive is None or row is None else derive(row)


def stamp_key(kind: str, key: Any) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:stamp:{kind}:{key}"


def forget_everything() -> None:
    """Forget every remembered row of this process (the test suite, between tests)."""
    for each in _memos:
        with each._lock:
            each._rows.clear()


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def bump(key: str) -> None:
    """Change `key` in Redis, so that every process hears of it (config.watch).
    Its value means nothing; only the change does."""
    if not settings.REDIS_URL:
        return
    watching = watch()
    if watching is not None:
        watching.changed(key)  # this process forgets at once, whatever Redis says
    with suppress(RedisError, OSError):  # Redis is away: see the module's docstring
        _redis().incr(key)
