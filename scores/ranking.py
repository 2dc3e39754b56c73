"""Leaderboards in Redis sorted sets: the fast copy of PostgreSQL's `Best` rows.

One sorted set per board (game and period). Its score is the entry's
`rank_key` (smaller is better, whatever the game's order); its member is
`<achieved_at in µs, 17 digits>:<user id, 19 digits>`, so that among equal
scores Redis' lexicographic order is PostgreSQL's order too: earlier first,
then lower user id. A hash maps each user to their member, and a `built`
marker says the set holds the whole board: without it (never built, Redis
restarted or flushed) the board is rebuilt from PostgreSQL; a board that
missed a write is marked stale in PostgreSQL (scores.rebuild). Every call
raises `RankingUnavailable` when Redis is unconfigured or does not answer;
callers then read PostgreSQL, the source of truth.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from redis.exceptions import RedisError

from scores.periods import Board

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
    achieved_at: datetime


@dataclass(frozen=True)
class BoardPage:
    entries: list[RankedEntry]
    total: int


# --- Key names: built here and nowhere else ------------------------------------


def board_key(board: Board, part: str = "") -> str:
    key = f"{settings.REDIS_KEY_PREFIX}:lb:{board.game_id}:{board.period}:{board.start.isoformat()}"
    return f"{key}:{part}" if part else key


def _keys(board: Board) -> list[str]:
    return [board_key(board), board_key(board, "who")]


def encode_member(user_id: int, achieved_at: datetime) -> str:
    micros = (achieved_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros:017d}:{user_id:019d}"


def decode_member(member: bytes | str) -> tuple[int, datetime]:
    text = member.decode() if isinstance(member, bytes) else member
    micros, user_id = text.split(":")
    return int(user_id), EPOCH + timedelta(microseconds=int(micros))


def _expire_at(board: Board) -> int:
    expires = board.expires_at
    return int(expires.timestamp()) if expires else 0


# --- Scripts: each runs atomically in Redis ----------------------------------------

# Record a best only if it beats the user's entry (or they have none).
_RECORD = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  local old_score = tonumber(redis.call('ZSCORE', KEYS[1], old))
  local new_score = tonumber(ARGV[2])
  if old_score and (old_score < new_score or (old_score == new_score and old <= ARGV[3])) then
    return 0
  end
  redis.call('ZREM', KEYS[1], old)
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if tonumber(ARGV[4]) > 0 then
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
  redis.call('EXPIREAT', KEYS[2], ARGV[4])
end
return 1
"""

# Replace a user's entry, whatever it was (moderation can make a best worse).
_REPLACE = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  redis.call('ZREM', KEYS[1], old)
  redis.call('HDEL', KEYS[2], ARGV[1])
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return 1
"""

# A user's 0-based rank, and the entries within `radius` of it.
_AROUND = """
if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return {-1} end
local rank = redis.call('ZRANK', KEYS[1], member)
if not rank then return {-1} end
local radius = tonumber(ARGV[2])
local first = rank - radius
if first < 0 then first = 0 end
local around = redis.call('ZRANGE', KEYS[1], first, rank + radius, 'WITHSCORES')
return {rank, first, around}
"""

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
        self.replace = client.register_script(_REPLACE)
        self.around = client.register_script(_AROUND)
        self.swap = client.register_script(_SWAP)


def enabled() -> bool:
    """Whether leaderboards live in Redis at all (REDIS_URL is set)."""
    return bool(settings.REDIS_URL)


def _client():
    if not settings.REDIS_URL:
        raise RankingUnavailable("REDIS_URL is not configured")
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _scripts(client) -> _Scripts:
    scripts = getattr(client, "_podium_ranking_scripts", None)
    if scripts is None:
        scripts = client._podium_ranking_scripts = _Scripts(client)
    return scripts


@contextmanager
def _redis_call():
    """Turns every Redis failure into RankingUnavailable."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise RankingUnavailable(str(exc)) from exc


# --- Writes --------------------------------------------------------------------------


def record_best(board: Board, *, user_id: int, rank_key: int, achieved_at: datetime) -> None:
    """Put a user's best on the board unless their entry there is already better."""
    client = _client()
    with _redis_call():
        _scripts(client).record(
            keys=_keys(board),
            args=[user_id, rank_key, encode_member(user_id, achieved_at), _expire_at(board)],
        )


def record_bests(bests: dict[Board, tuple[int, datetime]], *, user_id: int) -> None:
    """record_best for several boards of one player, in one round trip."""
    client = _client()
    script = _scripts(client).record
    with _redis_call():
        pipe = client.pipeline(transaction=False)
        for board, (rank_key, achieved_at) in bests.items():
            script(
                keys=_keys(board),
                args=[user_id, rank_key, encode_member(user_id, achieved_at), _expire_at(board)],
                client=pipe,
            )
        pipe.execute()


