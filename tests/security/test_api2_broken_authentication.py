"""OWASP API2:2023 Broken Authentication.

Every way of presenting a token that is not a live access token of the
user it names is a 401 (CONTRACT §3): `alg: none`, another algorithm with
our secret, forged or tampered signatures, expired, revoked by logout,
refresh reuse or a password change, and a refresh token offered as an
access token. Cookie credentials need the CSRF token for unsafe methods,
and a websocket with a bad token is accepted, then closed with 4401 (§7).

From the outside probe of issue 10: a password changed by another process
cuts off access tokens at once in the embedded default too (finding 8), and
a token in a websocket URL never reaches the server log, however its
parameter name is percent-encoded (finding 6).
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import jwt
import pytest
from asgiref.sync import sync_to_async
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from tests.conftest import CommittingAPIClient
from tests.e2e.live_servers import ROOT, database_url_of_this_test, watching
from tests.factories import PASSWORD, GameFactory, UserFactory
from tests.realtime.conftest import open_socket, watch
from tests.security.sockets import isolated_realtime

ME = "/api/v1/auth/me/"
LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"

pytestmark = pytest.mark.django_db


# --- Token forgery ----------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def hmac_token(header: dict, claims: dict, key: str, digest=hashlib.sha256) -> str:
    """A JWT with any header, signed with HMAC by hand (PyJWT would refuse
    to sign a header that lies about its algorithm)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def unsigned_token(claims: dict, alg: str = "none") -> str:
    return f"{b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}."


def signed(claims: dict) -> str:
    """Claims signed exactly as Podium signs them (HS256, SECRET_KEY)."""
    return jwt.encode(claims, django_settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def me(token: str):
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_unauthorized(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


@pytest.fixture
def access(user) -> str:
    return issue_tokens(user=user).access


def test_a_genuine_access_token_signs_in(access, user):
    """The control for every refusal below."""
    response = me(access)

    assert response.status_code == 200
    assert response.json()["data"]["id"] == user.pk


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_an_unsigned_alg_none_token_is_a_401(access, alg):
    assert_unauthorized(me(unsigned_token(claims_of(access), alg)))


def test_an_alg_none_token_keeping_the_original_signature_is_a_401(access):
    _header, payload, signature = access.split(".")
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())

    assert_unauthorized(me(f"{none_header}.{payload}.{signature}"))


@pytest.mark.parametrize(("alg", "digest"), [("HS512", hashlib.sha512), ("HS384", hashlib.sha384)])
def test_another_hmac_algorithm_with_the_real_secret_is_a_401(access, alg, digest):
    """Only HS256 is accepted, even when the signature is made with our own key."""
    forged = hmac_token({"alg": alg, "typ": "JWT"}, claims_of(access), django_settings.SECRET_KEY, digest)

    assert_unauthorized(me(forged))


def test_an_rs256_header_over_an_hmac_signature_is_a_401(access):
    """Algorithm confusion: an asymmetric algorithm named in the header, the
    signature made with the shared secret as if it were a public key."""
    forged = hmac_token({"alg": "RS256", "typ": "JWT"}, claims_of(access), django_settings.SECRET_KEY)

    assert_unauthorized(me(forged))


def test_an_rs256_token_signed_with_an_attackers_key_is_a_401(access):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims_of(access), key, algorithm="RS256", headers={"jku": "https://evil.example/jwks.json"})

    assert_unauthorized(me(forged))


def test_a_token_signed_with_another_secret_is_a_401(access):
    forged = jwt.encode(claims_of(access), "an-attackers-guess-at-the-secret-key-0123456789", algorithm="HS256")

    assert_unauthorized(me(forged))


def test_a_tampered_payload_under_the_original_signature_is_a_401(access, user):
    victim = UserFactory(is_staff=True, is_superuser=True)
    header, _payload, signature = access.split(".")
    claims = {**claims_of(access), "user_id": str(victim.pk)}

    assert_unauthorized(me(f"{header}.{b64(json.dumps(claims).encode())}.{signature}"))


