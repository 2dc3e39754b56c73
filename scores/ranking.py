"""Leaderboards in Redis sorted sets: the fast copy of PostgreSQL's `Best` rows.

One sorted set per board and period. Its score is the entry's `rank_key`
(smaller is better, whatever the board's order); its member is
`<subrank_key + 2**53, 17 digits>:<achieved_at in µs, 17 digits>:<user id,
19 digits>`, so that among equal scores Redis' lexicographic order is
PostgreSQL's order too: the better subscore first, then the earlier time,
then the lower user id. A hash maps each user to their member and the
entry's version (`member/version`): a write older than the entry it would
replace is dropped, so writes that reach Redis out of order still leave the
newest. A `built` marker says the set holds the whole board: without it
(never built, Redis restarted or flushed) the board is rebuilt from
PostgreSQL; a board that missed a write is marked stale in PostgreSQL
(scores.rebuild). Every call raises `RankingUnavailable` when Redis is
unconfigured or does not answer; callers then read PostgreSQL, the source
of truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from redis.client import Pipeline
from redis.exceptions import RedisError

from config import redis_scripts
from scores.periods import BoardPeriod

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Subscores (and so subrank keys) are within ±(2**53 - 1): shifted by 2**53
# they are non-negative, and 17 digits keep them in numeric order.
_SUBRANK_SHIFT = 2**53
REBUILD_LOCK_SECONDS = 120
# Entries per round trip of a rebuild: each must stay well inside
# REDIS_TIMEOUT (40 ms) on a busy machine, or the breaker opens mid-rebuild.
_BATCH = 1_000


class RankingUnavailable(Exception):
    """Redis is not configured, or did not answer."""


@dataclass(frozen=True)
class RankedEntry:
    rank: int  # 1-based
    user_id: int
    rank_key: int
    subrank_key: int
    achieved_at: datetime
    username: str | None = None  # when the read brought it along


@dataclass(frozen=True)
class StoredEntry:
    """What Redis keeps of one entry (a Best row)."""

    rank_key: int
    subrank_key: int
    achieved_at: datetime
    version: int


@dataclass(frozen=True)
class BoardPage:
    entries: list[RankedEntry]
    total: int


# --- Key names: built here and nowhere else ------------------------------------


def board_key(board: BoardPeriod, part: str = "") -> str:
    key = f"{settings.REDIS_KEY_PREFIX}:lbb:{board.board_id}:{board.period}:{board.start.isoformat()}"
    return f"{key}:{part}" if part else key


def _keys(board: BoardPeriod) -> list[str]:
    return [board_key(board), board_key(board, "who")]


def _subrank_prefix(subrank_key: int) -> str:
    return f"{subrank_key + _SUBRANK_SHIFT:017d}"


def encode_member(user_id: int, subrank_key: int, achieved_at: datetime) -> str:
    micros = (achieved_at - EPOCH) // timedelta(microseconds=1)
    return f"{_subrank_prefix(subrank_key)}:{micros:017d}:{user_id:019d}"


def decode_member(member: bytes | str) -> tuple[int, int, datetime]:
    """(user_id, subrank_key, achieved_at) of a member."""
    text = member.decode() if isinstance(member, bytes) else member
    subrank, micros, user_id = text.split(":")
    return int(user_id), int(subrank) - _SUBRANK_SHIFT, EPOCH + timedelta(microseconds=int(micros))


def _expire_at(board: BoardPeriod) -> int:
    expires = board.expires_at
    return int(expires.timestamp()) if expires else 0


# --- Scripts: each runs atomically in Redis ----------------------------------------

# The member part of a `who` value (`member/version`); `false` stays `false`.
MEMBER_OF = """
local function member_of(who)
  if not who then return nil end
  return string.sub(who, 1, string.find(who, '/', 1, true) - 1)
end
"""

# Record an entry unless the user's entry there is as new or newer (by version).
_RECORD = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  local sep = string.find(old, '/', 1, true)
  if tonumber(string.sub(old, sep + 1)) >= tonumber(ARGV[5]) then return 0 end
  redis.call('ZREM', KEYS[1], string.sub(old, 1, sep - 1))
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. '/' .. ARGV[5])
if tonumber(ARGV[4]) > 0 then
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
  redis.call('EXPIREAT', KEYS[2], ARGV[4])
end
return 1
"""

