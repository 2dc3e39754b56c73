"""Leaderboard reads that Redis answers in wire form: the hot paths' one
round trip each (a page, a player's place, a player's entry by name).

A Lua script reads the entries (scores.ranking's sorted sets and members)
and the names kept beside them (accounts.selectors), and writes each entry
as CONTRACT §6 shows it, `{rank, user: {id, username}, value, subscore,
achievedAt}`: the view only wraps the text in the envelope. Turning a
hundred members into Python objects and back into JSON would cost a page
more CPU than everything else it does together. scores.serializers.entry_wire
is the same shape for entries read from PostgreSQL; tests hold the two to
the same answers.

The rules the script applies are the board's (scores.models.Board): the
value is the rank key, negated on higher-is-better boards; the subscore is
the member's subrank key (its first 17 digits less 2**53), negated the same
way by the subscore order, or null on boards without one; `achievedAt` is
the member's time in microseconds, in UTC with `Z`.
"""

from __future__ import annotations

from dataclasses import dataclass

from games.models import ScoreOrder
from scores import ranking
from scores.models import Board
from scores.periods import BoardPeriod

# Functions every script below shares. Numbers stay exact: rank keys are
# within ±2**53 (and Redis prints sorted-set scores that are integers in
# full), times in microseconds are far below 2**53, and the subscore is
# computed in two halves so that no step leaves the exact range.
_ENTRIES = """
local function civil(days)
  -- Howard Hinnant's civil_from_days: days since 1970-01-01 to (y, m, d)
  days = days + 719468
  local era = math.floor(days / 146097)
  local doe = days - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function iso(micros)
  local days = math.floor(micros / 86400000000)
  local rest = micros - days * 86400000000
  local y, mo, d = civil(days)
  local s = math.floor(rest / 1000000)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%06dZ', y, mo, d,
    math.floor(s / 3600), math.floor(s / 60) % 60, s % 60, rest - s * 1000000)
end

local function negated(number)
  if number == '0' then return '0' end
  if string.sub(number, 1, 1) == '-' then return string.sub(number, 2) end
  return '-' .. number
end

local function subscore(member, sign)
  if sign == 0 then return 'null' end
  -- 2**53 = 90071992 * 10**8 + 54740992
  local key = (tonumber(string.sub(member, 1, 9)) - 90071992) * 100000000
    + (tonumber(string.sub(member, 10, 17)) - 54740992)
  if key == 0 then return '0' end
  return string.format('%d', key * sign)
end

local function user_of(member)
  return string.match(string.sub(member, -19), '^0*(.+)$')
end

-- Each row (member, score, ...) as an entry; `names[i]` is row i's
-- username, or false when none is kept (its user id then goes in `missing`).
local function entries(rows, names, first_rank, value_sign, subscore_sign, missing)
  local parts = {}
  for i = 1, #rows, 2 do
    local n = (i + 1) / 2
    local member = rows[i]
    local value = rows[i + 1]
    if value_sign < 0 then value = negated(value) end
    local user = user_of(member)
    local name = names[n]
    if not name then
      table.insert(missing, user)
      name = ''
    end
    parts[n] = '{"rank":' .. string.format('%d', first_rank + n - 1) .. ',"user":{"id":' .. user
      .. ',"username":' .. cjson.encode(name) .. '},"value":' .. value .. ',"subscore":'
      .. subscore(member, subscore_sign) .. ',"achievedAt":"' .. iso(tonumber(string.sub(member, 19, 35))) .. '"}'
  end
  return parts
end

local function names_of(rows, prefix)
  local keys = {}
  for i = 1, #rows, 2 do keys[#keys + 1] = prefix .. user_of(rows[i]) end
  if #keys == 0 then return {} end
  return redis.call('MGET', unpack(keys))
end
"""

_MEMBER_OF = """
local function member_of(who)
  if not who then return nil end
  return string.sub(who, 1, string.find(who, '/', 1, true) - 1)
end
"""

# KEYS: the board's set and its `built` marker. ARGV: first and last
# 0-based rank, the name prefix, the value sign, the subscore sign.
# Returns {0} when the board is not built, else {1, size, entries as a
# JSON array, user ids without a kept name}.
_PAGE = (
    _ENTRIES
    + """
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local rows = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
local missing = {}
local parts = entries(rows, names_of(rows, ARGV[3]), tonumber(ARGV[1]) + 1, tonumber(ARGV[4]), tonumber(ARGV[5]),
  missing)
return {1, redis.call('ZCARD', KEYS[1]), '[' .. table.concat(parts, ',') .. ']', missing}
"""
)

