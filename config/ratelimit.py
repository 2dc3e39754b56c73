"""Rate limits on top of django-ratelimit, counted in the shared cache.

Every attempt counts, refused ones too. Over the limit, `RateLimited`
carries the seconds left in django-ratelimit's window, which the envelope
turns into a 429 with `Retry-After`.
"""

from django_ratelimit.core import get_usage

from config.errors import RateLimited
from config.security_log import log_security_event


def enforce_rate_limit(request, *, scope: str, key: str, rate: str) -> None:
    """Count one attempt for (`scope`, `key`) and raise RateLimited past `rate`."""
    usage = get_usage(request, group=scope, key=lambda _group, _request: key, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        log_security_event("rate_limited", request, scope=scope)
        raise RateLimited(retry_after=usage["time_left"])
