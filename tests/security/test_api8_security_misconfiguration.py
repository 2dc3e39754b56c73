"""OWASP API8:2023 Security Misconfiguration.

Production defaults are the safe ones (DEBUG off, secure cookies, HSTS, no
CORS), every response carries the headers of CONTRACT §2, CORS answers only
whitelisted origins, cookies carry their flags, a crash shows nothing of
the server, websocket handshakes from other sites or for hosts outside
ALLOWED_HOSTS are refused (§7) and the live pages run under a
Content-Security-Policy.

From the outside probe of issue 10, once 500s or leaks: bodies in charsets
that are not UTF-8, codecs that are not text among them (finding 1), lone
surrogates however spelt (2), more than 1,000 query parameters (3), a
handshake for a foreign Host (9), and a server that named itself or spoke
Python in its messages (11).
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.services import issue_tokens
from tests.api.crash_urls import SECRET_IN_THE_CRASH
from tests.conftest import CommittingAPIClient
from tests.e2e.live_servers import http
from tests.factories import PASSWORD, GameFactory, UserFactory
from tests.realtime.conftest import open_socket, watch
from tests.security.sockets import isolated_realtime

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/api/v1/auth/login/"

pytestmark = pytest.mark.django_db


# --- Production defaults -------------------------------------------------------------------------------


def settings_in_a_clean_environment(**variables: str) -> dict[str, object]:
    """Every setting as `manage.py diffsettings --all` prints it, in a process
    that sees only PATH and `variables` (none of the suite's defaults)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}
    result = subprocess.run(
        [sys.executable, "manage.py", "diffsettings", "--all"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(?:### )?([A-Z0-9_]+) = (.*?)(?:  ###)?", line)
        if match:
            try:
                found[match[1]] = ast.literal_eval(match[2])
            except (ValueError, SyntaxError):
                found[match[1]] = match[2]
    return found


@pytest.fixture(scope="module")
def production_settings():
    return settings_in_a_clean_environment(SECRET_KEY="s" * 50)


def test_debug_is_off_by_default(production_settings):
    assert production_settings["DEBUG"] is False


def test_debug_stays_off_under_the_development_secret_of_make_run():
    assert settings_in_a_clean_environment(PODIUM_DEV_SECRET="1")["DEBUG"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESSION_COOKIE_SECURE", True),
        ("SESSION_COOKIE_HTTPONLY", True),
        ("SESSION_COOKIE_SAMESITE", "Lax"),
        ("CSRF_COOKIE_SECURE", True),
        ("CSRF_COOKIE_SAMESITE", "Lax"),
        ("JWT_COOKIE_SECURE", True),
        ("SECURE_HSTS_SECONDS", 31536000),
        ("SECURE_CONTENT_TYPE_NOSNIFF", True),
        ("SECURE_REFERRER_POLICY", "same-origin"),
        ("X_FRAME_OPTIONS", "DENY"),
        ("CORS_ALLOWED_ORIGINS", []),
        ("CSRF_TRUSTED_ORIGINS", []),
        ("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]),
    ],
)
def test_production_defaults_are_the_safe_ones(production_settings, name, value):
    assert production_settings[name] == value


def test_only_debug_drops_the_secure_flag_of_cookies():
    debug = settings_in_a_clean_environment(DEBUG="true")

    assert debug["DEBUG"] is True
    assert (debug["SESSION_COOKIE_SECURE"], debug["CSRF_COOKIE_SECURE"], debug["JWT_COOKIE_SECURE"]) == (
        False,
        False,
        False,
    )


def test_the_test_settings_run_with_debug_off(settings):
    """What follows proves production behaviour only if DEBUG is off here too."""
    assert settings.DEBUG is False


# --- Security headers ---------------------------------------------------------------------------------


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


HEADER_PATHS = [
    "/api/v1/games/",
    "/api/v1/games/arena/",
    "/api/v1/games/arena/leaderboard/",
    "/api/v1/auth/me/",
    "/api/v1/no-such-thing/",
    "/api/schema/",
    "/api/docs/",
    "/games/",
    "/games/arena/live/",
    "/games/no-such-game/live/",
    "/admin/login/",
    "/admin/",
    "/static/admin/css/base.css",
    "/static/realtime/live.js",
    "/healthz",
    "/readyz",
]


def assert_security_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", HEADER_PATHS)
def test_every_response_carries_the_security_headers(game, path):
    assert_security_headers(Client().get(path))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", LOGIN, {"username": "nobody", "password": "wrong"}),  # 401
        ("post", "/api/v1/games/", {"name": "x"}),  # 401
        ("delete", "/api/v1/games/", None),  # 405
        ("post", "/api/v1/auth/register/", {"email": "nope"}),  # 400
    ],
)
def test_error_responses_carry_the_security_headers(method, path, body):
    assert_security_headers(getattr(CommittingAPIClient(), method)(path, body))


def test_a_413_carries_the_security_headers():
    response = Client().generic("POST", LOGIN, b"{" + b" " * 70_000 + b"}", content_type="application/json")

    assert response.status_code == 413
    assert_security_headers(response)


@pytest.mark.parametrize(
    "path", ["/api/v1/games/", "/games/arena/live/", "/admin/login/", "/static/admin/css/base.css"]
)
def test_hsts_is_sent_over_https(game, path):
    response = Client().get(path, secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_is_not_sent_over_plain_http(game):
    assert not Client().get("/api/v1/games/").has_header("Strict-Transport-Security")


@pytest.mark.parametrize("path", [LOGIN, "/api/v1/auth/refresh/"])
def test_responses_that_carry_tokens_are_never_cached(user, path):
    client = CommittingAPIClient()
    tokens = client.post(LOGIN, {"username": user.username, "password": PASSWORD}).json()["data"]

    response = client.post(path, {"username": user.username, "password": PASSWORD, "refresh": tokens["refresh"]})

    assert response.status_code == 200
    assert "no-store" in response.get("Cache-Control", ""), dict(response.items())


def test_the_api_docs_load_no_third_party_script_or_style():
    html = Client().get("/api/docs/").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/static/") for source in sources), sources


def test_a_request_for_a_foreign_host_is_refused():
    response = Client().get("/api/v1/games/", HTTP_HOST="evil.example")

    assert response.status_code == 400


def test_an_unknown_page_shows_no_technical_404():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert b"URLconf" not in response.content
    assert b"urlpatterns" not in response.content


# --- CORS ------------------------------------------------------------------------------------------


ALLOWED = "https://game.example"


def preflight(path: str, origin: str):
    return Client().options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")


@pytest.mark.parametrize("path", [LOGIN, "/api/v1/games/"])
def test_cors_answers_a_whitelisted_origin_by_name_with_credentials(settings, path):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    for response in (preflight(path, ALLOWED), Client().get(path, HTTP_ORIGIN=ALLOWED)):
        assert response["Access-Control-Allow-Origin"] == ALLOWED
        assert response["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "https://game.example.evil.example",
        "https://evilgame.example",
        "http://game.example",
        "https://game.example:8443",
        "https://sub.game.example",
    ],
)
@pytest.mark.parametrize("path", [LOGIN, "/api/v1/games/", "/static/admin/css/base.css", "/games/"])
def test_cors_ignores_every_other_origin(settings, origin, path):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    for response in (preflight(path, origin), Client().get(path, HTTP_ORIGIN=origin)):
        assert not response.has_header("Access-Control-Allow-Origin"), origin
        assert not response.has_header("Access-Control-Allow-Credentials"), origin


def test_by_default_cors_answers_no_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = []

    for origin in ("https://evil.example", "http://localhost:3000", "http://testserver"):
        assert not preflight(LOGIN, origin).has_header("Access-Control-Allow-Origin")


# --- Cookies ----------------------------------------------------------------------------------------


def assert_cookie(cookie, *, httponly: bool) -> None:
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] is True  # DEBUG is off
    if httponly:
        assert cookie["httponly"] is True


def test_the_login_cookies_carry_their_flags(user, settings):
    response = CommittingAPIClient().post(LOGIN, {"username": user.username, "password": PASSWORD})

    assert_cookie(response.cookies[settings.ACCESS_COOKIE_NAME], httponly=True)
    assert_cookie(response.cookies[settings.REFRESH_COOKIE_NAME], httponly=True)
    # The CSRF token is meant to be read by the page's script (Django's design):
    # it is not HttpOnly, but it is Secure and SameSite.
    assert_cookie(response.cookies["csrftoken"], httponly=False)


def test_the_refresh_cookie_is_sent_to_the_auth_endpoints_only(user, settings):
    response = CommittingAPIClient().post(LOGIN, {"username": user.username, "password": PASSWORD})

    assert response.cookies[settings.REFRESH_COOKIE_NAME]["path"] == "/api/v1/auth/"


def test_the_refreshed_cookies_carry_their_flags(user, settings):
    client = CommittingAPIClient()
    tokens = client.post(LOGIN, {"username": user.username, "password": PASSWORD}).json()["data"]

    response = client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]})

    assert_cookie(response.cookies[settings.ACCESS_COOKIE_NAME], httponly=True)
    assert_cookie(response.cookies[settings.REFRESH_COOKIE_NAME], httponly=True)