# Remove a user's entry (moderation took their last score there).
_REMOVE = (
    MEMBER_OF
    + """
local old = member_of(redis.call('HGET', KEYS[2], ARGV[1]))
if old then
  redis.call('ZREM', KEYS[1], old)
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
"""
)

# The usernames kept for the users of rows (member, score, member, score…),
# false where none is kept: ARGV's name prefix and each member's user id
# (its last 19 digits, without the padding). The name keys are built here:
# Podium's Redis is one server, not a cluster.
_NAMES_OF = """
local function names_of(rows, prefix)
  local keys = {}
  for i = 1, #rows, 2 do
    keys[#keys + 1] = prefix .. string.match(string.sub(rows[i], -19), '^0*(.+)$')
  end
  if #keys == 0 then return {} end
  return redis.call('MGET', unpack(keys))
end
"""

# A user's 0-based rank, the entries within `radius` of it, and their
# names (ARGV[3]: the name prefix, or '' for none).
_AROUND = (
    MEMBER_OF
    + _NAMES_OF
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end
local member = member_of(redis.call('HGET', KEYS[2], ARGV[1]))
if not member then return {-1} end
local rank = redis.call('ZRANK', KEYS[1], member)
if not rank then return {-1} end
local radius = tonumber(ARGV[2])
local first = rank - radius
if first < 0 then first = 0 end
local around = redis.call('ZRANGE', KEYS[1], first, rank + radius, 'WITHSCORES')
local names = {}
if ARGV[3] ~= '' then names = names_of(around, ARGV[3]) end
return {rank, first, around, names}
"""
)

# A page: whether the board is built, its size, the rows from ARGV[1] to
# ARGV[2] (0-based, inclusive) and their names (ARGV[3]: the name prefix).
_PAGE = (
    _NAMES_OF
    + """
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local rows = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
return {1, redis.call('ZCARD', KEYS[1]), rows, names_of(rows, ARGV[3])}
"""
)

# How many entries other than the user's own are at least as good as
# (score, subrank): a probe that sorts after every member with that score and
# subrank is ranked, and taken out again before anyone can see it.
_AHEAD = (
    MEMBER_OF
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ahead = redis.call('ZRANK', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
local own = member_of(redis.call('HGET', KEYS[2], ARGV[3]))
if own then
  local own_rank = redis.call('ZRANK', KEYS[1], own)
  if own_rank and own_rank < ahead then ahead = ahead - 1 end
end
return ahead
"""
)

# For each user (ARGV) with an entry: its 0-based rank, member and score.
_RANKS = (
    MEMBER_OF
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end
local found = {1}
for _, user in ipairs(ARGV) do
  local member = member_of(redis.call('HGET', KEYS[2], user))
  if member then
    local rank = redis.call('ZRANK', KEYS[1], member)
    if rank then
      table.insert(found, rank)
      table.insert(found, member)
      table.insert(found, redis.call('ZSCORE', KEYS[1], member))
    end
  end
end
return found
"""
)

# Swap a freshly built board in for the live one, in one step.
_SWAP = """
-- UNLINK first: RENAME over a large set would free it here, synchronously.
redis.call('UNLINK', KEYS[1], KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[1])
  redis.call('RENAME', KEYS[4], KEYS[2])
else
  redis.call('UNLINK', KEYS[4])
end
redis.call('SET', KEYS[5], '1')
if tonumber(ARGV[1]) > 0 then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[2], ARGV[1])
  redis.call('EXPIREAT', KEYS[5], ARGV[1])