@pytest.mark.parametrize("strip", ["signature", "all-but-header"])
def test_a_truncated_token_is_a_401(access, strip):
    header, payload, _signature = access.split(".")
    token = f"{header}.{payload}." if strip == "signature" else f"{header}.."

    assert_unauthorized(me(token))


def test_an_expired_token_is_a_401(access):
    now = int(time.time())

    assert_unauthorized(me(signed({**claims_of(access), "iat": now - 3600, "exp": now - 1})))


def test_a_token_without_an_expiry_is_a_401(access):
    claims = claims_of(access)
    del claims["exp"]

    assert_unauthorized(me(signed(claims)))


def test_a_token_for_a_user_that_does_not_exist_is_a_401(access):
    assert_unauthorized(me(signed({**claims_of(access), "user_id": "987654321"})))


def test_a_token_of_a_deactivated_user_is_a_401(access, user):
    user.is_active = False
    user.save()

    assert_unauthorized(me(access))


def test_a_user_deactivated_in_the_admin_loses_access_at_once(access, user):
    """Even with the signed-in user cached by the API (a first request warms it)."""
    assert me(access).status_code == 200
    operator = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(operator)

    browser.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "email": user.email,
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2024-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )

    user.refresh_from_db()
    assert not user.is_active
    assert_unauthorized(me(access))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_password_changed_in_another_process_cuts_off_access_tokens_at_once_embedded_too(settings, user):
    """Finding 8 of the outside probe: embedded, the user behind a token was
    cached in the serving process for 300 s, and a change made by another
    process (`manage.py shell`) could not reach that cache."""
    settings.REDIS_URL = ""  # the embedded default: an in-process cache
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    access = issue_tokens(user=user).access
    assert me(access).status_code == 200  # a first request, which a cache would keep

    change_password_in_another_process(user.username)

    assert_unauthorized(me(access))


def change_password_in_another_process(username: str) -> None:
    script = (
        "from accounts.models import User; "
        f"user = User.objects.get(username={username!r}); "
        "user.set_password('a-brand-new-password-42'); user.save()"
    )
    env = {**os.environ, "DATABASE_URL": database_url_of_this_test(), "REDIS_URL": "", "PODIUM_DEV_SECRET": "1"}
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_a_deactivated_users_refresh_token_is_a_401(api, user):
    tokens = login(api, user)
    user.is_active = False
    user.save()

    assert_unauthorized(api.post(REFRESH, {"refresh": tokens["refresh"]}))


def test_a_refresh_token_is_not_an_access_token(user):
    assert_unauthorized(me(issue_tokens(user=user).refresh))


def test_an_access_token_is_not_a_refresh_token(api, user):
    assert_unauthorized(api.post(REFRESH, {"refresh": issue_tokens(user=user).access}))


def test_a_refresh_token_with_a_forged_type_claim_is_not_an_access_token(user):
    """Relabelling a refresh token as access needs a new signature, which
    needs the secret: the relabelled token is refused."""
    header, _payload, signature = issue_tokens(user=user).refresh.split(".")
    claims = {**claims_of(issue_tokens(user=user).refresh), "token_type": "access"}

    assert_unauthorized(me(f"{header}.{b64(json.dumps(claims).encode())}.{signature}"))


def test_a_bad_bearer_token_is_refused_even_on_public_reads(api):
    """A request that presents credentials gets them checked, also where no
    credentials are needed, and also on the cached leaderboard fast path."""
    GameFactory(slug="open")
    assert api.get("/api/v1/games/open/leaderboard/").status_code == 200  # warms the cached page

    for path in ("/api/v1/games/", "/api/v1/games/open/", "/api/v1/games/open/leaderboard/"):
        assert_unauthorized(api.get(path, HTTP_AUTHORIZATION="Bearer not-a-token"))


# --- Revocation ---------------------------------------------------------------------------


