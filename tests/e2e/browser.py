"""Headless Chromium for the browser tests (Debian's, driven by Playwright,
which cannot download its own here), and where their screenshots go."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import unavailable
from tests.e2e.live_servers import ROOT

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # require_browser() skips, or fails under CI, saying why
    Page = expect = sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
WITHIN_MS = 10_000
HTML_USERNAME = "<img src=x onerror=alert(1)>"
HTML_GAME_NAME = "<script>alert(1)</script>"


def browser_missing() -> str | None:
    if sync_playwright is None:
        return "needs the playwright package (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    return None


class Browser:
    """Headless Chromium with a fresh profile, started by `open()` (one page per test).

    Playwright's synchronous API keeps an event loop running in this thread,
    where Django then refuses ORM calls: tests prepare their rows first."""

    def __init__(self, profile: Path):
        self.profile = profile
        self.playwright = None
        self.context = None
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.failed_loads: list[str] = []

    def open(self, url: str, *, phone: bool = False) -> Page:
        if self.context is not None:
            raise RuntimeError("one page per test")
        self.playwright = sync_playwright().start()
        screen = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True} if phone else {}
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, **screen
        )
        page = self.context.pages[0] if self.context.pages else self.context.new_page()
        page.on("dialog", self._dialog_opened)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("response", lambda response: response.status >= 400 and self.failed_loads.append(response.url))
        page.goto(url)
        return page

    def _dialog_opened(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        if self.playwright is not None:
            self.playwright.stop()


def require_browser() -> None:
    if reason := browser_missing():
        unavailable(reason)


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
