"""Browser tests: Playwright drives Debian's Chromium against a live monitoring centre.

Playwright never downloads a browser here: it launches Debian's /usr/bin/chromium
(or KORGOO_TEST_CHROMIUM), and a machine without it fails these tests
(scripts/ensure-system-deps, run by `make test`, installs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)

from .centre import OPERATOR, PASSWORD, SUPERVISOR, Centre

CHROMIUM = Path(os.environ.get("KORGOO_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}
WAIT_MS = 10_000
REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = REPO / "test-artifacts" / "e2e"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it: "
            "run scripts/ensure-system-deps (`make test` does)",
            pytrace=False,
        )
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    running = Centre(tmp_path / "korgoo.db")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser: Browser, centre: Centre) -> Iterator[Page]:
    """A fresh browser profile on the centre; fails the test on any script error
    or server error."""
    context = browser.new_context(
        base_url=centre.url, viewport=VIEWPORT, locale="ru-RU", timezone_id="Asia/Bishkek"
    )
    context.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))

    def console_error(message: ConsoleMessage) -> None:
        # A refused request (a wrong login is a 401) is logged by the browser
        # too; server failures are caught below from the responses themselves.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"{tab.url}: {message.text}")

    def server_error(response: Response) -> None:
        if response.status >= 500:
            errors.append(f"{response.request.method} {response.url}: {response.status}")

    tab.on("console", console_error)
    tab.on("response", server_error)
    try:
        yield tab
    finally:
        context.close()
    assert not errors, "errors in the page's scripts:\n" + "\n".join(errors)


# Elements reaching past the window's right edge, named for the failure message.
_OVERFLOWING_JS = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 12)
  .map((e) => `${e.tagName}#${e.id}.${e.className} ${e.getBoundingClientRect().right}`)"""


def assert_fits(page: Page) -> None:
    """The page is no wider than the window (no sideways scrolling)."""
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, (scroll, width, page.evaluate(_OVERFLOWING_JS))


def sign_in(page: Page, centre: Centre, totp: str | None = None, username: str = OPERATOR) -> None:
    """Fill the login form as an operator (or `username`) does and submit it."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#totp").fill(totp if totp is not None else centre.totp(username))
    page.locator("#login-submit").click()


@pytest.fixture
def supervisor_console(page: Page, centre: Centre) -> Page:
    """The supervisor signed in, on the alert queue, with the live stream connected."""
    sign_in(page, centre, username=SUPERVISOR)
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "on")
    return page


@pytest.fixture
def console(page: Page, centre: Centre) -> Page:
    """The operator signed in, on the alert queue, with the live stream connected."""
    sign_in(page, centre)
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "on")
    return page