def login(client, user) -> dict:
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_a_refresh_token_is_revoked_by_logout(api, user):
    tokens = login(api, user)

    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 204
    assert_unauthorized(api.post(REFRESH, {"refresh": tokens["refresh"]}))


def test_logout_clears_both_token_cookies(api, user):
    tokens = login(api, user)

    response = api.post(LOGOUT, {"refresh": tokens["refresh"]})

    for name in (django_settings.ACCESS_COOKIE_NAME, django_settings.REFRESH_COOKIE_NAME):
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0


def test_a_logged_out_refresh_token_cannot_log_out_again(api, user):
    tokens = login(api, user)
    api.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert_unauthorized(api.post(LOGOUT, {"refresh": tokens["refresh"]}))


def test_an_access_token_issued_before_a_password_change_is_a_401(api, user):
    tokens = login(api, user)
    user.set_password("a-brand-new-password-42")
    user.save()

    assert_unauthorized(me(tokens["access"]))


def test_a_refresh_token_issued_before_a_password_change_is_a_401(api, user):
    tokens = login(api, user)
    user.set_password("a-brand-new-password-42")
    user.save()

    assert_unauthorized(api.post(REFRESH, {"refresh": tokens["refresh"]}))


def test_tokens_issued_after_a_password_change_work(api, user):
    user.set_password("a-brand-new-password-42")
    user.save()

    tokens = api.post(LOGIN, {"username": user.username, "password": "a-brand-new-password-42"}).json()["data"]

    assert me(tokens["access"]).status_code == 200


def test_reusing_a_rotated_refresh_token_is_a_401_and_revokes_its_successor(api, user):
    first = login(api, user)
    second = api.post(REFRESH, {"refresh": first["refresh"]}).json()["data"]

    replay = api.post(REFRESH, {"refresh": first["refresh"]})

    assert_unauthorized(replay)
    assert_unauthorized(api.post(REFRESH, {"refresh": second["refresh"]}))


def test_a_rotated_refresh_token_works_once(api, user):
    first = login(api, user)
    second = api.post(REFRESH, {"refresh": first["refresh"]})

    assert second.status_code == 200
    assert me(second.json()["data"]["access"]).status_code == 200
    assert_unauthorized(api.post(REFRESH, {"refresh": first["refresh"]}))


# --- Cookie credentials and CSRF ------------------------------------------------------------


@pytest.fixture
def cookie_client(user):
    """A browser: signed in by the login cookies only, CSRF checks on."""
    client = CommittingAPIClient(enforce_csrf_checks=True)
    login(client, user)
    return client


@pytest.fixture
def game(user):
    return GameFactory(owner=user, slug="cookie-game")


def test_a_cookie_signs_in_safe_requests_without_a_csrf_token(cookie_client, user):
    response = cookie_client.get(ME)

    assert response.status_code == 200
    assert response.json()["data"]["id"] == user.pk


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/games/cookie-game/scores/", {"value": 1}),
        ("patch", "/api/v1/games/cookie-game/", {"name": "Changed by a forged form"}),
        ("delete", "/api/v1/games/cookie-game/", None),
        ("post", REFRESH, {}),
        ("post", LOGOUT, {}),
    ],
)
def test_an_unsafe_request_on_a_cookie_without_the_csrf_token_is_a_403(cookie_client, game, method, path, body):
    response = getattr(cookie_client, method)(path, body)

    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "FORBIDDEN"
    game.refresh_from_db()
    assert game.name != "Changed by a forged form"
    assert game.archived_at is None
    assert not game.scores.exists()


def test_a_wrong_csrf_token_is_a_403(cookie_client, game):
    response = cookie_client.post("/api/v1/games/cookie-game/scores/", {"value": 1}, HTTP_X_CSRFTOKEN="x" * 64)

    assert response.status_code == 403


