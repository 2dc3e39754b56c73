"""The HttpOnly token cookies set at sign-in and cleared at sign-out."""

from django.conf import settings
from django.http import HttpResponse

from accounts.services import TokenPair


def set_token_cookies(response: HttpResponse, tokens: TokenPair) -> None:
    jwt = settings.SIMPLE_JWT
    common = {"httponly": True, "secure": settings.JWT_COOKIE_SECURE, "samesite": "Lax"}
    response.set_cookie(
        settings.ACCESS_COOKIE_NAME,
        tokens.access,
        max_age=int(jwt["ACCESS_TOKEN_LIFETIME"].total_seconds()),
        path="/",
        **common,
    )
    response.set_cookie(
        settings.REFRESH_COOKIE_NAME,
        tokens.refresh,
        max_age=int(jwt["REFRESH_TOKEN_LIFETIME"].total_seconds()),
        path=settings.REFRESH_COOKIE_PATH,
        **common,
    )


def clear_token_cookies(response: HttpResponse) -> None:
    response.delete_cookie(settings.ACCESS_COOKIE_NAME, path="/", samesite="Lax")
    response.delete_cookie(settings.REFRESH_COOKIE_NAME, path=settings.REFRESH_COOKIE_PATH, samesite="Lax")
