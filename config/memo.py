"""Per-process memory of the rows nearly every request needs (the user behind
a token, the game and the board behind a URL), each trusted only while its
stamp in Redis is unchanged.

A change to a row sets a new stamp for it, at once and again when the change
commits (`changed`): a request that read the row between the two could
otherwise keep the old one. A request reads every stamp it needs in one
MGET: what it will need is announced first (`want`), and the first lookup
fetches them all. A row is remembered with the stamp read *before* the row
was, so a change landing in between leaves it unused. Stamps live only for
the request that read them: the next request asks Redis again, so a change
is seen by every request that starts after it committed, in every process.

A missing stamp (never set, evicted, or lost with Redis) is set to a random
number, never to a value an old memo may carry (`SET … NX GET`: if another
process set it first, its value is the stamp).

While Redis does not answer nothing is remembered: the rows are read from
the database each time. A change made while Redis is away (its new stamp
lost) is seen within MEMO_SECONDS, as the shared cache's entries were
before. Without Redis at all (the embedded default, one process) only the
memos made `single_process` remember, and changes made in this process
forget: the game and the board, as the in-process cache did before; the
user behind a token is read each time.
"""

from __future__ import annotations

import pickle
import secrets
import threading
import time
from contextlib import suppress
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError

# Increment a stamp, or start it from ARGV[1] when it is gone. (The page
# cache's version is a stamp too: scores.page_cache uses the same script.)
BUMP_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
"""

# This request's stamps: key -> value (None: missing or unreadable), and the
# keys announced but not fetched yet. None outside a request: every lookup
# then reads its own stamp.
_fetched: ContextVar[dict[str, bytes | None] | None] = ContextVar("podium_memo_stamps", default=None)
_wanted: ContextVar[set[str] | None] = ContextVar("podium_memo_wanted", default=None)


MEMO_SECONDS = 300


_LOCAL = b"local"  # the one stamp of a single process without Redis
_memos: list[Memo] = []


class Memo:
    """One kind of remembered row, by key, at most `size` of them. Rows are
    kept pickled: each lookup gets a copy of its own to change."""

    def __init__(self, kind: str, *, size: int, single_process: bool = False, clock=time.monotonic):
        # single_process: without Redis, remember rows anyway, forgotten by
        # changes made in this process only (the embedded default serves
        # from one process; what another process changes it cannot hear of).
        self.kind, self.size, self.clock = kind, size, clock
        self._local_stamp = _LOCAL if single_process else None
        self._rows: dict[Any, tuple[bytes, float, bytes]] = {}
        self._lock = threading.Lock()
        _memos.append(self)

    def stamp_key(self, key: Any) -> str:
        return f"{settings.REDIS_KEY_PREFIX}:stamp:{self.kind}:{key}"

    def want(self, key: Any) -> None:
        """Announce that this request will look `key` up (its stamp rides in
        the request's one MGET)."""
        wanted = _wanted.get()
        if wanted is not None:
            wanted.add(self.stamp_key(key))

    def get(self, key: Any, load):
        """The row for `key`: remembered while its stamp holds, else `load()`
        (which may return None for "no such row": that is not remembered)."""
        stamp = _stamp(self.stamp_key(key)) if settings.REDIS_URL else self._local_stamp
        if stamp is None:
            return load()
        found = self._rows.get(key)
        if found is not None and found[0] == stamp and self.clock() - found[1] < MEMO_SECONDS:
            return pickle.loads(found[2])  # noqa: S301 - bytes this process pickled itself
        row = load()
        if row is not None:
            kept = (stamp, self.clock(), pickle.dumps(row, pickle.HIGHEST_PROTOCOL))
            with self._lock:
                if len(self._rows) >= self.size:
                    self._rows.pop(next(iter(self._rows)))  # the oldest remembered
                self._rows[key] = kept
        return row

    def changed(self, key: Any) -> None:
        """The row changed: a new stamp now, and again once the change commits."""
        from django.db import transaction

        stamp_key = self.stamp_key(key)

        def forget() -> None:
            with self._lock:
                self._rows.pop(key, None)
            _bump(stamp_key)

        forget()
        transaction.on_commit(forget, robust=True)


def forget_everything() -> None:
    """Forget every remembered row of this process (the test suite, between tests)."""
    for each in _memos:
        with each._lock:
            each._rows.clear()


def start_request() -> tuple:
    """Give the current request stamps of its own (see config.middleware)."""
    return _fetched.set({}), _wanted.set(set())


def end_request(tokens: tuple) -> None:
    _fetched.reset(tokens[0])
    _wanted.reset(tokens[1])


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _stamp(stamp_key: str) -> bytes | None:
    """This request's stamp for `stamp_key`, fetched with every stamp it
    announced in one MGET; None when Redis is away."""
    fetched = _fetched.get()
    if fetched is not None and stamp_key in fetched:
        return fetched[stamp_key]
    wanted = _wanted.get() or set()
    keys = [stamp_key, *(wanted - {stamp_key} - (fetched or {}).keys())]
    try:
        client = _redis()
        values = client.mget(keys)
        missing = [index for index, value in enumerate(values) if value is None]
        if missing:
            # Set each to a fresh number unless another process just did:
            # either way the stamp is known before the row is read.
            pipe = client.pipeline(transaction=False)
            fresh = [str(_fresh()).encode() for _ in missing]
            for index, value in zip(missing, fresh, strict=True):
                pipe.set(keys[index], value, nx=True, get=True)
            for index, value, found in zip(missing, fresh, pipe.execute(), strict=True):
                values[index] = found if found is not None else value
    except (RedisError, OSError):
        values = [None] * len(keys)
    if fetched is not None:
        fetched.update(zip(keys, values, strict=True))
        if wanted:
            wanted.clear()
    return values[0]


def _fresh() -> int:
    return secrets.randbits(62)


def _bump(stamp_key: str) -> None:
    if not settings.REDIS_URL:
        return
    with suppress(RedisError, OSError):  # Redis is away: see the module's docstring
        _redis().eval(BUMP_SCRIPT, 1, stamp_key, _fresh())