def test_an_unsafe_request_on_a_cookie_with_the_csrf_token_is_served(cookie_client, game):
    csrf = cookie_client.cookies["csrftoken"].value

    response = cookie_client.post("/api/v1/games/cookie-game/scores/", {"value": 1}, HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 201


def test_a_bearer_request_needs_no_csrf_token(game, user):
    client = CommittingAPIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")

    assert client.post("/api/v1/games/cookie-game/scores/", {"value": 1}).status_code == 201


def test_a_forged_access_cookie_is_a_401(game):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies[django_settings.ACCESS_COOKIE_NAME] = "not-a-token"

    assert_unauthorized(client.get(ME))


# --- Websockets ------------------------------------------------------------------------------


@pytest.fixture
async def realtime():
    async with isolated_realtime():
        yield


@pytest.fixture
def arena(db):
    return GameFactory(slug="arena")


async def expired_access(user) -> str:
    access = (await sync_to_async(issue_tokens)(user=user)).access
    now = int(time.time())
    return signed({**claims_of(access), "iat": now - 3600, "exp": now - 1})


async def assert_closed_unauthorized(path: str, **kwargs) -> None:
    connected, socket = await open_socket(path, **kwargs)
    assert connected  # accepted, so the client learns why it is closed
    assert await socket.closed_with() == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_a_socket_with_a_bad_token_is_closed_with_4401(token):
    await assert_closed_unauthorized("/ws/games/arena/", token=token)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
async def test_a_socket_with_an_expired_token_is_closed_with_4401():
    user = await sync_to_async(UserFactory)()

    await assert_closed_unauthorized("/ws/games/arena/", token=await expired_access(user))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
async def test_a_socket_with_an_alg_none_token_is_closed_with_4401():
    user = await sync_to_async(UserFactory)()
    access = (await sync_to_async(issue_tokens)(user=user)).access

    await assert_closed_unauthorized("/ws/games/arena/", token=unsigned_token(claims_of(access)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
async def test_a_socket_with_a_refresh_token_is_closed_with_4401():
    user = await sync_to_async(UserFactory)()
    refresh = (await sync_to_async(issue_tokens)(user=user)).refresh

    await assert_closed_unauthorized("/ws/games/arena/", token=refresh)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
async def test_a_socket_with_a_token_from_before_a_password_change_is_closed_with_4401():
    user = await sync_to_async(UserFactory)()
    access = (await sync_to_async(issue_tokens)(user=user)).access

    def change_password():
        user.set_password("a-brand-new-password-42")
        user.save()

    await sync_to_async(change_password)()

    await assert_closed_unauthorized("/ws/games/arena/", token=access)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
async def test_a_socket_with_an_expired_access_cookie_is_closed_with_4401():
    user = await sync_to_async(UserFactory)()
    cookie = f"{django_settings.ACCESS_COOKIE_NAME}={await expired_access(user)}".encode()

    await assert_closed_unauthorized("/ws/games/arena/", headers=[(b"cookie", cookie)])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "arena")
async def test_a_socket_closed_for_a_bad_token_never_counted_as_a_player(arena):
    await assert_closed_unauthorized("/ws/games/arena/", token="not-a-token")

    socket, snapshot = await watch(arena)

    assert (snapshot["players"], snapshot["connections"]) == (0, 1)
    await socket.close()


# --- Tokens never reach the logs (finding 6 of the outside probe) -----------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["token", "%74oken", "tok%65n", "%74%6F%6B%65%6E"])
def test_a_token_in_a_websocket_url_signs_in_and_never_reaches_the_server_log(servers, name):
    GameFactory(slug="arena")
    access = issue_tokens(user=UserFactory()).access
    (server,) = servers.start()

    async def signed_in_socket():
        async with watching(f"{server.ws_url('/ws/games/arena/')}?{name}={access}") as inbox:
            return await inbox.expect("snapshot", within=10)

    snapshot = asyncio.run(signed_in_socket())

    assert snapshot["players"] == 1  # the encoded name signed the socket in
    log = server.log_path.read_text()
    assert "/ws/games/arena/" in log
    assert access not in log
    assert access.split(".")[2] not in log  # not even the signature
