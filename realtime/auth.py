"""Websocket sign-in: `?token=<access>` or the access cookie.

Anonymous sockets are welcome as viewers. A token that was given but is
invalid, expired or revoked marks the scope, and the consumer closes the
socket with 4401 after accepting it (the client should refresh and retry).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from accounts.authentication import JWTBearerOrCookieAuthentication
from config.security_log import log_socket_event


def token_from_scope(scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][-1]
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            token = parse_cookie(value.decode("latin-1")).get(settings.ACCESS_COOKIE_NAME)
            if token:
                return token
    return None


@database_sync_to_async
def user_for_token(raw: str):
    """The active user an access token names, or None when it is not valid."""
    authentication = JWTBearerOrCookieAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw.encode()))
    except (InvalidToken, AuthenticationFailed, TokenError):
        return None


class JWTAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = {**scope, "user": AnonymousUser(), "auth_failed": False}
        raw = token_from_scope(scope)
        if raw:
            user = await user_for_token(raw)
            if user is None:
                scope["auth_failed"] = True
                log_socket_event("token_rejected", scope, token_type="access")
            else:
                scope["user"] = user
        return await self.app(scope, receive, send)
