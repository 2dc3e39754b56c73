"""What follows a submission's commit, in one Redis round trip: one Lua
script records the entries it changed (scores.ranking's sets, each write
applied only if newer than what Redis has), reads the player's all-time
rank, bumps the game's page version (every process forgets its top pages:
scores.page_cache), keeps the player's name for the read scripts
(accounts.selectors), stores the first answer of an Idempotency-Key
(scores.idempotency) and publishes the `score` message to every process's
sockets (realtime.broadcast) — the last two with the rank written in.

Each module names its own keys; this script only runs them together. Keys
it builds from its arguments (the answer's, the names') are plain key
names: Podium's Redis is one server, not a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from accounts.selectors import USERNAME_SECONDS, username_key_prefix, username_ref_key
from config import redis_scripts
from realtime.broadcast import Publication
from scores import page_cache, ranking
from scores.periods import BoardPeriod
from scores.ranking import StoredEntry

# KEYS: (set, who) of each changed period, then the all-time set, who and
# `built` marker, then the game's page version.
# ARGV: the count of changed periods, the user id, then for each period its
# rank key, member, expiry (0: none) and version; then whether to read the
# rank ('1'), the username's two keys, their seconds and the name, the
# answer's key ('' for none), seconds, head and tail, then the channel (''
# for none), group, and the message's head and tail.
_SCRIPT = """
local n = tonumber(ARGV[1])
local user = ARGV[2]
for i = 1, n do
  local set, who = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 2 + (i - 1) * 4
  local version = tonumber(ARGV[a + 4])
  local old = redis.call('HGET', who, user)
  local newer = true
  if old then
    local sep = string.find(old, '/', 1, true)
    if tonumber(string.sub(old, sep + 1)) >= version then
      newer = false
    else
      redis.call('ZREM', set, string.sub(old, 1, sep - 1))
    end
  end
  if newer then
    redis.call('ZADD', set, ARGV[a + 1], ARGV[a + 2])
    redis.call('HSET', who, user, ARGV[a + 2] .. '/' .. ARGV[a + 4])
    if tonumber(ARGV[a + 3]) > 0 then
      redis.call('EXPIREAT', set, ARGV[a + 3])
      redis.call('EXPIREAT', who, ARGV[a + 3])
    end
  end
end
local k = 2 * n
redis.call('INCR', KEYS[k + 4])
local r = 3 + 4 * n
redis.call('SET', ARGV[r + 1], ARGV[r + 4], 'EX', ARGV[r + 3])
redis.call('SET', ARGV[r + 2], user .. ':' .. ARGV[r + 4], 'EX', ARGV[r + 3])
local rank = -1
if ARGV[r] == '1' and redis.call('EXISTS', KEYS[k + 3]) == 1 then
  local who = redis.call('HGET', KEYS[k + 2], user)
  if who then
    local found = redis.call('ZRANK', KEYS[k + 1], string.sub(who, 1, string.find(who, '/', 1, true) - 1))
    if found then rank = found + 1 end
  end
end
if rank > 0 then
  local text = string.format('%d', rank)
  if ARGV[r + 5] ~= '' then
    redis.call('SET', ARGV[r + 5], ARGV[r + 7] .. text .. ARGV[r + 8], 'EX', ARGV[r + 6])
  end
  if ARGV[r + 9] ~= '' then
    redis.call('PUBLISH', ARGV[r + 9], cjson.encode({type = 'podium.broadcast', group = ARGV[r + 10],
      text = ARGV[r + 11] .. text .. ARGV[r + 12]}))
  end
end
return rank
"""


@dataclass(frozen=True)
class Answer:
    """The first answer to an Idempotency-Key: where it goes, for how long,
    and its text around the rank."""

    key: str
    seconds: int
    head: str
    tail: str


def tell_redis(
    *,
    game_id: int,
    user: User,
    changed: dict[BoardPeriod, StoredEntry],
    all_time: BoardPeriod,
    rank_wanted: bool,
    answer: Answer | None,
    publication: Publication | None,
) -> int | None:
    """Run the script; the player's all-time rank, or None when Redis could
    not tell it (not wanted, the board not built) — then nothing was
    published or stored as an answer. Raises ranking.RankingUnavailable."""
    keys, arguments = [], [len(changed), user.pk]
    for period, entry in changed.items():
        keys += [ranking.board_key(period), ranking.board_key(period, "who")]
        arguments += ranking.record_arguments(period, user.pk, entry)
    keys += [ranking.board_key(all_time), ranking.board_key(all_time, "who"), ranking.board_key(all_time, "built")]
    keys.append(page_cache.version_key(game_id))
    arguments += ["1" if rank_wanted else "0", f"{username_key_prefix()}{user.pk}", username_ref_key(user.username)]
    arguments += [USERNAME_SECONDS, user.username]
    arguments += [answer.key, answer.seconds, answer.head, answer.tail] if answer else ["", 0, "", ""]
    if publication is not None:
        arguments += [publication.channel, publication.group, publication.head, publication.tail]
    else:
        arguments += ["", "", "", ""]
    client = ranking.redis_client()
    page_cache.forget(game_id)  # this process, at once
    with ranking.redis_call():
        rank = redis_scripts.run(redis_scripts.registered(client, _SCRIPT), keys=keys, args=arguments)
    return rank if rank > 0 else None
