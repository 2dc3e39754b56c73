"""Who is watching each game: live player and connection counts.

Each open socket is a *connection* with an expiry that its server process
pushes forward on a heartbeat; a connection whose process died (even by
SIGKILL) simply expires and stops counting. `players` counts the distinct
signed-in users among a game's live connections, `connections` all of them.

With REDIS_URL the counts are global over every process: a sorted set of
connections scored by expiry (Redis' own clock), a hash of each
connection's user, and a hash of live connections per user, all changed by
Lua scripts so that every update is atomic and expired connections are
swept as part of it. Without Redis an in-process twin keeps the same rules
for the single process of the embedded default.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PlayerCount:
    players: int = 0
    connections: int = 0


def ttl_seconds() -> float:
    return settings.PRESENCE_TTL_SECONDS


def _keys(game_id: int) -> list[str]:
    base = f"{settings.REDIS_KEY_PREFIX}:presence:{game_id}"
    return [f"{base}:conns", f"{base}:who", f"{base}:users"]


# --- Lua: every script first sweeps the game's expired connections -----------------

_SWEEP = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms)
for _, conn in ipairs(expired) do
  local user = redis.call('HGET', KEYS[2], conn)
  if user and user ~= '' then
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
  end
  redis.call('HDEL', KEYS[2], conn)
  redis.call('ZREM', KEYS[1], conn)
end
local ttl_ms = math.floor(tonumber(ARGV[1]) * 1000)
"""

_RESULT = """
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl_ms * 2) end
return {redis.call('HLEN', KEYS[3]), redis.call('ZCARD', KEYS[1]), #expired}
"""

# ARGV: ttl, connection id, user id ('' for anonymous)
JOIN = (
    _SWEEP
    + """
if redis.call('ZADD', KEYS[1], now_ms + ttl_ms, ARGV[2]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
end
"""
    + _RESULT
)

# ARGV: ttl, connection id
LEAVE = (
    _SWEEP
    + """
if redis.call('ZREM', KEYS[1], ARGV[2]) == 1 then
  local user = redis.call('HGET', KEYS[2], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
  if user and user ~= '' then
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
  end
end
"""
    + _RESULT
)

# ARGV: ttl, then connection ids: push their expiry forward. Ids no longer
# there are returned, not re-added: they may have just left (their LEAVE ran
# first), and only the hub knows whether they are still open.
REFRESH = (
    _SWEEP
    + """
local missing = {}
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now_ms + ttl_ms, ARGV[i]) == 0
     and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    table.insert(missing, ARGV[i])
  end
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl_ms * 2) end
return {redis.call('HLEN', KEYS[3]), redis.call('ZCARD', KEYS[1]), #expired, missing}
"""
)

# ARGV: ttl
COUNT = _SWEEP + _RESULT


@dataclass(frozen=True)
class Update:
    """Counts after a presence change, whether expired connections went, and
    (after a refresh) which of the given connections were no longer there."""

    count: PlayerCount
    swept: bool
    missing: tuple[str, ...] = ()


def _update(result) -> Update:
    players, connections, swept = (int(part) for part in result[:3])
    missing = tuple(
        item.decode() if isinstance(item, bytes) else item for item in (result[3] if len(result) > 3 else ())
    )
    return Update(PlayerCount(players=players, connections=connections), swept=swept > 0, missing=missing)


# --- Synchronous reads, for REST and the admin ----------------------------------------


def player_counts(game_ids: list[int]) -> dict[int, PlayerCount]:
    """Current counts for each game (zero for games nobody watches)."""
    if not game_ids:
        return {}
    if not settings.REDIS_URL:
        return {game_id: local_presence().count(game_id).count for game_id in game_ids}
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    client = get_redis_connection("default")
    script = _sync_scripts(client)["count"]
    try:
        pipe = client.pipeline(transaction=False)
        for game_id in game_ids:
            script(keys=_keys(game_id), args=[ttl_seconds()], client=pipe)
        results = pipe.execute()
    except (RedisError, OSError):
        return {game_id: PlayerCount() for game_id in game_ids}  # presence degrades to zero
    return {game_id: _update(result).count for game_id, result in zip(game_ids, results, strict=True)}


def _sync_scripts(client) -> dict:
    scripts = getattr(client, "_podium_presence_scripts", None)
    if scripts is None:
        scripts = client._podium_presence_scripts = {"count": client.register_script(COUNT)}
    return scripts


