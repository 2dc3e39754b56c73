"""Rate limits on top of django-ratelimit, counted in the shared cache.

Every attempt counts, refused ones too. Over the limit, `RateLimited`
carries the seconds left in django-ratelimit's window, which the envelope
turns into a 429 with `Retry-After`.

django-ratelimit's own count takes two round trips to Redis (an ADD, then
an INCR through a script it sends whole); with Redis, Podium counts the
same key, in the same window, with one script instead: its key, window and
rate syntax are django-ratelimit's (its `_make_cache_key`, `_get_window`
and `_split_rate`), so both count alike. Without Redis (one process) it is
django-ratelimit's `get_usage` itself. When Redis does not answer, the
limit lets requests through (RATELIMIT_FAIL_OPEN), as django-ratelimit does.
"""

import time

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import ALL, _get_window, _make_cache_key, _split_rate, get_usage
from redis.exceptions import RedisError

from config import redis_scripts
from config.errors import RateLimited
from config.security_log import log_security_event

# Count one attempt; the key lives a little longer than its window, as
# django-ratelimit's does (its EXPIRATION_FUDGE).
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_EXPIRATION_FUDGE = 5


def enforce_rate_limit(request, *, scope: str, key: str, rate: str) -> None:
    """Count one attempt for (`scope`, `key`) and raise RateLimited past `rate`."""
    if settings.REDIS_URL:
        limit, period = _split_rate(rate)
        window = _get_window(key, period)
        count = _count_in_redis(_make_cache_key(scope, window, rate, key, ALL), period)
        should_limit, time_left = count is not None and count > limit, window - int(time.time())
    else:
        usage = get_usage(request, group=scope, key=lambda _group, _request: key, rate=rate, increment=True)
        should_limit, time_left = usage is not None and usage["should_limit"], usage and usage["time_left"]
    if should_limit:
        log_security_event("rate_limited", request, scope=scope)
        raise RateLimited(retry_after=time_left)


def _count_in_redis(cache_key: str, period: int) -> int | None:
    """One more attempt under django-ratelimit's key, in one round trip; None
    when Redis does not answer (the limit then lets the request through)."""
    cache = caches[settings.RATELIMIT_USE_CACHE]
    client = cache.client.get_client(write=True)
    try:
        return redis_scripts.run(
            redis_scripts.registered(client, _COUNT),
            keys=[cache.make_key(cache_key)],
            args=[period + _EXPIRATION_FUDGE],
        )
    except (RedisError, OSError):
        return None
