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

Every socket also holds a **slot** against the caps of CONTRACT §7: a
signed-in user's sockets to one game (WS_MAX_PER_USER), or one client
address's anonymous sockets over all games and the lobby
(WS_MAX_PER_ADDRESS). Slots live beside the counts, in one sorted set per
owner scored by expiry, so they are counted over every process and a dead
process's slots expire with its sockets.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from dataclasses import dataclass

from django.conf import settings

from config import redis_scripts
from config.security_log import client_network
from config.watch import watch


@dataclass(frozen=True)
class PlayerCount:
    players: int = 0
    connections: int = 0


def ttl_seconds() -> float:
    return settings.PRESENCE_TTL_SECONDS


def _keys(game_id: int) -> list[str]:
    """The game's connections, their users, live connections per user, and
    its counts as text (`players connections next-expiry-ms`, written by
    every script that changes them: what REST reads, see player_counts)."""
    base = f"{settings.REDIS_KEY_PREFIX}:presence:{game_id}"
    return [f"{base}:conns", f"{base}:who", f"{base}:users", count_key(game_id)]


def count_key(game_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:pcount:{game_id}"


@dataclass(frozen=True)
class Slot:
    """Whose sockets a socket counts against, and how many they may hold."""

    owner: str
    limit: int

    @property
    def key(self) -> str:
        return f"{settings.REDIS_KEY_PREFIX}:presence:slots:{self.owner}"


def socket_slot(*, user_id: int | None, address: str, game_id: int | None) -> Slot:
    """The slot of a socket to `game_id` (None: the lobby)."""
    if user_id is not None:
        where = "lobby" if game_id is None else f"game:{game_id}"
        return Slot(f"user:{user_id}:{where}", settings.WS_MAX_PER_USER)
    return Slot(f"address:{client_network(address)}", settings.WS_MAX_PER_ADDRESS)


class TooManySockets(Exception):
    """The socket's owner already holds as many sockets as the cap allows."""


# A cap that never refuses: a socket already open that must be counted in again.
NO_LIMIT = 2**31


# --- Lua: every script first sweeps the game's expired connections -----------------

_NOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl_ms = math.floor(tonumber(ARGV[1]) * 1000)
"""

_SWEEP = (
    _NOW
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms)
for _, conn in ipairs(expired) do
  local user = redis.call('HGET', KEYS[2], conn)
  if user and user ~= '' then
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
  end
  redis.call('HDEL', KEYS[2], conn)
  redis.call('ZREM', KEYS[1], conn)
end
"""
)

# Push the expiry of the connections in ARGV[2..] forward in the sorted set
# KEYS[1]. Ids no longer there are collected in `missing`, not re-added:
# they may have just left (their LEAVE ran first), and only the hub knows
# whether they are still open.
_PUSH_FORWARD = """
local missing = {}
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now_ms + ttl_ms, ARGV[i]) == 0
     and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    table.insert(missing, ARGV[i])
  end
end
"""

# Keep the counts' text (KEYS[4]) in step: the counts, and when the first
# connection expires (0: none), after which the counts may be out of date
# until a script sweeps it. Written only when it changes (every change
# makes each process forget its copy: config.watch).
_COUNTED = """
local function counted()
  local players, connections = redis.call('HLEN', KEYS[3]), redis.call('ZCARD', KEYS[1])
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local next_expiry = first[2] or '0'
  local text = players .. ' ' .. connections .. ' ' .. next_expiry
  -- The text's own expiry is set only with it: touching it would count as a change.
  if redis.call('GET', KEYS[4]) ~= text then redis.call('SET', KEYS[4], text, 'PX', ttl_ms * 2) end
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl_ms * 2) end
  return players, connections, next_expiry
end
"""

_RESULT = (
    _COUNTED
    + """
local players, connections = counted()
return {players, connections, #expired}
"""
)


def _claim_slot(key: str, connection: str, limit: str) -> str:
    """Lua: take a slot in sorted set `key` for `connection`, or return -1 when
    the owner's live slots are all taken (expired ones are dropped first)."""
    return f"""
redis.call('ZREMRANGEBYSCORE', {key}, '-inf', now_ms)
if not redis.call('ZSCORE', {key}, {connection}) and redis.call('ZCARD', {key}) >= tonumber({limit}) then
  return {{-1}}
end
redis.call('ZADD', {key}, now_ms + ttl_ms, {connection})
redis.call('PEXPIRE', {key}, ttl_ms * 2)
"""


# KEYS: the game's four, then the socket's slot. ARGV: ttl, connection id,
# user id ('' for anonymous), the slot's limit.
JOIN = (
    _SWEEP
    + _claim_slot("KEYS[5]", "ARGV[2]", "ARGV[4]")
    + """
if redis.call('ZADD', KEYS[1], now_ms + ttl_ms, ARGV[2]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
end
"""
    + _RESULT
)

