"""Fixtures of the browser tests: a server as `make run` starts it, and headless Chromium."""

import pytest

from tests.e2e.browser import Browser, require_browser


@pytest.fixture
def server(servers):
    require_browser()  # before starting anything: every test that takes it needs the browser
    return servers.start()[0]


@pytest.fixture
def browser(servers, tmp_path):
    require_browser()
    chromium = Browser(tmp_path / "chromium-profile")
    yield chromium
    chromium.close()
