"""JWT sign-in from the `Authorization: Bearer` header or the access cookie.

A cookie rides along with every request the browser makes, so a request
authenticated by one and not GET/HEAD/OPTIONS must prove it came from our
own pages with Django's CSRF token. Bearer requests need no such proof.

The same rules serve DRF's views (JWTBearerOrCookieAuthentication) and the
hot paths answered without DRF (`signed_in_user`). A token's signature and
claims are checked once per process and remembered until it expires (a
client sends the same access token with every request, and checking one
costs a tenth of a millisecond); whether its user may still use it (active,
password unchanged) is asked on every request.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.selectors import token_user
from config.errors import Forbidden, Unauthorized
from config.security_log import log_security_event

REJECTED = "The access token is invalid, expired or revoked."


def enforce_csrf(request) -> None:
    """Raise PermissionDenied unless an unsafe request carries a valid CSRF token."""
    check = CSRFCheck(lambda _request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        log_security_event("csrf_failed", request, reason=reason)
        raise exceptions.PermissionDenied(f"CSRF check failed: {reason}")


class _ValidatedTokens:
    """Tokens whose signature and claims were checked, until each expires."""

    SIZE = 20_000

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[bytes, tuple[Token, float]] = {}

    def get(self, raw: bytes, validate) -> Token:
        found = self._tokens.get(raw)
        if found is not None and time.time() < found[1]:
            return found[0]
        token = validate(raw)  # raises for a bad token: nothing is remembered
        expires = token.get("exp")
        if isinstance(expires, (int, float)):
            with self._lock:
                if len(self._tokens) >= self.SIZE:
                    self._tokens.clear()
                self._tokens[raw] = (token, float(expires))
        return token


_validated = _ValidatedTokens()


class JWTBearerOrCookieAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        return _validated.get(raw_token, super().get_validated_token)

    def get_user(self, validated_token, *, shared: bool = False):
        """The token's user, remembered by each process while the account
        does not change (accounts.signals says when it does, from any
        process), with simplejwt's checks: active, password unchanged.
        `shared`: the process's one copy, for callers that only read it."""
        user_id = validated_token.get(jwt_settings.USER_ID_CLAIM)
        if user_id is None:
            raise InvalidToken("Token contained no recognizable user identification")
        user = token_user(user_id, shared=shared)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if validated_token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return user

    def authenticate(self, request):
        return self.authenticate_plain(request._request)

    def authenticate_plain(self, request, *, shared: bool = False):
        """authenticate() for a Django request: (user, token), None without
        credentials; DRF's AuthenticationFailed or PermissionDenied (CSRF).
        `shared` as for get_user()."""
        header = self.get_header(request)
        from_cookie = header is None
        if from_cookie:
            raw_token = request.COOKIES.get(settings.ACCESS_COOKIE_NAME) or None
            raw_token = raw_token.encode() if raw_token else None
        else:
            raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        try:
            validated = self.get_validated_token(raw_token)
            user = self.get_user(validated, shared=shared)
        except (InvalidToken, AuthenticationFailed) as exc:
            log_security_event("token_rejected", request, token_type="access", reason=_reason(exc))
            raise exceptions.AuthenticationFailed(REJECTED) from None
        if from_cookie:
            enforce_csrf(request)
        return user, validated


_authenticator = JWTBearerOrCookieAuthentication()


def signed_in_user(request):
    """The user a Django request's credentials name, for views answered
    without DRF, with DRF's rules; None without credentials. Raises
    Unauthorized for a bad token and Forbidden for a cookie without its
    CSRF token: views that read the same for everyone still call it, since
    a bad token is a 401 everywhere. The user is the process's shared copy
    (config.memo): read it, never change it."""
    try:
        found = _authenticator.authenticate_plain(request, shared=True)
    except exceptions.AuthenticationFailed:
        raise Unauthorized(REJECTED) from None
    except exceptions.PermissionDenied as exc:
        raise Forbidden(str(exc.detail)) from None
    return found[0] if found else None


def _reason(exc: Exception) -> str:
    code = getattr(exc, "default_code", "")
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        code = str(detail.get("code", code))
    return code or type(exc).__name__
