"""Cross-site scripting: untrusted text (game names and descriptions, which
any Studio member writes; usernames and metadata, which players write) is
rendered escaped on the live page, the games page and the admin, and the
live pages' Content-Security-Policy would stop an inline script anyway.

Registration refuses markup in usernames (test_injection), so the hostile
usernames here are written straight to the database: the pages must not
rely on that rule to stay safe.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client, TestCase
from django.utils.html import escape

from scores.boards import default_board
from scores.services import submit_score
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('name')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(2)>"
SCRIPT_CLOSE = "</script><script>alert(3)</script>"
PAYLOADS = [SCRIPT, IMAGE, SVG, SCRIPT_CLOSE]
STATIC = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime"


class Elements(HTMLParser):
    """The elements a browser would build from a page, with their attributes
    and script text: what a payload must never become."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def assert_inert(html: str) -> None:
    """No payload made it into the page as markup: no raw payload, no event
    handler attribute, no injected image, no script that calls alert."""
    for payload in PAYLOADS:
        assert payload not in html, payload
    elements = Elements(html)
    for tag, attributes in elements.tags:
        handlers = [name for name in attributes if name.startswith("on")]
        assert not handlers, (tag, attributes)
        assert not (tag == "img" and attributes.get("src") == "x"), attributes
    assert not any("alert(" in text for text in elements.script_text)


@pytest.fixture
def hostile_game(db):
    # Usernames hold 30 characters: the payloads fit.
    owner = UserFactory(username=f"owner{SVG}")
    game = GameFactory(name=SCRIPT, description=IMAGE + SCRIPT_CLOSE, slug="hostile", owner=owner)
    player = UserFactory(username=IMAGE)
    with TestCase.captureOnCommitCallbacks(execute=True):
        submit_score(board=default_board(game), user=player, value=10, metadata={"note": SCRIPT_CLOSE, SVG: IMAGE})
    return game


@pytest.fixture
def operator_browser(operator):
    client = Client()
    client.force_login(operator)
    return client


# --- The live pages --------------------------------------------------------------------------------------


def test_the_live_page_escapes_the_games_name_description_and_players(hostile_game):
    html = Client().get("/games/hostile/live/").content.decode()

    assert_inert(html)
    assert escape(SCRIPT) in html  # the name is shown, as text
    assert escape(IMAGE + SCRIPT_CLOSE) in html  # the description
    assert escape(IMAGE) in html  # the player


def test_the_live_pages_title_escapes_the_games_name(hostile_game):
    html = Client().get("/games/hostile/live/").content.decode()

    title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
    assert "<" not in title
    assert escape(SCRIPT) in title


def test_the_games_page_escapes_game_names(hostile_game):
    html = Client().get("/games/").content.decode()

    assert_inert(html)
    assert escape(SCRIPT) in html


def test_a_payload_in_a_page_url_is_not_reflected(db):
    response = Client().get("/games/%3Cscript%3Ealert(1)%3C%2Fscript%3E/live/")

    assert response.status_code == 404
    assert b"<script>alert" not in response.content


@pytest.mark.parametrize("path", ["/games/", "/games/hostile/live/"])
def test_the_live_pages_run_no_inline_script(hostile_game, path):
    html = Client().get(path).content.decode()

    elements = Elements(html)
    scripts = [attributes for tag, attributes in elements.tags if tag == "script"]
    assert scripts, "the page loads its script"
    assert all(attributes.get("src", "").startswith("/static/") for attributes in scripts)
    assert "".join(elements.script_text).strip() == ""
    handlers = [name for _tag, attributes in elements.tags for name in attributes if name.startswith("on")]
    assert not handlers, "inline event handlers would need 'unsafe-inline'"


@pytest.mark.parametrize("path", ["/games/", "/games/hostile/live/"])
def test_the_live_pages_policy_forbids_inline_and_foreign_script(hostile_game, path):
    policy = Client().get(path)["Content-Security-Policy"]

    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    script_sources = directives.get("script-src", directives.get("default-src"))
    assert script_sources == ["'self'"]
    for forbidden in ("'unsafe-inline'", "'unsafe-eval'", "data:", "*", "http:", "https:"):
        assert forbidden not in policy.split()
    assert directives["object-src" if "object-src" in directives else "default-src"] == ["'none'"]


@pytest.mark.parametrize("script", ["live.js", "lobby.js", "socket.js"])
def test_the_live_scripts_never_parse_server_data_as_html(script):
    """Names and usernames also arrive over the websocket; the scripts must
    write them as text."""
    source = (STATIC / script).read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


# --- The admin ------------------------------------------------------------------------------------------


def test_the_games_changelist_escapes_names_and_owners(hostile_game, operator_browser):
    html = operator_browser.get("/admin/games/game/").content.decode()

    assert_inert(html)
    assert escape(SCRIPT) in html


def test_the_games_change_form_escapes_every_field(hostile_game, operator_browser):
    html = operator_browser.get(f"/admin/games/game/{hostile_game.pk}/change/").content.decode()

    assert_inert(html)


def test_the_scores_changelist_escapes_games_and_players(hostile_game, operator_browser):
    html = operator_browser.get("/admin/scores/score/").content.decode()

    assert_inert(html)


def test_the_score_change_page_escapes_its_metadata(hostile_game, operator_browser):
    score = hostile_game.scores.get()

    html = operator_browser.get(f"/admin/scores/score/{score.pk}/change/").content.decode()

    assert_inert(html)


def test_the_score_filter_escapes_player_names(hostile_game, operator_browser):
    html = operator_browser.get(f"/admin/scores/score/?game__id__exact={hostile_game.pk}").content.decode()

    assert_inert(html)


def test_the_users_changelist_and_form_escape_usernames(hostile_game, operator_browser):
    player = hostile_game.scores.get().user

    for path in ("/admin/accounts/user/", f"/admin/accounts/user/{player.pk}/change/"):
        assert_inert(operator_browser.get(path).content.decode())


def test_the_admin_search_box_does_not_reflect_markup(hostile_game, operator_browser):
    html = operator_browser.get("/admin/games/game/", {"q": SVG}).content.decode()

    assert_inert(html)


def test_the_archive_confirmation_escapes_names(hostile_game, operator_browser):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = operator_browser.post(
            "/admin/games/game/", {"action": "archive", "_selected_action": [hostile_game.pk]}, follow=True
        )

    assert_inert(response.content.decode())


# --- The API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/games/", "/api/v1/games/hostile/", "/api/v1/games/hostile/scores/", "/api/v1/games/hostile/leaderboard/"],
)
def test_the_api_serves_untrusted_text_as_json_that_no_browser_sniffs_as_html(hostile_game, path):
    response = Client().get(path)

    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
