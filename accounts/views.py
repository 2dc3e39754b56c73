"""Accounts over HTTP: thin views that parse, call one service, render."""

from django.conf import settings
from django.middleware.csrf import get_token
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import enforce_csrf
from accounts.cookies import clear_token_cookies, set_token_cookies
from accounts.selectors import sign_in_rate_key
from accounts.serializers import (
    CsrfOutput,
    LoginInput,
    LoginOutput,
    RefreshInput,
    RegisterInput,
    TokenPairOutput,
    UserSerializer,
)
from config.api.schema import NO_CREDENTIALS, errors
from config.errors import Unauthorized
from config.ratelimit import enforce_rate_limit
from config.security_log import client_limit_key

TAGS = ["auth"]


class AuthView(APIView):
    """Every answer here carries tokens, a CSRF token or a user's own
    details: no browser or proxy may keep a copy."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class RegisterView(AuthView):
    authentication_classes = []

    @extend_schema(
        summary="Create an account",
        description=(
            "Makes an account and returns it. The username is 3 to 30 letters, digits, `_` or `-`; email and "
            "username must be unused whatever their case (409 naming the field). Sign in afterwards with login/. "
            "Limited per client address (429)."
        ),
        tags=TAGS,
        request=RegisterInput,
        responses={201: UserSerializer, **errors(409, 429, 503)},
        auth=NO_CREDENTIALS,
    )
    def post(self, request):
        enforce_rate_limit(request, scope="register:ip", key=client_limit_key(request), rate=settings.REGISTER_RATE)
        data = _validated(RegisterInput, request)
        user = services.register_user(**data)
        return Response(UserSerializer(user, context={"viewer": user}).data, status=status.HTTP_201_CREATED)


class LoginView(AuthView):
    authentication_classes = []

    @extend_schema(
        summary="Sign in",
        description=(
            "Takes a username or an email (any case) and the password, and returns an access and a refresh token. "
            "Both are also set as HttpOnly cookies, with the csrftoken cookie for cookie-authenticated writes. "
            "A wrong password and an unknown account get the same 401. Limited per client address and per "
            "account (429)."
        ),
        tags=TAGS,
        request=LoginInput,
        responses={200: LoginOutput, **errors(401, 429, 503)},
        auth=NO_CREDENTIALS,
    )
    def post(self, request):
        enforce_rate_limit(request, scope="login:ip", key=client_limit_key(request), rate=settings.LOGIN_RATE)
        data = _validated(LoginInput, request)
        enforce_rate_limit(
            request, scope="login:account", key=sign_in_rate_key(data["username"]), rate=settings.LOGIN_RATE
        )
        user, tokens = services.sign_in(request=request, login=data["username"], password=data["password"])
        get_token(request)  # sets the csrftoken cookie for cookie-authenticated writes
        body = {"access": tokens.access, "refresh": tokens.refresh}
        response = Response({**body, "user": UserSerializer(user, context={"viewer": user}).data})
        set_token_cookies(response, tokens)
        return response


class RefreshView(AuthView):
    authentication_classes = []

    @extend_schema(
        summary="Refresh the tokens",
        description=(
            "Exchanges a refresh token, from the body or from its cookie (then with the X-CSRFToken header), "
            "for a new pair; the old refresh token stops working."
        ),
        tags=TAGS,
        request=RefreshInput,
        responses={200: TokenPairOutput, **errors(401, 403, 503)},
        auth=NO_CREDENTIALS,
    )
    def post(self, request):
        tokens = services.rotate_refresh_token(raw_refresh=_refresh_token(request), request=request)
        response = Response({"access": tokens.access, "refresh": tokens.refresh})
        set_token_cookies(response, tokens)
        return response


class LogoutView(AuthView):
    authentication_classes = []

    @extend_schema(
        summary="Sign out",
        description=(
            "Revokes the refresh token, from the body or from its cookie (then with the X-CSRFToken header), "
            "and clears the token cookies. Needs no access token."
        ),
        tags=TAGS,
        request=RefreshInput,
        responses={204: None, **errors(401, 403, 503)},
        auth=NO_CREDENTIALS,
    )
    def post(self, request):
        services.revoke_refresh_token(raw_refresh=_refresh_token(request), request=request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_token_cookies(response)
        return response


class MeView(AuthView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Read your account",
        description="The signed-in account, its email included.",
        tags=TAGS,
        responses={200: UserSerializer},
    )
    def get(self, request):
        return Response(UserSerializer(request.user, context={"viewer": request.user}).data)


class CsrfView(AuthView):
    authentication_classes = []

    @extend_schema(
        summary="Get a CSRF token",
        description=(
            "Sets the csrftoken cookie and returns its value. Requests authenticated by the access cookie that "
            "change something must send it in the X-CSRFToken header; bearer requests need none."
        ),
        tags=TAGS,
        responses={200: CsrfOutput},
        auth=NO_CREDENTIALS,
    )
    def get(self, request):
        return Response({"csrf_token": get_token(request)})


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _refresh_token(request) -> str:
    """The refresh token from the body, else from its cookie (which needs CSRF)."""
    raw = _validated(RefreshInput, request).get("refresh")
    if raw:
        return raw
    raw = request.COOKIES.get(settings.REFRESH_COOKIE_NAME)
    if not raw:
        raise Unauthorized("No refresh token: send it in the body or its cookie.")
    enforce_csrf(request._request)
    return raw