def replace_entry(board: Board, *, user_id: int, best: tuple[int, datetime] | None) -> None:
    """Set a user's entry to `best` (rank_key, achieved_at), or remove it (None)."""
    client = _client()
    with _redis_call():
        rank_key, member = (best[0], encode_member(user_id, best[1])) if best else (0, "")
        _scripts(client).replace(keys=_keys(board), args=[user_id, rank_key, member])


def rebuild_board(board: Board, entries: Iterable[tuple[int, int, datetime]]) -> int:
    """Replace the board with `entries` (user_id, rank_key, achieved_at); returns their count."""
    client = _client()
    tmp, tmp_who = board_key(board, "tmp"), board_key(board, "tmpwho")
    count = 0
    with _redis_call():
        client.unlink(tmp, tmp_who)  # a failed rebuild may have left a large one
        pipe = client.pipeline(transaction=False)
        batch: dict[str, int] = {}
        who: dict[str, str] = {}
        for user_id, rank_key, achieved_at in entries:
            member = encode_member(user_id, achieved_at)
            batch[member] = rank_key
            who[str(user_id)] = member
            count += 1
            if len(batch) >= _BATCH:
                pipe.zadd(tmp, batch).hset(tmp_who, mapping=who).execute()
                batch, who = {}, {}
        if batch:
            pipe.zadd(tmp, batch).hset(tmp_who, mapping=who).execute()
        _scripts(client).swap(keys=[*_keys(board), tmp, tmp_who, board_key(board, "built")], args=[_expire_at(board)])
    return count


def claim_rebuild(board: Board) -> bool:
    """True for the one caller that should rebuild a board now (a short lock)."""
    client = _client()
    with _redis_call():
        return bool(client.set(board_key(board, "lock"), "1", nx=True, ex=REBUILD_LOCK_SECONDS))


def release_rebuild(board: Board) -> None:
    client = _client()
    with _redis_call():
        client.delete(board_key(board, "lock"))


def forget_board(board: Board) -> None:
    """Drop a board so that the next read rebuilds it from PostgreSQL."""
    client = _client()
    with _redis_call():
        client.delete(*_keys(board), board_key(board, "built"))


# --- Reads ---------------------------------------------------------------------------


class BoardNotBuilt(Exception):
    """The board is not (or no longer) in Redis; rebuild it or read PostgreSQL."""


def page(board: Board, *, offset: int, limit: int) -> BoardPage:
    client = _client()
    with _redis_call():
        built, total, rows = (
            client.pipeline(transaction=False)
            .exists(board_key(board, "built"))
            .zcard(board_key(board))
            .zrange(board_key(board), offset, offset + limit - 1, withscores=True)
            .execute()
        )
    if not built:
        raise BoardNotBuilt(board)
    return BoardPage(entries=_ranked(rows, first_rank=offset + 1), total=total)


def around(board: Board, *, user_id: int, radius: int) -> tuple[RankedEntry | None, list[RankedEntry]]:
    """A user's entry and the entries from rank - radius to rank + radius."""
    client = _client()
    with _redis_call():
        result = _scripts(client).around(keys=[*_keys(board), board_key(board, "built")], args=[user_id, radius])
    if result[0] == -2:
        raise BoardNotBuilt(board)
    if result[0] == -1:
        return None, []
    rank, first, flat = result
    rows = list(zip(flat[0::2], (float(score) for score in flat[1::2]), strict=True))
    entries = _ranked(rows, first_rank=first + 1)
    own = next(entry for entry in entries if entry.rank == rank + 1)
    return own, entries


def count_ahead_of(board: Board, rank_key: int) -> int:
    """Entries at least as good as `rank_key`: all of them rank ahead of a new
    best with that key, which was reached after them."""
    client = _client()
    with _redis_call():
        built, ahead = (
            client.pipeline(transaction=False)
            .exists(board_key(board, "built"))
            .zcount(board_key(board), "-inf", rank_key)
            .execute()
        )
    if not built:
        raise BoardNotBuilt(board)
    return ahead


def _ranked(rows, *, first_rank: int) -> list[RankedEntry]:
    entries = []
    for offset, (member, score) in enumerate(rows):
        user_id, achieved_at = decode_member(member)
        entries.append(
            RankedEntry(rank=first_rank + offset, user_id=user_id, rank_key=int(score), achieved_at=achieved_at)
        )
    return entries
