"""Leaderboard reads in wire form, for the hot paths: one Redis round trip
each (a page, a player's place, a player's entry by name), answered as the
JSON text of the entries, which the view only wraps in the envelope.

A Lua script reads the entries (scores.ranking's sorted sets and members)
and the names kept beside them (accounts.selectors); `entries_json` writes
each one as CONTRACT §6 shows it, `{rank, user: {id, username}, value,
subscore, achievedAt}`, straight from the members: turning a hundred of
them into objects and dictionaries first would cost a page more CPU than
everything else it does. scores.serializers.entry_wire is the same shape
for entries read from PostgreSQL; tests hold the two to the same answers.

The board's rules (scores.models.Board) decide the numbers: the value is
the rank key, negated on higher-is-better boards; the subscore is the
member's subrank key (its first 17 digits less 2**53), negated the same way
by the subscore order, or null on boards without one; `achievedAt` is the
member's time in microseconds, in UTC with `Z`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from config import redis_scripts
from games.models import ScoreOrder
from scores import ranking
from scores.models import Board
from scores.periods import BoardPeriod

# A page and a player's place are read with scores.ranking's own scripts
# (its `page` and `around`, which bring the names kept beside the rows);
# only the lookup by name is this module's.

# KEYS: the board's set, its `who` hash and `built` marker, and the key
# that says whom the (lowered) username names (accounts.selectors).
# Returns {-2} when the board is not built, {-3} when the name is not known
# here (ask PostgreSQL), {-1} when its user has no entry, else {1, 0-based
# rank, member, score, the name as registered}.
_ENTRY_BY_NAME = (
    ranking.MEMBER_OF
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end
local ref = redis.call('GET', KEYS[4])
if not ref then return {-3} end
local separator = string.find(ref, ':', 1, true)
local member = member_of(redis.call('HGET', KEYS[2], string.sub(ref, 1, separator - 1)))
if not member then return {-1} end
local rank = redis.call('ZRANK', KEYS[1], member)
if not rank then return {-1} end
return {1, rank, member, redis.call('ZSCORE', KEYS[1], member), string.sub(ref, separator + 1)}
"""
)

_SUBRANK_SHIFT = 2**53
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]*")
_EPOCH = date(1970, 1, 1)
_MICROS_A_DAY = 86_400_000_000


def entries_json(rows: list, names: list, first_rank: int, signs: tuple[int, int]) -> list[str]:
    """Each row (member, score, …) as an entry's JSON text; `names[i]` is
    row i's username (NamesMissing when one is not kept)."""
    missing = [int(rows[2 * index][36:]) for index, name in enumerate(names) if name is None]
    if missing:
        raise NamesMissing(missing)
    return [
        f'{{"rank":{first_rank + (index >> 1)},{_entry_rest(rows[index], rows[index + 1], names[index >> 1], signs)}'
        for index in range(0, len(rows), 2)
    ]


@lru_cache(maxsize=50_000)
def _entry_rest(member: bytes, score: bytes, name: bytes, signs: tuple[int, int]) -> str:
    """An entry's JSON after its rank, which is all its member, score, name
    and board rules make it: a player's entry is written once per process
    while it stays the same, however often it is read (`me` again and
    again, a page read by many)."""
    value_sign, subscore_sign = signs
    text = member.decode()
    days, rest = divmod(int(text[18:35]), _MICROS_A_DAY)
    seconds, micros = divmod(rest, 1_000_000)
    username = name.decode()
    if not _PLAIN_NAME.fullmatch(username):
        username = json.dumps(username, ensure_ascii=False)[1:-1]
    subscore = "null" if not subscore_sign else str((int(text[:17]) - _SUBRANK_SHIFT) * subscore_sign)
    return (
        f'"user":{{"id":{int(text[36:])},"username":"{username}"}},"value":{int(score) * value_sign},'
        f'"subscore":{subscore},"achievedAt":"{_day(days)}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:'
        f'{seconds % 60:02d}.{micros:06d}Z"}}'
    )


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).isoformat()


class UnknownName(Exception):
    """Redis does not know whom the username names: PostgreSQL does."""


class NamesMissing(Exception):
    """Some entries' usernames are not kept in Redis (their user ids)."""

    def __init__(self, user_ids: list[int]):
        super().__init__(user_ids)
        self.user_ids = user_ids


@dataclass(frozen=True)
class PageJson:
    entries: str  # a JSON array of entries
    total: int


@dataclass(frozen=True)
class PlaceJson:
    entry: str  # a JSON object, or "null"
    around: str  # a JSON array


def _signs(board: Board) -> tuple[int, int]:
    """(value sign, subscore sign): the board's order rules (0: no subscore)."""
    value = -1 if board.score_order == ScoreOrder.DESC else 1
    if board.subscore_order is None:
        return value, 0
    return value, -1 if board.subscore_order == ScoreOrder.DESC else 1


def page(board: Board, period: BoardPeriod, *, offset: int, limit: int, names: str) -> PageJson:
    """Entries offset+1 to offset+limit and the board's size. Raises
    ranking.BoardNotBuilt, ranking.RankingUnavailable, or NamesMissing."""
    with ranking.redis_call():
        result = redis_scripts.run(
            ranking.scripts(ranking.redis_client()).page,
            keys=[ranking.board_key(period), ranking.board_key(period, "built")],
            args=[offset, offset + limit - 1, names],
        )
    if not result[0]:
        raise ranking.BoardNotBuilt(period)
    _built, total, rows, usernames = result
    return PageJson(entries="[" + ",".join(entries_json(rows, usernames, offset + 1, _signs(board))) + "]", total=total)


def place(board: Board, period: BoardPeriod, *, user_id: int, radius: int, names: str) -> PlaceJson:
    """A user's entry and those from rank - radius to rank + radius."""
    with ranking.redis_call():
        result = redis_scripts.run(
            ranking.scripts(ranking.redis_client()).around,
            keys=[ranking.board_key(period), ranking.board_key(period, "who"), ranking.board_key(period, "built")],
            args=[user_id, radius, names],
        )
    if result[0] == -2:
        raise ranking.BoardNotBuilt(period)
    if result[0] == -1:
        return PlaceJson(entry="null", around="[]")
    rank, first, rows, usernames = result
    parts = entries_json(rows, usernames, first + 1, _signs(board))
    return PlaceJson(entry=parts[rank - first], around="[" + ",".join(parts) + "]")


def entry_by_name(board: Board, period: BoardPeriod, *, ref_key: str) -> str | None:
    """The entry of the user whose name `ref_key` keeps, or None when they
    have none. Raises UnknownName when Redis does not know the name."""
    with ranking.redis_call():
        result = redis_scripts.run(
            redis_scripts.registered(ranking.redis_client(), _ENTRY_BY_NAME),
            keys=[
                ranking.board_key(period),
                ranking.board_key(period, "who"),
                ranking.board_key(period, "built"),
                ref_key,
            ],
            args=[],
        )
    if result[0] == -2:
        raise ranking.BoardNotBuilt(period)
    if result[0] == -3:
        raise UnknownName
    if result[0] == -1:
        return None
    _found, rank, member, score, name = result
    return entries_json([member, score], [name], rank + 1, _signs(board))[0]
