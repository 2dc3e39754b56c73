"""Writes of accounts: registration, sign-in and the refresh-token lifecycle.

Refresh tokens rotate: each one is good for a single refresh and is revoked
(simplejwt's blacklist) as it is used. Presenting a revoked one again means
it was stolen or replayed, so every refresh token of that user is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User
from accounts.selectors import taken_identity_fields
from config.errors import Conflict, FieldError, Unauthorized, ValidationFailed
from config.security_log import log_security_event

INVALID_CREDENTIALS = "Invalid username or password."
INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def register_user(*, email: str, username: str, password: str) -> User:
    """Create a player account. Raises ValidationFailed for a weak password and
    Conflict (naming `email` and/or `username`) for a taken identity, any case."""
    user = User(email=User.objects.normalize_email(email), username=username)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            exc.messages[0], details=[FieldError("password", message) for message in exc.messages]
        ) from None
    _refuse_taken(email=email, username=username)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another registration took the name between our check and insert.
        _refuse_taken(email=email, username=username)
        raise
    return user


def _refuse_taken(*, email: str, username: str) -> None:
    taken = taken_identity_fields(email=email, username=username)
    if taken:
        details = [FieldError(field, f"This {field} is already taken.") for field in taken]
        raise Conflict(details[0].message, details=details)


def sign_in(*, request: HttpRequest, login: str, password: str) -> tuple[User, TokenPair]:
    """Check a username-or-email and password and issue a token pair.

    An unknown user and a wrong password raise the same Unauthorized."""
    user = authenticate(request, username=login, password=password)
    if user is None:
        log_security_event("login_failed", request)
        raise Unauthorized(INVALID_CREDENTIALS)
    update_last_login(None, user)
    return user, issue_tokens(user=user)


def issue_tokens(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def rotate_refresh_token(*, raw_refresh: str, request: HttpRequest | None = None) -> TokenPair:
    """Trade a refresh token for a new pair, revoking the one presented."""
    user = _spend_refresh_token(raw_refresh, request)
    return issue_tokens(user=user)


def revoke_refresh_token(*, raw_refresh: str, request: HttpRequest | None = None) -> None:
    """Sign out: the refresh token can no longer be used."""
    _spend_refresh_token(raw_refresh, request)


class _RefreshTokenUnderLock(RefreshToken):
    """A refresh token whose signature, expiry and type are checked on decoding,
    and whose revocation the caller checks itself, under a row lock."""

    def verify(self) -> None:
        Token.verify(self)


class _ReplayedRefreshToken(Exception):
    def __init__(self, user_id: int):
        self.user_id = user_id


def _spend_refresh_token(raw: str, request: HttpRequest | None) -> User:
    """Revoke a valid, unrevoked refresh token and return its user.

    Raises Unauthorized for any other token; a revoked one presented again
    also revokes every refresh token of its user."""
    try:
        token = _RefreshTokenUnderLock(raw)
    except TokenError:
        log_security_event("token_rejected", request, token_type="refresh")
        raise Unauthorized(INVALID_REFRESH) from None
    try:
        with transaction.atomic():
            # Lock the token's row: of two concurrent uses of one token, the
            # second waits here and then finds it already revoked.
            outstanding = OutstandingToken.objects.select_for_update().filter(jti=token[jwt_settings.JTI_CLAIM]).first()
            if outstanding is None:
                raise Unauthorized(INVALID_REFRESH)
            if BlacklistedToken.objects.filter(token=outstanding).exists():
                raise _ReplayedRefreshToken(outstanding.user_id)
            user = User.objects.filter(pk=outstanding.user_id, is_active=True).first()
            if user is None or token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
                log_security_event("token_rejected", request, token_type="refresh", reason="user changed")
                raise Unauthorized(INVALID_REFRESH)
            BlacklistedToken.objects.create(token=outstanding)
            return user
    except _ReplayedRefreshToken as replay:
        log_security_event("revoked_token_used", request, token_type="refresh", user_id=replay.user_id)
        _revoke_every_refresh_token(replay.user_id)
        raise Unauthorized(INVALID_REFRESH) from None


def _revoke_every_refresh_token(user_id: int) -> None:
    live = OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=outstanding) for outstanding in live], ignore_conflicts=True
    )
