"""Plain views for the hottest requests: answered without DRF's dispatch,
beside the viewset that defines the same path (its schema, and its other
methods).

DRF costs a request about as much as all of Django's middleware (its
request wrapper, authenticators, permissions, content negotiation and
renderer), which the hottest reads and the submissions cannot afford. A
plain view follows the same rules with the same code: credentials through
accounts.authentication.signed_in_user, bodies through
config.api.parsing.parse_json_object, errors raised as config.errors and
turned into the envelope by config.middleware.ApiErrorMiddleware, bytes
built by config.api.rendering.
"""

import functools

from django.http import QueryDict
from django.views.decorators.csrf import csrf_exempt


def hot_path(method: str, fallback):
    """A plain view that answers `method` itself, without DRF's dispatch,
    and hands every other method to `fallback`: the viewset's own view of
    the same path, which answers them (405s included) as DRF does. Errors
    it raises become the envelope in config.middleware.ApiErrorMiddleware;
    cookie sign-ins check their CSRF token themselves (accounts.authentication)."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def dispatch(request, *args, **kwargs):
            if request.method != method:
                return fallback(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        return dispatch

    return decorate


def query(request) -> QueryDict:
    """`request.GET`, parsed once per process for each query string: hot
    reads come with the same few (`?limit=100`, `?radius=5`). A QueryDict
    is immutable, so one serves every request that sends the same string
    (a process is WSGI or ASGI throughout: the string means the same)."""
    key = request.META.get("QUERY_STRING", "")
    found = _parsed.get(key)
    if found is None:
        found = request.GET
        if len(_parsed) >= _PARSED_KEPT:
            _parsed.clear()  # (a client sending ever new strings gains nothing but misses)
        _parsed[key] = found
    return found


_parsed: dict[str, QueryDict] = {}
_PARSED_KEPT = 1024
