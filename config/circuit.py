"""One circuit breaker for Redis, per process, in front of every connection.

Redis is Podium's fast path, never its source of truth: when it is down or
slow, waiting for it only makes every request slow. After
REDIS_BREAKER_FAILURES consecutive connection failures or timeouts the
breaker opens, and for REDIS_BREAKER_OPEN_SECONDS every Redis command fails
at once (a redis ConnectionError, which every caller already handles by
falling back to PostgreSQL or degrading). Then commands are let through
again as trials (half-open): the first success closes the breaker, a
failure opens it again.

A timeout opens the breaker at once: waiting twice for a Redis that stalls
would cost a request its 100 ms budget. Refused connections (instant) count
up to REDIS_BREAKER_FAILURES.

The breaker sits in the connection classes handed to redis-py's pools
(sync and asyncio), so django-redis, the leaderboards, presence and the
page cache all share it without knowing.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from redis import asyncio as redis_asyncio
from redis import connection as redis_connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("podium.circuit")

_OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


class CircuitBreaker:
    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

    def __init__(self, name: str, *, failures_to_open: int, open_seconds: float, clock=time.monotonic):
        self.name = name
        self.failures_to_open = failures_to_open
        self.open_seconds = open_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return self.CLOSED
        if self.clock() - self._opened_at >= self.open_seconds:
            return self.HALF_OPEN
        return self.OPEN

    @property
    def closed(self) -> bool:
        """Whether the dependency is taken to be up (no failures pending)."""
        return self._opened_at is None

    def allow(self) -> bool:
        """Whether a call may go to the dependency now (not while open)."""
        if self._opened_at is None:  # the common case, without the lock
            return True
        with self._lock:
            return self._state() != self.OPEN

    def success(self) -> None:
        if self._opened_at is None and not self._failures:
            return
        with self._lock:
            if self._opened_at is not None:
                logger.warning("circuit closed", extra={"circuit": self.name})
            self._failures, self._opened_at = 0, None

    def failure(self, *, at_once: bool = False) -> None:
        with self._lock:
            self._failures += self.failures_to_open if at_once else 1
            was_open = self._opened_at is not None
            if was_open or self._failures >= self.failures_to_open:
                self._opened_at = self.clock()
                if not was_open:
                    logger.error(
                        "circuit opened: failing fast", extra={"circuit": self.name, "seconds": self.open_seconds}
                    )

    def reset(self) -> None:
        with self._lock:
            self._failures, self._opened_at = 0, None


redis_breaker = CircuitBreaker(
    "redis",
    failures_to_open=settings.REDIS_BREAKER_FAILURES,
    open_seconds=settings.REDIS_BREAKER_OPEN_SECONDS,
)


def _record(exc: BaseException) -> None:
    """Count one failure per wait: a timeout of the handshake inside connect()
    passes through read_response and then connect, and is one wait."""
    if getattr(exc, "_podium_counted", False):
        return
    exc._podium_counted = True  # type: ignore[attr-defined]
    redis_breaker.failure(at_once=isinstance(exc, (RedisTimeoutError, TimeoutError)))


def refuse_when_open() -> None:
    if not redis_breaker.allow():
        raise RedisConnectionError("Redis circuit is open")


class GuardedConnectionMixin:
    """redis-py connection (sync) that reports to, and obeys, the breaker."""

    def connect(self, *args, **kwargs):
        if self._sock is None:
            refuse_when_open()
        try:
            return super().connect(*args, **kwargs)
        except _OUTAGE as exc:
            _record(exc)
            raise

    def send_packed_command(self, *args, **kwargs):
        refuse_when_open()
        try:
            return super().send_packed_command(*args, **kwargs)
        except _OUTAGE as exc:
            _record(exc)
            raise

    def read_response(self, *args, **kwargs):
        try:
            response = super().read_response(*args, **kwargs)
        except _OUTAGE as exc:
            _record(exc)
            raise
        redis_breaker.success()
        return response


class GuardedConnection(GuardedConnectionMixin, redis_connection.Connection):
    pass


class GuardedSSLConnection(GuardedConnectionMixin, redis_connection.SSLConnection):
    pass


class GuardedAsyncConnection(redis_asyncio.Connection):
    """The asyncio twin (presence)."""

    async def connect(self, *args, **kwargs):
        if not self.is_connected:
            refuse_when_open()
        try:
            return await super().connect(*args, **kwargs)
        except _OUTAGE as exc:
            _record(exc)
            raise

    async def send_packed_command(self, *args, **kwargs):
        refuse_when_open()
        try:
            return await super().send_packed_command(*args, **kwargs)
        except _OUTAGE as exc:
            _record(exc)
            raise

    async def read_response(self, *args, **kwargs):
        try:
            response = await super().read_response(*args, **kwargs)
        except _OUTAGE as exc:
            _record(exc)
            raise
        redis_breaker.success()
        return response


def guarded_connection_class(url: str):
    return GuardedSSLConnection if url.startswith("rediss://") else GuardedConnection


class GuardedConnectionPool(redis_connection.ConnectionPool):
    """The pool django-redis builds (CONNECTION_POOL_CLASS): guarded connections."""

    @classmethod
    def from_url(cls, url, **kwargs):
        kwargs.setdefault("connection_class", guarded_connection_class(url))
        return super().from_url(url, **kwargs)