def test_the_csrf_endpoint_sets_a_secure_samesite_cookie():
    response = CommittingAPIClient().get("/api/v1/auth/csrf/")

    assert_cookie(response.cookies["csrftoken"], httponly=False)


def test_the_admin_session_cookie_carries_its_flags():
    operator = UserFactory(is_staff=True, is_superuser=True)
    client = Client()

    response = client.post("/admin/login/?next=/admin/", {"username": operator.username, "password": PASSWORD})

    assert response.status_code == 302
    assert_cookie(response.cookies["sessionid"], httponly=True)


# --- Crashes ---------------------------------------------------------------------------------------


def assert_reveals_nothing(response):
    body = response.content
    assert SECRET_IN_THE_CRASH.encode() not in body
    assert b"hunter2" not in body
    assert b"Traceback" not in body
    assert b"RuntimeError" not in body
    assert b"SECRET_KEY" not in body
    assert b"site-packages" not in body
    assert str(ROOT).encode() not in body


@pytest.mark.urls("tests.api.crash_urls")
@pytest.mark.parametrize("path", ["/api/v1/crash/drf/", "/api/v1/crash/django/"])
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_api_crash_is_a_500_envelope_that_reveals_nothing(settings, path, debug):
    settings.DEBUG = debug

    response = Client(raise_request_exception=False).get(path)

    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": {"code": "INTERNAL_ERROR", "message": response.json()["error"]["message"], "details": []},
    }
    assert_reveals_nothing(response)
    assert_security_headers(response)