# KEYS: the game's four, then the socket's slot. ARGV: ttl, connection id
LEAVE = (
    _SWEEP
    + """
redis.call('ZREM', KEYS[5], ARGV[2])
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

# ARGV: ttl, then connection ids: push their expiry forward; returns the
# counts and the ids that were missing.
REFRESH = (
    _SWEEP
    + _PUSH_FORWARD
    + _COUNTED
    + """
local players, connections = counted()
return {players, connections, #expired, missing}
"""
)

# ARGV: ttl. Returns the counts, how many expired, and when the next expires.
COUNT = (
    _SWEEP
    + _COUNTED
    + """
local players, connections, next_expiry = counted()
return {players, connections, #expired, next_expiry}
"""
)

# A socket that counts in no game (the lobby). KEYS: its slot. ARGV: ttl,
# connection id, the slot's limit.
CLAIM = _NOW + _claim_slot("KEYS[1]", "ARGV[2]", "ARGV[3]") + "return {1}"

# KEYS: a slot. ARGV: the connection id.
RELEASE = "return redis.call('ZREM', KEYS[1], ARGV[1])"

# KEYS: a slot. ARGV: ttl, then the connection ids of this process that hold
# it; returns those that were missing.
REFRESH_SLOT = (
    _NOW
    + _PUSH_FORWARD
    + """
redis.call('PEXPIRE', KEYS[1], ttl_ms * 2)
return missing
"""
)


@dataclass(frozen=True)
class Update:
    """Counts after a presence change, whether expired connections went, and
    (after a refresh) which of the given connections were no longer there."""

    count: PlayerCount
    swept: bool
    missing: tuple[str, ...] = ()


def _text(item: bytes | str) -> str:
    return item.decode() if isinstance(item, bytes) else item


def _update(result) -> Update:
    if int(result[0]) == -1:
        raise TooManySockets
    players, connections, swept = (int(part) for part in result[:3])
    missing = tuple(_text(item) for item in (result[3] if len(result) > 3 else ()))
    return Update(PlayerCount(players=players, connections=connections), swept=swept > 0, missing=missing)


# --- Synchronous reads, for REST and the admin ----------------------------------------


# game id -> (watch sequence number, counts, when its first connection
# expires in ms since the epoch, 0 for none), in each process.
_remembered: dict[int, tuple[int, PlayerCount, int]] = {}


def player_counts(game_ids: list[int]) -> dict[int, PlayerCount]:
    """Current counts for each game (zero for games nobody watches).

    Each process remembers a game's counts while Redis says their text has
    not changed (config.watch: every script that changes them rewrites it)
    and no connection of the game has reached its expiry (after which only
    a sweep can say whether it still counts): most reads ask Redis nothing,
    the others count in one round trip for all the games they need."""
    if not game_ids:
        return {}
    if not settings.REDIS_URL:
        return {game_id: local_presence().count(game_id).count for game_id in game_ids}
    watching = watch()
    seq = watching.snapshot() if watching is not None else None
    now_ms = time.time() * 1000
    counts, unknown = {}, []
    for game_id in game_ids:
        kept = _remembered.get(game_id) if seq is not None else None
        if (
            kept is not None
            and watching.unchanged_since(count_key(game_id), kept[0])
            and (not kept[2] or now_ms < kept[2])
        ):
            counts[game_id] = kept[1]
        else:
            unknown.append(game_id)
    if unknown:
        counts.update(_counted(unknown, seq))
    return counts


def _counted(game_ids: list[int], seq: int | None) -> dict[int, PlayerCount]:
    """Count in Redis (sweeping expired connections), and remember."""
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    client = get_redis_connection("default")
    script = redis_scripts.registered(client, COUNT)
    try:
        if len(game_ids) == 1:  # a game's detail, the common case: one EVALSHA
            results = [script(keys=_keys(game_ids[0]), args=[ttl_seconds()])]
        else:
            results = redis_scripts.execute(
                client,
                lambda pipe: [
                    redis_scripts.queue(pipe, script, keys=_keys(game_id), args=[ttl_seconds()]) for game_id in game_ids
                ],
                [script],
            )
    except (RedisError, OSError):
        return {game_id: PlayerCount() for game_id in game_ids}  # presence degrades to zero
    counts = {}
    for game_id, (players, connections, _expired, next_expiry) in zip(game_ids, results, strict=True):
        counts[game_id] = PlayerCount(players=int(players), connections=int(connections))
        if seq is not None:
            if len(_remembered) >= REMEMBERED_GAMES:
                _remembered.clear()
            _remembered[game_id] = (seq, counts[game_id], int(float(next_expiry)))
    return counts


REMEMBERED_GAMES = 10_000


def forget_counts() -> None:
    """Forget the counts this process remembers (the test suite, between tests)."""
    _remembered.clear()


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
        self.claim_script = self.client.register_script(CLAIM)
        self.release_script = self.client.register_script(RELEASE)
        self.refresh_slot_script = self.client.register_script(REFRESH_SLOT)

    async def join(self, game_id: int, connection: str, user_id: int | None, slot: Slot, *, limit=None) -> Update:
        """Count a socket in; raises TooManySockets (nothing counted) when its slot's owner is at the cap."""
        args = [ttl_seconds(), connection, "" if user_id is None else str(user_id), limit or slot.limit]
        return _update(await self.join_script(keys=[*_keys(game_id), slot.key], args=args))

    async def leave(self, game_id: int, connection: str, slot: Slot) -> Update:
        return _update(await self.leave_script(keys=[*_keys(game_id), slot.key], args=[ttl_seconds(), connection]))

    async def claim(self, slot: Slot, connection: str, *, limit=None) -> None:
        """A slot for a socket that counts in no game; raises TooManySockets."""
        result = await self.claim_script(keys=[slot.key], args=[ttl_seconds(), connection, limit or slot.limit])
        if int(result[0]) == -1:
            raise TooManySockets

    async def release(self, slot: Slot, connection: str) -> None:
        await self.release_script(keys=[slot.key], args=[connection])

    async def refresh_slots(self, held: dict[Slot, list[str]]) -> dict[Slot, list[str]]:
        """Push forward the expiry of every slot this process's sockets hold,
        in one round trip; returns the connections whose slot was gone."""
        if not held:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for slot, connections in held.items():
            await self.refresh_slot_script(keys=[slot.key], args=[ttl_seconds(), *connections], client=pipe)
        results = await pipe.execute()
        gone = {slot: [_text(item) for item in missing] for slot, missing in zip(held, results, strict=True)}
        return {slot: missing for slot, missing in gone.items() if missing}

    async def refresh(self, game_id: int, connections: list[str]) -> Update:
        return _update(await self.refresh_script(keys=_keys(game_id), args=[ttl_seconds(), *connections]))

    async def count(self, game_id: int) -> PlayerCount:
        players, connections, _expired, _next = await self.count_script(keys=_keys(game_id), args=[ttl_seconds()])
        return PlayerCount(players=int(players), connections=int(connections))


class LocalPresence:
    """The in-process twin: same rules, one process (no REDIS_URL)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._games: dict[int, dict[str, tuple[float, int | None]]] = {}
        self._slots: dict[str, dict[str, float]] = {}

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
            self._slots.clear()

    def join(self, game_id: int, connection: str, user_id: int | None, slot: Slot, limit: int | None = None) -> Update:
        with self._lock:
            self._claim(slot, connection, limit or slot.limit)
            connections, swept = self._sweep(game_id)
            connections[connection] = (time.monotonic() + ttl_seconds(), user_id)
            return self._result(connections, swept)

    def leave(self, game_id: int, connection: str, slot: Slot) -> Update:
        with self._lock:
            self._release(slot, connection)
            connections, swept = self._sweep(game_id)
            connections.pop(connection, None)
            return self._result(connections, swept)

    def claim(self, slot: Slot, connection: str, limit: int | None = None) -> None:
        with self._lock:
            self._claim(slot, connection, limit or slot.limit)

    def release(self, slot: Slot, connection: str) -> None:
        with self._lock:
            self._release(slot, connection)

    def _release(self, slot: Slot, connection: str) -> None:
        held = self._slots.get(slot.key, {})
        held.pop(connection, None)
        if not held:
            self._slots.pop(slot.key, None)  # one owner less: nothing grows with every address seen

    def _claim(self, slot: Slot, connection: str, limit: int) -> None:
        now = time.monotonic()
        held = {conn: expiry for conn, expiry in self._slots.get(slot.key, {}).items() if expiry > now}
        if connection not in held and len(held) >= limit:
            raise TooManySockets
        held[connection] = now + ttl_seconds()
        self._slots[slot.key] = held

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

    def refresh_slots(self, held: dict[Slot, list[str]]) -> dict[Slot, list[str]]:
        with self._lock:
            expiry = time.monotonic() + ttl_seconds()
            gone: dict[Slot, list[str]] = {}
            for slot, connections in held.items():
                slots = self._slots.get(slot.key, {})
                for connection in connections:
                    if connection in slots:
                        slots[connection] = expiry
                    else:
                        gone.setdefault(slot, []).append(connection)
            return gone


_local = LocalPresence()


def local_presence() -> LocalPresence:
    return _local


class LocalAsyncPresence:
    """LocalPresence behind the asynchronous interface consumers use."""

    async def join(self, game_id: int, connection: str, user_id: int | None, slot: Slot, *, limit=None) -> Update:
        return _local.join(game_id, connection, user_id, slot, limit)

    async def leave(self, game_id: int, connection: str, slot: Slot) -> Update:
        return _local.leave(game_id, connection, slot)

    async def claim(self, slot: Slot, connection: str, *, limit=None) -> None:
        _local.claim(slot, connection, limit)

    async def release(self, slot: Slot, connection: str) -> None:
        _local.release(slot, connection)

    async def refresh(self, game_id: int, connections: list[str]) -> Update:
        return _local.refresh(game_id, connections)

    async def refresh_slots(self, held: dict[Slot, list[str]]) -> dict[Slot, list[str]]:
        return _local.refresh_slots(held)

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
