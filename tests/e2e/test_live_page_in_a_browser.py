"""CONTRACT §8: /games/{slug}/live/ in headless Chromium against a real
server: the live count and top 10 follow the websocket without a reload,
untrusted names show as text, the page reconnects by itself after a restart,
and it fits a phone screen."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from accounts.services import issue_tokens
from scores.boards import create_board
from scores.models import Operator
from tests.e2e.browser import (
    HTML_GAME_NAME,
    HTML_USERNAME,
    WITHIN_MS,
    Page,
    expect,
    screenshot,
)
from tests.e2e.live_servers import call, submit_score
from tests.factories import GameFactory, UserFactory

# Server processes share the test's database and Redis: PostgreSQL and Redis only.
pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def game(transactional_db):
    return GameFactory()


def access_token(user) -> str:
    return issue_tokens(user=user).access


def live_url(server, slug: str) -> str:
    return f"{server.url}/games/{slug}/live/"


def socket_path(slug: str) -> str:
    return f"/ws/games/{slug}/"


def expect_live(page: Page) -> None:
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "live", timeout=WITHIN_MS)


def expect_counts(page: Page, *, players: int, connections: int) -> None:
    expect(page.locator("#players")).to_have_text(str(players), timeout=WITHIN_MS)
    expect(page.locator("#connections")).to_have_text(str(connections), timeout=WITHIN_MS)


def expect_board(page: Page, rows: list[list[str]]) -> None:
    board = page.locator("#leaderboard tr")
    expect(board).to_have_count(len(rows), timeout=WITHIN_MS)
    for index, cells in enumerate(rows):
        expect(board.nth(index).locator("td")).to_have_text(cells, timeout=WITHIN_MS)


def test_the_live_page_shows_the_player_count(server, browser, game):
    alice_token = access_token(UserFactory(username="alice"))

    with connect(server.ws_url(socket_path(game.slug), token=alice_token), open_timeout=10) as alice:
        assert json.loads(alice.recv(timeout=10))["players"] == 1
        page = browser.open(live_url(server, game.slug))
        expect_live(page)

        expect_counts(page, players=1, connections=2)

    assert browser.page_errors == []


def test_a_socket_opened_elsewhere_changes_the_count_without_a_reload(server, browser, game):
    alice_token = access_token(UserFactory(username="alice"))
    page = browser.open(live_url(server, game.slug))
    expect_live(page)
    expect_counts(page, players=0, connections=1)
    page.evaluate("window.sameDocument = true")

    with connect(server.ws_url(socket_path(game.slug), token=alice_token), open_timeout=10):
        expect_counts(page, players=1, connections=2)
    expect_counts(page, players=0, connections=1)

    assert page.evaluate("window.sameDocument") is True


def test_a_score_posted_over_rest_appears_in_the_top_ten(server, browser, game):
    alice_token = access_token(UserFactory(username="alice"))
    bob_token = access_token(UserFactory(username="bob"))
    page = browser.open(live_url(server, game.slug))
    expect_live(page)
    expect_board(page, [["No scores yet."]])
    page.evaluate("window.sameDocument = true")

    submit_score(server, game.slug, token=alice_token, value=4200)
    expect_board(page, [["1", "alice", "4,200"]])
    submit_score(server, game.slug, token=bob_token, value=5000)
    expect_board(page, [["1", "bob", "5,000"], ["2", "alice", "4,200"]])

    expect(page.locator("#latest")).to_have_text("bob scored 5,000 \u2014 new best: rank 1", timeout=WITHIN_MS)
    assert page.evaluate("window.sameDocument") is True
    assert browser.console_errors == browser.failed_loads == []  # the favicon included
    screenshot(page, "live-page.png")


def test_a_score_that_does_not_beat_the_best_says_the_best_stays(server, browser, game):
    """Issue 11, item 4: it used to read "ada scored 1000 (rank 1)" as if 1,000 ranked first."""
    ada = access_token(UserFactory(username="ada"))
    submit_score(server, game.slug, token=ada, value=250_000)
    page = browser.open(live_url(server, game.slug))
    expect_live(page)

    submit_score(server, game.slug, token=ada, value=1000)

    expect(page.locator("#latest")).to_have_text(
        "ada scored 1,000 \u2014 best stays 250,000, rank 1", timeout=WITHIN_MS
    )


def test_a_time_trial_shows_its_milliseconds_as_times(server, browser):
    """Issue 11, item 5: a board whose metadata says "unit": "ms" showed 68772."""
    game = GameFactory(slug="speed-run", score_order="asc", metadata={"unit": "ms"})
    ada, bob = (access_token(UserFactory(username=name)) for name in ("ada", "bob"))
    submit_score(server, game.slug, token=ada, value=68_772)
    page = browser.open(live_url(server, game.slug))
    expect_live(page)
    expect_board(page, [["1", "ada", "1:08.772"]])  # as the server rendered it

    submit_score(server, game.slug, token=bob, value=3_725_004)
    submit_score(server, game.slug, token=ada, value=70_000)

    expect_board(page, [["1", "ada", "1:08.772"], ["2", "bob", "1:02:05.004"]])  # as the script renders it
    expect(page.locator("#latest")).to_have_text(
        "ada scored 1:10.000 \u2014 best stays 1:08.772, rank 1", timeout=WITHIN_MS
    )
    screenshot(page, "live-page-time-trial.png")


def test_a_boards_live_page_follows_that_board_only(server, browser, game):
    """Issue 12: /games/{slug}/live/?board=KEY shows that board's top 10 and
    its scores; a score on another board of the game changes nothing there."""
    create_board(game=game, key="kills", name="Kills", operator=Operator.SUM)
    ada = access_token(UserFactory(username="ada"))
    page = browser.open(f"{live_url(server, game.slug)}?board=kills")
    expect_live(page)
    expect(page.locator("#board-name")).to_contain_text("Kills")

    call("POST", f"{server.url}/api/v1/games/{game.slug}/boards/kills/scores/", token=ada, body={"value": 5})
    call("POST", f"{server.url}/api/v1/games/{game.slug}/boards/kills/scores/", token=ada, body={"value": 7})
    expect_board(page, [["1", "ada", "12"]])
    expect(page.locator("#latest")).to_have_text("ada added 7 \u2014 total 12, rank 1", timeout=WITHIN_MS)

    # Everything the page shows from here on is recorded.
    page.evaluate(
        """() => {
        window.shown = [];
        const record = () => window.shown.push(document.getElementById("live").innerText);
        new MutationObserver(record).observe(document.getElementById("live"), {subtree: true, childList: true,
            characterData: true});
    }"""
    )
    submit_score(server, game.slug, token=ada, value=900)  # the default board
    call("POST", f"{server.url}/api/v1/games/{game.slug}/boards/kills/scores/", token=ada, body={"value": 1})
    expect_board(page, [["1", "ada", "13"]])
    expect(page.locator("#latest")).to_have_text("ada added 1 \u2014 total 13, rank 1", timeout=WITHIN_MS)
    # The default board's score and top 10 came first, and never showed.
    assert not [text for text in page.evaluate("window.shown") if "900" in text]
    assert browser.console_errors == browser.failed_loads == []
    screenshot(page, "live-page-sum-board.png")


def test_a_username_written_as_html_shows_as_text(server, browser, game):
    # Straight through the ORM: sign-up would refuse this name.
    html_user = UserFactory(username=HTML_USERNAME, email="html@example.com")
    html_token = access_token(html_user)
    page = browser.open(live_url(server, game.slug))
    expect_live(page)

    submit_score(server, game.slug, token=html_token, value=7)
    expect_board(page, [["1", HTML_USERNAME, "7"]])  # drawn by the script from the websocket
    expect(page.locator("#latest")).to_have_text(f"{HTML_USERNAME} scored 7 \u2014 new best: rank 1", timeout=WITHIN_MS)
    rendered = page.reload()
    expect_live(page)
    expect_board(page, [["1", HTML_USERNAME, "7"]])  # drawn by the server, then the snapshot

    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.text()
    assert page.locator("#leaderboard img, #latest img").count() == 0
    assert browser.dialogs == []
    assert browser.page_errors == []


def test_a_game_named_with_html_shows_its_name_as_text(server, browser):
    game = GameFactory(name=HTML_GAME_NAME)
    page = browser.open(live_url(server, game.slug))
    expect_live(page)

    expect(page.locator("#game-name")).to_have_text(HTML_GAME_NAME)
    assert page.locator("#game-name *").count() == 0
    assert page.title().startswith(HTML_GAME_NAME)
    page.goto(f"{server.url}/games/")
    expect(page.locator(f'tr[data-game="{game.slug}"] a')).to_have_text(HTML_GAME_NAME)
    assert page.locator("#lobby script").count() == 0
    assert browser.dialogs == []
    assert browser.page_errors == []


def test_the_page_reconnects_after_the_server_restarts(servers, server, browser, game):
    alice_token = access_token(UserFactory(username="alice"))
    page = browser.open(live_url(server, game.slug))
    expect_live(page)
    state = page.locator("#connection-state")

    with connect(server.ws_url(socket_path(game.slug), token=alice_token), open_timeout=10):
        expect_counts(page, players=1, connections=2)
        server.stop()
        expect(state).not_to_have_attribute("data-state", "live", timeout=WITHIN_MS)
    servers.start(port=server.port)

    # Back by itself, with the new server's count: only the page's own socket.
    expect_live(page)
    expect_counts(page, players=0, connections=1)
    assert browser.page_errors == []


def test_the_live_page_fits_a_phone_screen(server, browser):
    game = GameFactory(name="The Extraordinarily Long-Winded Midsummer Championship Tournament of 2031")
    player_token = access_token(UserFactory(username="longest_possible_player_name30"))  # 30: the most allowed
    submit_score(server, game.slug, token=player_token, value=9_007_199_254_740_991)
    page = browser.open(live_url(server, game.slug), phone=True)
    expect_live(page)
    expect_board(page, [["1", "longest_possible_player_name30", "9,007,199,254,740,991"]])
    screenshot(page, "live-page-phone.png")

    width = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")

    assert width["inner"] == 390
    assert width["scroll"] <= width["inner"], width