@pytest.mark.urls("tests.api.crash_urls")
def test_a_page_crash_is_a_plain_500_that_reveals_nothing():
    response = Client(raise_request_exception=False).get("/crash/page/")

    assert response.status_code == 500
    assert_reveals_nothing(response)


# --- Websocket origins --------------------------------------------------------------------------------


@pytest.fixture
async def realtime():
    async with isolated_realtime():
        yield


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "game")
@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"null",
        b"https://testserver.evil.example",
        b"https://evil.example/testserver",
        b"file://",
        b"testserver",
    ],
)
async def test_a_websocket_handshake_from_another_site_is_refused(origin):
    connected, _ = await open_socket("/ws/games/arena/", headers=[(b"origin", origin)])

    assert not connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime")
async def test_a_cross_site_socket_cannot_ride_the_users_cookie(game):
    user = await sync_to_async(UserFactory)()
    access = (await sync_to_async(issue_tokens)(user=user)).access
    cookie = f"podium_access={access}".encode()

    connected, _ = await open_socket(
        "/ws/games/arena/", headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)]
    )
    watcher, snapshot = await watch(game)

    assert not connected
    assert (snapshot["players"], snapshot["connections"]) == (0, 1)
    await watcher.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "game")
@pytest.mark.parametrize("origin", [b"https://testserver", b"http://testserver", None])
async def test_a_websocket_from_the_site_itself_or_a_game_client_is_accepted(origin):
    headers = [] if origin is None else [(b"origin", origin)]

    connected, socket = await open_socket("/ws/games/arena/", headers=headers)

    assert connected
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "game")
async def test_a_websocket_from_a_whitelisted_origin_is_accepted(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    connected, socket = await open_socket("/ws/games/arena/", headers=[(b"origin", ALLOWED.encode())])

    assert connected
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "game")
@pytest.mark.parametrize("host", [b"evil.example", b"evil.example:8000", b"testserver.evil.example", b""])
async def test_a_websocket_handshake_for_a_host_not_in_allowed_hosts_is_refused(host):
    """Finding 9 of the outside probe: the handshake ignored ALLOWED_HOSTS while HTTP answered 400."""
    connected, _ = await open_socket("/ws/games/arena/", headers=[(b"host", host)])

    assert not connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime", "game")
