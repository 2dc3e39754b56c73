"""JWT sign-in from the `Authorization: Bearer` header or the access cookie.

A cookie rides along with every request the browser makes, so a request
authenticated by one and not GET/HEAD/OPTIONS must prove it came from our
own pages with Django's CSRF token. Bearer requests need no such proof.
"""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.selectors import token_user
from config.security_log import log_security_event


def enforce_csrf(request) -> None:
    """Raise PermissionDenied unless an unsafe request carries a valid CSRF token."""
    check = CSRFCheck(lambda _request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        log_security_event("csrf_failed", request, reason=reason)
        raise exceptions.PermissionDenied(f"CSRF check failed: {reason}")


class JWTBearerOrCookieAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        """The token's user, remembered by each process while the account
        does not change (accounts.signals says when it does, from any
        process), with simplejwt's checks: active, password unchanged."""
        user_id = validated_token.get(jwt_settings.USER_ID_CLAIM)
        if user_id is None:
            raise InvalidToken("Token contained no recognizable user identification")
        user = token_user(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if validated_token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return user

    def authenticate(self, request):
        header = self.get_header(request)
        from_cookie = header is None
        if from_cookie:
            raw_token = request.COOKIES.get(settings.ACCESS_COOKIE_NAME) or None
        else:
            raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        try:
            validated = self.get_validated_token(raw_token)
            user = self.get_user(validated)
        except (InvalidToken, AuthenticationFailed) as exc:
            log_security_event("token_rejected", request._request, token_type="access", reason=_reason(exc))
            raise exceptions.AuthenticationFailed("The access token is invalid, expired or revoked.") from None
        if from_cookie:
            enforce_csrf(request._request)
        return user, validated


def _reason(exc: Exception) -> str:
    code = getattr(exc, "default_code", "")
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        code = str(detail.get("code", code))
    return code or type(exc).__name__