end
return 1
"""


class _Scripts:
    def __init__(self, client):
        self.record = client.register_script(_RECORD)
        self.remove = client.register_script(_REMOVE)
        self.around = client.register_script(_AROUND)
        self.page = client.register_script(_PAGE)
        self.ahead = client.register_script(_AHEAD)
        self.ranks = client.register_script(_RANKS)
        self.swap = client.register_script(_SWAP)


def enabled() -> bool:
    """Whether leaderboards live in Redis at all (REDIS_URL is set)."""
    return bool(settings.REDIS_URL)


def redis_client():
    if not settings.REDIS_URL:
        raise RankingUnavailable("REDIS_URL is not configured")
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def scripts(client) -> _Scripts:
    """The ranking's scripts, registered once per client (scores.ranking_json reads with them too)."""
    registered = getattr(client, "_podium_ranking_scripts", None)
    if registered is None:
        registered = client._podium_ranking_scripts = _Scripts(client)
    return registered


@contextmanager
def redis_call():
    """Turns every Redis failure into RankingUnavailable."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise RankingUnavailable(str(exc)) from exc


# --- Writes --------------------------------------------------------------------------


def record_arguments(board: BoardPeriod, user_id: int, entry: StoredEntry) -> list:
    """What a script needs to record an entry: (rank key, member, expiry, version)."""
    return [
        entry.rank_key,
        encode_member(user_id, entry.subrank_key, entry.achieved_at),
        _expire_at(board),
        entry.version,
    ]


def _record_args(board: BoardPeriod, user_id: int, entry: StoredEntry) -> list:
    return [user_id, *record_arguments(board, user_id, entry)]


def record_entry(board: BoardPeriod, *, user_id: int, entry: StoredEntry) -> None:
    """Put a user's entry on the board unless Redis already has a newer one."""
    client = redis_client()
    with redis_call():
        redis_scripts.run(scripts(client).record, keys=_keys(board), args=_record_args(board, user_id, entry))


def record_entries(
    entries: dict[BoardPeriod, StoredEntry],
    *,
    user_id: int,
    rank_in: BoardPeriod | None = None,
    also: Callable[[Pipeline], None] | None = None,
) -> int | None:
    """record_entry for several periods of one player and, with `rank_in`,
    their 1-based rank on that board after them (None when the board is not
    built or has no entry of theirs), in one round trip; `also` may add
    commands of its own to that round trip."""
    client = redis_client()
    registered = scripts(client)
    with redis_call():
        pipe = client.pipeline(transaction=False)
        for board, entry in entries.items():
            registered.record(keys=_keys(board), args=_record_args(board, user_id, entry), client=pipe)
        if rank_in is not None:
            registered.around(keys=[*_keys(rank_in), board_key(rank_in, "built")], args=[user_id, 0, ""], client=pipe)
        if also is not None:
            also(pipe)
        results = pipe.execute()
    if rank_in is None:
        return None
    found = results[len(entries)]
    return found[0] + 1 if found[0] >= 0 else None


def remove_entry(board: BoardPeriod, *, user_id: int) -> None:
    client = redis_client()
    with redis_call():
        redis_scripts.run(scripts(client).remove, keys=_keys(board), args=[user_id])


def rebuild_board(board: BoardPeriod, entries: Iterable[tuple[int, StoredEntry]]) -> int:
    """Replace the board with `entries` (user_id, entry); returns their count."""
    client = redis_client()
    tmp, tmp_who = board_key(board, "tmp"), board_key(board, "tmpwho")
    count = 0
    with redis_call():
        client.unlink(tmp, tmp_who)  # a failed rebuild may have left a large one
        pipe = client.pipeline(transaction=False)
        batch: dict[str, int] = {}
        who: dict[str, str] = {}
        for user_id, entry in entries:
            member = encode_member(user_id, entry.subrank_key, entry.achieved_at)
            batch[member] = entry.rank_key
            who[str(user_id)] = f"{member}/{entry.version}"
            count += 1
            if len(batch) >= _BATCH:
                pipe.zadd(tmp, batch).hset(tmp_who, mapping=who).execute()
                batch, who = {}, {}
        if batch:
            pipe.zadd(tmp, batch).hset(tmp_who, mapping=who).execute()
        redis_scripts.run(
            scripts(client).swap,
            keys=[*_keys(board), tmp, tmp_who, board_key(board, "built")],
            args=[_expire_at(board)],
        )
    return count