# --- Asynchronous updates, for consumers -------------------------------------------------


class RedisPresence:
    """Presence in Redis through one asyncio client per event loop, whose
    pool waits for a free connection instead of failing under a burst."""

    def __init__(self, url: str, max_connections: int):
        from redis.asyncio import BlockingConnectionPool, Redis

        self.url = url
        from config.circuit import GuardedAsyncConnection

        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=5,
            connection_class=GuardedAsyncConnection,
            socket_timeout=settings.REDIS_TIMEOUT * 4,
            socket_connect_timeout=settings.REDIS_TIMEOUT * 4,
        )
        self.client = Redis(connection_pool=pool)
        self.join_script = self.client.register_script(JOIN)
        self.leave_script = self.client.register_script(LEAVE)
        self.refresh_script = self.client.register_script(REFRESH)
        self.count_script = self.client.register_script(COUNT)

    async def join(self, game_id: int, connection: str, user_id: int | None) -> Update:
        args = [ttl_seconds(), connection, "" if user_id is None else str(user_id)]
        return _update(await self.join_script(keys=_keys(game_id), args=args))

    async def leave(self, game_id: int, connection: str) -> Update:
        return _update(await self.leave_script(keys=_keys(game_id), args=[ttl_seconds(), connection]))

    async def refresh(self, game_id: int, connections: list[str]) -> Update:
        return _update(await self.refresh_script(keys=_keys(game_id), args=[ttl_seconds(), *connections]))

    async def count(self, game_id: int) -> PlayerCount:
        return _update(await self.count_script(keys=_keys(game_id), args=[ttl_seconds()])).count


class LocalPresence:
    """The in-process twin: same rules, one process (no REDIS_URL)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._games: dict[int, dict[str, tuple[float, int | None]]] = {}

    def _sweep(self, game_id: int) -> tuple[dict[str, tuple[float, int | None]], bool]:
        connections = self._games.setdefault(game_id, {})
        now = time.monotonic()
        expired = [connection for connection, (expiry, _user) in connections.items() if expiry <= now]
        for connection in expired:
            del connections[connection]
        return connections, bool(expired)

    def _result(self, connections, swept: bool) -> Update:
        players = len({user for _expiry, user in connections.values() if user is not None})
        return Update(PlayerCount(players=players, connections=len(connections)), swept=swept)

    def count(self, game_id: int) -> Update:
        with self._lock:
            return self._result(*self._sweep(game_id))

    def forget_everything(self) -> None:
        """Drop every connection (the process's sockets are all gone)."""
        with self._lock:
            self._games.clear()

    def change(self, game_id: int, *, add: dict[str, int | None] | None = None, remove: str | None = None) -> Update:
        with self._lock:
            connections, swept = self._sweep(game_id)
            expiry = time.monotonic() + ttl_seconds()
            for connection, user_id in (add or {}).items():
                connections[connection] = (expiry, user_id)
            connections.pop(remove, None)
            return self._result(connections, swept)

    def refresh(self, game_id: int, connections: list[str]) -> Update:
        with self._lock:
            live, swept = self._sweep(game_id)
            expiry = time.monotonic() + ttl_seconds()
            missing = []
            for connection in connections:
                if connection in live:
                    live[connection] = (expiry, live[connection][1])
                else:
                    missing.append(connection)
            update = self._result(live, swept)
            return Update(update.count, update.swept, tuple(missing))


_local = LocalPresence()


def local_presence() -> LocalPresence:
    return _local


class LocalAsyncPresence:
    """LocalPresence behind the asynchronous interface consumers use."""

    async def join(self, game_id: int, connection: str, user_id: int | None) -> Update:
        return _local.change(game_id, add={connection: user_id})

    async def leave(self, game_id: int, connection: str) -> Update:
        return _local.change(game_id, remove=connection)

    async def refresh(self, game_id: int, connections: list[str]) -> Update:
        return _local.refresh(game_id, connections)

    async def count(self, game_id: int) -> PlayerCount:
        return _local.count(game_id).count


_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def async_presence() -> RedisPresence | LocalAsyncPresence:
    """The presence store for the running event loop."""
    if not settings.REDIS_URL:
        return LocalAsyncPresence()
    loop = asyncio.get_running_loop()
    store = _by_loop.get(loop)
    if store is None or store.url != settings.REDIS_URL:
        store = _by_loop[loop] = RedisPresence(settings.REDIS_URL, settings.REALTIME_REDIS_POOL_MAX)
    return store