async def test_a_websocket_handshake_for_an_allowed_host_with_a_port_is_accepted(settings):
    settings.ALLOWED_HOSTS = ["play.example"]

    connected, socket = await open_socket("/ws/games/arena/", headers=[(b"host", b"play.example:8443")])

    assert connected
    await socket.close()


# --- Content-Security-Policy ----------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name] = values
    return directives


@pytest.mark.parametrize("path", ["/games/", "/games/arena/live/"])
def test_the_live_pages_run_under_a_content_security_policy(game, path):
    directives = csp_directives(Client().get(path))

    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]


# --- Hostile requests that were 500s (the outside probe, findings 1-3 and 11) ----------------------------

REFRESH = "/api/v1/auth/refresh/"
REGISTER = "/api/v1/auth/register/"
# Text codecs that are not UTF-8. Codecs that are not text (NOT_TEXT) are
# sent to the real servers below: Django's own test client cannot even build
# a request that names one.
NOT_UTF8 = ["utf-7", "utf-16", "latin-1", "cp1252"]


@pytest.mark.parametrize("charset", [*NOT_UTF8, "no-such-charset"])
@pytest.mark.parametrize("path", [LOGIN, REFRESH, REGISTER])
def test_a_json_body_in_a_charset_other_than_utf8_is_a_415(charset, path):
    # generic() sends the bytes as they are (post() would encode them in the charset).
    response = Client().generic("POST", path, b"{}", content_type=f"application/json; charset={charset}")

    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", '"utf-8"'])
def test_utf8_in_any_spelling_is_read(charset):
    response = Client().post(
        LOGIN, b'{"username": "nobody", "password": "wrong"}', content_type=f"application/json; charset={charset}"
    )

    assert response.status_code == 401


@pytest.mark.parametrize("charset", NOT_UTF8)
def test_a_form_in_a_charset_other_than_utf8_is_a_415(charset):
    response = Client().generic(
        "POST",
        "/admin/login/",
        b"username=a&password=b",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )

    assert response.status_code == 415


def game_owner_client():
    owner = UserFactory(studio=True)
    client = CommittingAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=owner).access}")
    return owner, client


SURROGATE_BODIES = [
    b'{"value": 5, "metadata": {"a": "\\ud800"}}',  # an escape
    b'{"value": 5, "metadata": {"\\udfff": 1}}',  # in a key
    b'{"value": 5, "metadata": {"a": ["x", {"b": "\\udbff\\u0041"}]}}',  # nested, high half then a letter
]


@pytest.mark.parametrize("body", SURROGATE_BODIES)
def test_a_lone_surrogate_in_a_score_is_a_400_not_a_500(game, body):
    _owner, client = game_owner_client()

    response = client.post("/api/v1/games/arena/scores/", body, content_type="application/json")

    assert response.status_code == 400
    assert "unpaired surrogate" in response.json()["error"]["message"]


