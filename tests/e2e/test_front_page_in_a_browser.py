"""The front page and the 404 page in headless Chromium (issue 11, items 2
and 6): they render with Podium's styles, load nothing that fails (the
favicon included) and run no script."""

import pytest

from tests.e2e.browser import WITHIN_MS, expect, screenshot
from tests.factories import GameFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_the_front_page_renders_and_leads_to_the_games(server, browser):
    GameFactory(slug="space-race", name="Space Race")

    page = browser.open(f"{server.url}/")

    expect(page.locator("h1")).to_have_text("Podium", timeout=WITHIN_MS)
    assert browser.console_errors == browser.failed_loads == browser.page_errors == []
    screenshot(page, "front-page.png")
    page.get_by_role("link", name="Space Race").click()
    expect(page.locator("#game-name")).to_have_text("Space Race", timeout=WITHIN_MS)


def test_a_missing_live_page_is_a_styled_404_with_a_way_back(server, browser):
    page = browser.open(f"{server.url}/games/nope/live/")

    expect(page.locator("h1")).to_have_text("Nothing here", timeout=WITHIN_MS)
    assert page.evaluate("getComputedStyle(document.querySelector('.bar')).display") == "flex"  # our stylesheet
    screenshot(page, "not-found-page.png")
    page.get_by_role("link", name="the front page").click()
    expect(page.locator("h1")).to_have_text("Podium", timeout=WITHIN_MS)