# KEYS: the board's set, its `who` hash and `built` marker. ARGV: the user
# id, the radius, the name prefix, the value sign, the subscore sign.
# Returns {-2} when the board is not built, {-1} when the user has no
# entry, else {1, their entry, the entries around it as a JSON array,
# user ids without a kept name}.
_AROUND = (
    _ENTRIES
    + _MEMBER_OF
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end
local member = member_of(redis.call('HGET', KEYS[2], ARGV[1]))
if not member then return {-1} end
local rank = redis.call('ZRANK', KEYS[1], member)
if not rank then return {-1} end
local radius = tonumber(ARGV[2])
local first = rank - radius
if first < 0 then first = 0 end
local rows = redis.call('ZRANGE', KEYS[1], first, rank + radius, 'WITHSCORES')
local missing = {}
local parts = entries(rows, names_of(rows, ARGV[3]), first + 1, tonumber(ARGV[4]), tonumber(ARGV[5]), missing)
return {1, parts[rank - first + 1], '[' .. table.concat(parts, ',') .. ']', missing}
"""
)

# KEYS: the board's set, its `who` hash and `built` marker, and the key
# that says who the (lowered) username names (accounts.selectors). ARGV:
# the value sign, the subscore sign. Returns {-2} when the board is not
# built, {-3} when the name is not known here (ask PostgreSQL), {-1} when
# its user has no entry, else {1, the entry}.
_ENTRY_BY_NAME = (
    _ENTRIES
    + _MEMBER_OF
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return {-2} end
local ref = redis.call('GET', KEYS[4])
if not ref then return {-3} end
local separator = string.find(ref, ':', 1, true)
local user, name = string.sub(ref, 1, separator - 1), string.sub(ref, separator + 1)
local member = member_of(redis.call('HGET', KEYS[2], user))
if not member then return {-1} end
local rank = redis.call('ZRANK', KEYS[1], member)
if not rank then return {-1} end
local rows = {member, redis.call('ZSCORE', KEYS[1], member)}
return {1, entries(rows, {name}, rank + 1, tonumber(ARGV[1]), tonumber(ARGV[2]), {})[1]}
"""
)


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


def _signs(board: Board) -> list[int]:
    """(value sign, subscore sign) for the scripts: the board's order rules."""
    value = -1 if board.score_order == ScoreOrder.DESC else 1
    if board.subscore_order is None:
        return [value, 0]
    return [value, -1 if board.subscore_order == ScoreOrder.DESC else 1]


def _scripts(client) -> dict:
    scripts = getattr(client, "_podium_json_scripts", None)
    if scripts is None:
        scripts = client._podium_json_scripts = {
            "page": client.register_script(_PAGE),
            "around": client.register_script(_AROUND),
            "entry": client.register_script(_ENTRY_BY_NAME),
        }
    return scripts


def _missing(ids) -> None:
    if ids:
        raise NamesMissing([int(user_id) for user_id in ids])


def page(board: Board, period: BoardPeriod, *, offset: int, limit: int, names: str) -> PageJson:
    """Entries offset+1 to offset+limit and the board's size. Raises
    ranking.BoardNotBuilt, ranking.RankingUnavailable, or NamesMissing."""
    client = ranking.redis_client()
    with ranking.redis_call():
        result = _scripts(client)["page"](
            keys=[ranking.board_key(period), ranking.board_key(period, "built")],
            args=[offset, offset + limit - 1, names, *_signs(board)],
        )
    if not result[0]:
        raise ranking.BoardNotBuilt(period)
    _missing(result[3])
    return PageJson(entries=result[2].decode(), total=result[1])


def place(board: Board, period: BoardPeriod, *, user_id: int, radius: int, names: str) -> PlaceJson:
    """A user's entry and those from rank - radius to rank + radius."""
    client = ranking.redis_client()
    with ranking.redis_call():
        result = _scripts(client)["around"](
            keys=[ranking.board_key(period), ranking.board_key(period, "who"), ranking.board_key(period, "built")],
            args=[user_id, radius, names, *_signs(board)],
        )
    if result[0] == -2:
        raise ranking.BoardNotBuilt(period)
    if result[0] == -1:
        return PlaceJson(entry="null", around="[]")
    _missing(result[3])
    return PlaceJson(entry=result[1].decode(), around=result[2].decode())


def entry_by_name(board: Board, period: BoardPeriod, *, ref_key: str) -> str | None:
    """The entry of the user whose name `ref_key` keeps, or None when they
    have none. Raises UnknownName when Redis does not know the name."""
    client = ranking.redis_client()
    with ranking.redis_call():
        result = _scripts(client)["entry"](
            keys=[
                ranking.board_key(period),
                ranking.board_key(period, "who"),
                ranking.board_key(period, "built"),
                ref_key,
            ],
            args=_signs(board),
        )
    if result[0] == -2:
        raise ranking.BoardNotBuilt(period)
    if result[0] == -3:
        raise UnknownName
    if result[0] == -1:
        return None
    return result[1].decode()
