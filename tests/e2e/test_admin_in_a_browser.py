"""The admin in headless Chromium against a real server (issue 11): a game's
dashboard draws its three charts as visible SVG, and the games list fits a
1280-pixel-wide screen to its last column (item 12). Screenshots are kept
in test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from scores.boards import default_board
from scores.services import submit_score
from tests.e2e.browser import WITHIN_MS, Page, expect, screenshot
from tests.factories import PASSWORD, GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def operator(transactional_db, settings):
    # Hashed as production does, so that the server's sign-in form accepts it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


def sign_in(browser, server, operator, path: str) -> Page:
    """Sign in through the admin's own form, which then goes on to `path`."""
    page = browser.open(f"{server.url}/admin/login/?next={path}")
    page.set_viewport_size(LAPTOP)
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def played_game():
    """A time trial with scores over the last two days (at their own times)."""
    game = GameFactory(name="Speed Run", slug="speed-run", score_order="asc", metadata={"unit": "ms"})
    players = UserFactory.create_batch(12)
    now = timezone.now()
    for index, player in enumerate(players):
        for attempt in range(1 + index % 3):
            with time_machine.travel(now - timedelta(hours=index * 4 + attempt, minutes=7), tick=False):
                submit_score(
                    board=default_board(game), user=player, value=60_000 + 1_731 * index + 97 * attempt, metadata={}
                )
    return game


def test_an_operator_opens_a_games_dashboard_from_its_page(server, browser, operator):
    game = played_game()
    page = sign_in(browser, server, operator, f"/admin/games/game/{game.pk}/change/")

    page.get_by_role("link", name="Dashboard").click()

    expect(page.locator("h1")).to_have_text("Dashboard: Speed Run", timeout=WITHIN_MS)
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    screenshot(page, "admin-game-dashboard.png")
    for index in range(3):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 300, box
        assert box["height"] > 100, box
        assert box["x"] + box["width"] <= LAPTOP["width"], box
    assert page.locator("#chart-submissions rect.chart-bar").count() == 48
    assert page.locator("#chart-players rect.chart-bar").count() == 24
    assert page.locator("#chart-distribution rect.chart-bar").count() == 20
    tallest = page.locator("#chart-submissions rect.chart-bar").evaluate_all(
        "bars => Math.max(...bars.map(bar => bar.getBoundingClientRect().height))"
    )
    assert tallest > 50  # the busiest hour's bar is drawn, not a hairline
    expect(page.locator("#distribution-title")).to_have_text("Score distribution, all-time board")
    expect(page.locator("#top-entries tbody tr").first).to_contain_text("1:00.000")
    expect(page.locator("#board-size")).to_have_text("12")
    assert browser.console_errors == browser.failed_loads == browser.page_errors == []


def test_the_games_list_fits_a_1280_pixel_screen_to_its_last_column(server, browser, operator):
    demo = UserFactory(username="demo-studio")
    for name, slug, owner in [
        ("Space Race", "space-race", "demo-studio"),
        ("Speed Run", "speed-run", "demo-studio"),
        ("Lunar Lander Championship", "lunar-lander-championship-2026", "moonshot-interactive-studios"),
        ("Tetrominoes", "tetrominoes", "falling-blocks-entertainment"),
    ]:
        GameFactory(name=name, slug=slug, owner=UserFactory(username=owner) if owner != "demo-studio" else demo)
    page = sign_in(browser, server, operator, "/admin/games/game/")
    expect(page.locator("#result_list")).to_be_visible(timeout=WITHIN_MS)
    screenshot(page, "admin-games-list-1280.png")

    last = page.locator("#result_list thead th").last
    expect(last).to_be_visible()
    header = last.bounding_box()
    results = page.locator("#changelist .results").bounding_box()
    right_edge = header["x"] + header["width"]
    assert right_edge <= results["x"] + results["width"] + 0.5, (header, results)
    assert right_edge <= LAPTOP["width"], header
    overflow = page.locator("#changelist .results").evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 0  # nothing to scroll to: every column is on screen
    assert last.text_content().strip() == "Scores"
    assert browser.console_errors == browser.failed_loads == browser.page_errors == []