def claim_rebuild(board: BoardPeriod) -> bool:
    """True for the one caller that should rebuild a board now (a short lock)."""
    client = redis_client()
    with redis_call():
        return bool(client.set(board_key(board, "lock"), "1", nx=True, ex=REBUILD_LOCK_SECONDS))


def release_rebuild(board: BoardPeriod) -> None:
    client = redis_client()
    with redis_call():
        client.delete(board_key(board, "lock"))


# --- Reads ---------------------------------------------------------------------------


class BoardNotBuilt(Exception):
    """The board is not (or no longer) in Redis; rebuild it or read PostgreSQL."""


def page(board: BoardPeriod, *, offset: int, limit: int, names: str = "") -> BoardPage:
    """Entries offset+1 to offset+limit and the board's size, with the
    usernames kept under the prefix `names` (when given), in one round trip."""
    client = redis_client()
    with redis_call():
        result = redis_scripts.run(
            scripts(client).page,
            keys=[board_key(board), board_key(board, "built")],
            args=[offset, offset + limit - 1, names],
        )
    if not result[0]:
        raise BoardNotBuilt(board)
    _built, total, flat, usernames = result
    return BoardPage(entries=_ranked(_rows(flat), first_rank=offset + 1, names=usernames), total=total)


def around(
    board: BoardPeriod, *, user_id: int, radius: int, names: str = ""
) -> tuple[RankedEntry | None, list[RankedEntry]]:
    """A user's entry and the entries from rank - radius to rank + radius,
    with the usernames kept under the prefix `names` (when given), in one
    round trip."""
    client = redis_client()
    with redis_call():
        result = redis_scripts.run(
            scripts(client).around, keys=[*_keys(board), board_key(board, "built")], args=[user_id, radius, names]
        )
    if result[0] == -2:
        raise BoardNotBuilt(board)
    if result[0] == -1:
        return None, []
    rank, first, flat, usernames = result
    entries = _ranked(_rows(flat), first_rank=first + 1, names=usernames)
    own = next(entry for entry in entries if entry.rank == rank + 1)
    return own, entries


def _rows(flat: list) -> list[tuple[bytes, float]]:
    """(member, score) pairs of a script's flat rows."""
    return list(zip(flat[0::2], (float(score) for score in flat[1::2]), strict=True))


def count_ahead_of(board: BoardPeriod, *, user_id: int, rank_key: int, subrank_key: int) -> int:
    """Entries other than the user's own at least as good as (rank_key,
    subrank_key): all of them rank ahead of an entry with those keys reached
    just now."""
    client = redis_client()
    probe = f"{_subrank_prefix(subrank_key)}:~"  # '~' sorts after every digit
    with redis_call():
        ahead = redis_scripts.run(
            scripts(client).ahead, keys=[*_keys(board), board_key(board, "built")], args=[rank_key, probe, user_id]
        )
    if ahead < 0:
        raise BoardNotBuilt(board)
    return ahead


def ranks_of(board: BoardPeriod, *, user_ids: list[int]) -> list[RankedEntry]:
    """The entries of these users, each with its rank on the whole board,
    best first (users without one are left out), in one round trip."""
    if not user_ids:
        return []
    client = redis_client()
    with redis_call():
        result = redis_scripts.run(
            scripts(client).ranks, keys=[*_keys(board), board_key(board, "built")], args=user_ids
        )
    if result[0] == -2:
        raise BoardNotBuilt(board)
    entries = []
    for rank, member, score in zip(result[1::3], result[2::3], result[3::3], strict=True):
        entries.extend(_ranked([(member, float(score))], first_rank=rank + 1))
    return sorted(entries, key=lambda entry: entry.rank)


def _ranked(rows, *, first_rank: int, names: list | None = None) -> list[RankedEntry]:
    entries = []
    for offset, (member, score) in enumerate(rows):
        user_id, subrank_key, achieved_at = decode_member(member)
        name = names[offset] if names else None
        entries.append(
            RankedEntry(
                rank=first_rank + offset,
                user_id=user_id,
                rank_key=int(score),
                subrank_key=subrank_key,
                achieved_at=achieved_at,
                username=name.decode() if isinstance(name, bytes) else name,
            )
        )
    return entries
