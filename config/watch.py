"""What Redis tells this process has changed: the basis of every per-process
memory (config.memo, scores.page_cache).

Each process keeps one connection to Redis in RESP3 client tracking mode
(`CLIENT TRACKING ON BCAST PREFIX …`), for the prefixes of the keys that
stand for remembered things: the memos' stamps, the leaderboard pages'
versions and the games' player counts. Whenever any process changes such a key (a new stamp, a bumped
version), and whenever one is deleted, expires or is flushed, Redis sends
this connection an invalidation naming it. A remembered thing is trusted
while no invalidation of its key has arrived since it was read: no request
asks Redis anything to use it.

Exactness. Every lookup first reads whatever invalidations are waiting on
the connection (a non-blocking read, a few microseconds). Redis queues an
invalidation for this connection while it executes the command that changed
the key, and writes it out in the same pass of its event loop as that
command's reply. A writer answers its own client only after that reply, and
a request that follows the answer reaches this process later still, so by
then the invalidation is waiting here and is read before anything
remembered is used: a change is seen by every request that starts after the
change's response was sent, in every process.

When the connection is down, or Redis has not answered its heartbeat within
LIVENESS_SECONDS (a stalled Redis cannot send invalidations), or this
process's Redis breaker is open, nothing is trusted (`snapshot()` is None)
and callers read their sources; when it is back, everything remembered
before is forgotten, since changes made meanwhile may never have reached
Redis.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time

from django.conf import settings
from redis import Redis
from redis.exceptions import RedisError

from config.circuit import redis_breaker

logger = logging.getLogger(__name__)

PING_SECONDS = 0.1
LIVENESS_SECONDS = 0.5
RETRY_SECONDS = 1.0


class Watch:
    """One tracking connection, its reader thread and the record of changes.

    `snapshot()` gives a sequence number; `unchanged_since(key, seq)` says
    whether `key` has had no invalidation since then. Both are cheap enough
    to call on every lookup."""

    def __init__(self, url: str, prefixes: list[str], *, clock=time.monotonic):
        self.url, self.prefixes, self.clock = url, prefixes, clock
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._connection = None
        self._poller = None
        self._seq = 1
        self._forgotten_at = 1  # every key counts as changed at this sequence number
        self._changed_at: dict[bytes, int] = {}
        self._heard_at = float("-inf")
        self._pinged_at = float("-inf")
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- what callers ask ---------------------------------------------------

    def snapshot(self) -> int | None:
        """The sequence number now, once every waiting invalidation is read;
        None when nothing remembered may be trusted."""
        self._ensure_thread()
        with self._lock:
            self._drain()
            if self._connection is None or self.clock() - self._heard_at > LIVENESS_SECONDS:
                return None
            seq = self._seq
        return seq if redis_breaker.closed else None

    def unchanged_since(self, key: str, seq: int) -> bool:
        """Whether `key` saw no change after `seq` (a snapshot)."""
        return seq >= self._forgotten_at and self._changed_at.get(key.encode(), 0) <= seq

    def changed(self, key: str) -> None:
        """This process changed `key` itself: count it changed now, whatever Redis says later."""
        with self._lock:
            self._mark([key.encode()])

    # --- the connection -----------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._connect()  # the first lookups need not wait for the thread
                self._thread = threading.Thread(target=self._run, name="podium-watch", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._connection is None and not self._connect():
                self._stopping.wait(RETRY_SECONDS)
                continue
            sock = getattr(self._connection, "_sock", None)
            try:
                if sock is not None:
                    select.select([sock], [], [], PING_SECONDS)
                with self._lock:
                    self._drain()
                    if self._connection is not None and self.clock() - self._pinged_at >= PING_SECONDS:
                        self._connection.send_command("PING")
                        self._pinged_at = self.clock()
            except (RedisError, OSError, ValueError):
                with self._lock:
                    self._lost("the tracking connection failed")

    def _connect(self) -> bool:
        if self._connection is not None:
            return True
        timeout = settings.REDIS_TIMEOUT
        try:
            client = Redis.from_url(self.url, protocol=3, socket_timeout=timeout, socket_connect_timeout=timeout)
            connection = client.connection_pool.make_connection()
            connection.connect()
            # The parser hands invalidation pushes to us (redis-py's own
            # client-side cache registers itself the same way).
            connection._parser.set_invalidation_push_handler(self._on_invalidation)
            arguments = ["CLIENT", "TRACKING", "ON", "BCAST"]
            for prefix in self.prefixes:
                arguments += ["PREFIX", prefix]
            connection.send_command(*arguments)
            connection.read_response()
        except (RedisError, OSError) as exc:
            logger.debug("tracking connection not made", extra={"error": str(exc)})
            return False
        poller = select.poll()
        poller.register(connection._sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        with self._lock:
            self._connection, self._poller = connection, poller
            self._forget_everything()  # what changed while we were away, nobody told us
            self._heard_at = self.clock()
        return True

    def _drain(self) -> None:
        """Read every reply and invalidation waiting on the connection (lock
        held). Whether anything waits is one poll(): most lookups find
        nothing. (No complete reply waits in the parser's buffer between two
        drains: each reads until none is left.)"""
        connection = self._connection
        if connection is None or not self._poller.poll(0):
            return
        try:
            while connection.can_read(0):
                connection.read_response(push_request=True)
                self._heard_at = self.clock()  # a PONG, or an invalidation
        except (RedisError, OSError, ValueError):
            self._lost("the tracking connection failed")

    def _lost(self, why: str) -> None:
        if self._connection is not None:
            logger.warning("per-process memory off until Redis is back", extra={"reason": why})
            with contextlib.suppress(RedisError, OSError):
                self._connection.disconnect()
        self._connection = None
        self._forget_everything()

    def _on_invalidation(self, message) -> None:
        keys = message[1] if len(message) > 1 else None
        if keys is None:  # FLUSHDB / FLUSHALL: every key went
            self._forget_everything()
        else:
            self._mark(keys)

    def _mark(self, keys) -> None:
        self._seq += 1
        for key in keys:
            self._changed_at[key] = self._seq
        if len(self._changed_at) > 100_000:
            self._forget_everything()

    def _forget_everything(self) -> None:
        self._seq += 1
        self._forgotten_at = self._seq
        self._changed_at.clear()

    def stop(self) -> None:
        """Close the connection and end the thread (tests)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock:
            self._lost("stopped")


_watch: Watch | None = None
_made_for: tuple | None = None
_watch_lock = threading.Lock()


def watch() -> Watch | None:
    """This process's watch (a forked worker makes its own); None without Redis."""
    global _watch, _made_for
    if not settings.REDIS_URL:
        return None
    wanted = (os.getpid(), settings.REDIS_URL, settings.REDIS_KEY_PREFIX)
    if _made_for != wanted:
        with _watch_lock:
            if _made_for != wanted:
                if _watch is not None and _made_for[0] == wanted[0]:
                    _watch.stop()  # the settings changed (tests point at another Redis)
                prefix = settings.REDIS_KEY_PREFIX
                _watch = Watch(settings.REDIS_URL, [f"{prefix}:stamp:", f"{prefix}:lbver:", f"{prefix}:pcount:"])
                _made_for = wanted
    return _watch