def test_a_surrogate_encoded_as_bytes_is_not_utf8(game):
    """The UTF-8 bytes of a lone surrogate (ED A0 80), which strict UTF-8 refuses."""
    _owner, client = game_owner_client()

    response = client.post(
        "/api/v1/games/arena/scores/",
        b'{"value": 5, "metadata": {"a": "\xed\xa0\x80"}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body is not valid UTF-8 (byte 32)."


def test_a_paired_surrogate_escape_is_a_character_like_any_other(game):
    _owner, client = game_owner_client()

    response = client.post(
        "/api/v1/games/arena/scores/",
        b'{"value": 5, "metadata": {"a": "\\ud83c\\udfc6"}}',
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["score"]["metadata"] == {"a": "\U0001f3c6"}


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_lone_surrogate_in_game_metadata_is_a_400_not_a_500(game, method):
    owner, client = game_owner_client()
    game.owner = owner
    game.save()
    path = "/api/v1/games/" if method == "post" else "/api/v1/games/arena/"

    response = getattr(client, method)(
        path, b'{"name": "New", "metadata": {"a": "\\ud800"}}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def many_parameters(count: int) -> str:
    return "&".join(f"k{n}=v" for n in range(count))


@pytest.mark.parametrize(
    "path", ["/api/v1/games/", "/api/v1/games/arena/scores/", "/api/v1/games/arena/leaderboard/", "/api/schema/"]
)
def test_more_than_a_thousand_query_parameters_is_a_400_not_a_500(game, path):
    response = Client().get(f"{path}?{many_parameters(1001)}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST"
    assert error["message"] == "Too many parameters: at most 1000 are read."


def test_more_than_a_thousand_query_parameters_signed_in_is_a_400_too(game, user):
    client = CommittingAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")

    response = client.get(f"/api/v1/games/arena/leaderboard/me/?{many_parameters(1001)}")

    assert response.status_code == 400


def test_a_thousand_query_parameters_are_read(game):
    assert Client().get(f"/api/v1/games/?{many_parameters(1000)}").status_code == 200


def test_a_body_nested_deeply_outside_metadata_is_a_400_not_a_500():
    """Deep enough for re-casing the keys to overflow, shallow enough for the JSON decoder."""
    body = b'{"username": ' + b"[" * 900 + b"1" + b"]" * 900 + b"}"

    response = Client().post(LOGIN, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body is nested too deeply."


PYTHON_WORDS = ["sys.", "int_max_str_digits", "codec", "utf-8-sig", "Traceback", "(char ", "Expecting value: line"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": ' + b"9" * 5000 + b"}",  # more digits than Python converts
        b"\xff\xfe{}",  # not UTF-8
        b'{"username": "a",}',  # a syntax error
        b"\xef\xbb\xbf{}",  # a byte order mark
        b'{"username": NaN}',
        b'{"username": 1e999}',
    ],
)
def test_a_malformed_body_is_described_in_the_clients_terms_not_pythons(body):
    response = Client().post(LOGIN, body, content_type="application/json")

    assert response.status_code in (400, 401)
    message = response.json()["error"]["message"]
    assert not [word for word in PYTHON_WORDS if word in message], message


def test_a_json_syntax_error_says_where():
    response = Client().post(LOGIN, b'{"username": "a",}', content_type="application/json")

    assert response.json()["error"]["message"] == (
        "The request body is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 18)."
    )


# --- The same, and the Server header, on the real servers -------------------------------------------

NOT_TEXT = ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri"]


def assert_hostile_charsets_are_answered(base: str) -> None:
    """Findings 1 and 2 as the probe sent them, to a running server."""
    for charset in [*NOT_TEXT, "utf-7"]:
        declared = {"Content-Type": f"application/json; charset={charset}"}
        for path in (LOGIN, REFRESH, REGISTER):
            answer = http("POST", base + path, headers=declared, data=b"{}")
            assert answer.status == 415, (charset, path, answer.body)
            assert answer.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
        # Without a body the charset is ignored: the query is read as UTF-8.
        for path in ("/api/v1/games/?search=Arena", "/games/", "/admin/login/"):
            assert http("GET", base + path, headers=declared).status == 200, (charset, path)
        form = {"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"}
        assert http("POST", base + "/admin/login/", headers=form, data=b"username=a").status == 415
    # A Content-Type Django cannot parse at all (an RFC 2231 parameter in an unknown encoding).
    for header in ["application/json; x*=nope''x", "application/json; charset*=nope''utf-8"]:
        assert http("POST", base + LOGIN, headers={"Content-Type": header}, data=b"{}").status == 415, header
        assert http("GET", base + "/api/v1/games/", headers={"Content-Type": header}).status == 200, header
    # `+2AA-` is a lone surrogate in UTF-7, read here as the five characters it is in UTF-8.
    utf7 = {"Content-Type": "application/json; charset=utf-7"}
    answer = http("GET", base + "/api/v1/games/?search=%2B2AA-", headers=utf7)
    assert (answer.status, answer.json()["data"]) == (200, [])


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("layout", ["make run", "deploy/serve"])
def test_codecs_that_are_not_text_get_a_415_or_are_ignored_never_a_500(layout, servers, production_layout):
    GameFactory(slug="arena", name="Arena")
    base = servers.start()[0].url if layout == "make run" else production_layout().url

    assert_hostile_charsets_are_answered(base)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_make_runs_server_does_not_name_itself(servers):
    """Finding 11: every response said `server: uvicorn`."""
    answer = http("GET", servers.start()[0].url + "/api/v1/games/")

    assert answer.headers.get("Server") is None


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_production_layout_names_no_server_or_version_behind_nginx(production_layout):
    answer = http("GET", production_layout().url + "/api/v1/games/")

    assert answer.headers.get("Server") == "nginx"  # server_tokens off: no version, and not granian
