"""Every page says everything in its language, and fits its window (issue 11 item 4).

The console's pages are walked as the roles that use them, in Russian and Kyrgyz:
any word of Latin letters that is not a code, an id or a name that reads the same
in every language (Korgoo, SMS, GPS, ...) fails the test, whether on the page, in
a tooltip, an aria-label or a placeholder. In all three languages, at 1280 and
1440 px, no page may be wider than its window.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from korgoo.api.auth import add_user
from korgoo.store.db import open_engine

from .centre import OPERATOR, PASSWORD, SUPERVISOR, Centre
from .conftest import WAIT_MS, assert_fits, sign_in
from .test_admin import ADMIN, ADMIN_PASSWORD, add_admin
from .test_console import enter_home_zone, phone_case, row_of

POLICE = "police-okt"
WIDTHS = (1280, 1440)
# Names and codes that read the same in every language.
ALLOWED = frozenset(
    {"Korgoo", "SMS", "QR", "GPS", "SOS", "TOTP", "Android", "JPEG", "OpenStreetMap",
     "Protomaps", "Leaflet", "ID", "IMEI", "API", "PMTiles", "CSV", "PDF",
     "English",  # the language switch names each language in itself
     "Enter", "Esc"}  # key caps in the keyboard hints (single letters are keys too)
    | {OPERATOR, SUPERVISOR, ADMIN, POLICE}  # user names are names
)  # fmt: skip
_QUOTED_CODE = re.compile(r"[“«\"][A-Za-z0-9_.:-]+[”»\"]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.@/:+-]*")
_TEXT_JS = """() => {
  const texts = [document.title, document.body.innerText];
  for (const e of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    for (const name of ["title", "aria-label", "placeholder"]) {
      const value = e.getAttribute(name);
      if (value) texts.push(value);
    }
  }
  return texts.join("\\n");
}"""
# Cells whose text runs past their edge (cut off by the panel), e.g. a rule's name.
_CUT_JS = """() => [...document.querySelectorAll("table td, table th")]
  .filter((c) => c.offsetParent !== null && c.scrollWidth > c.clientWidth + 1)
  .map((c) => c.textContent.slice(0, 60))"""


def english_words(text: str) -> list[str]:
    """Words of Latin letters that are not a code or id: those have a digit, an
    underscore, a dot or a colon inside (user:admin), an @, or are written in
    capitals (KG-GB-OKT); a single letter is a key in a keyboard hint."""
    found = []
    text = _QUOTED_CODE.sub("", text)  # a code quoted in a help text: “user.”
    for raw in _WORD.findall(text):
        word = raw.rstrip(".:/-")
        if (
            word in ALLOWED
            or any(c.isdigit() for c in word)
            or any(c in word for c in "_.@:")
            or len(word) == 1
            or (word.upper() == word and len(word) > 1)
        ):
            continue
        found.append(word)
    return sorted(set(found))


@pytest.fixture
def staffed(centre: Centre) -> Iterator[Centre]:
    """The centre with an administrator, a district's police duty officer and an
    open zone alert on a case."""
    add_admin(centre)
    db = open_engine(f"sqlite:///{centre.db_path}")
    add_user(
        db,
        POLICE,
        role="police_duty_officer",
        districts=["KG-GB-OKT"],
        display_name="Дежурный ОВД",
        password=PASSWORD,
        now=time.time(),
    )
    db.dispose()
    yield centre


def pages_of(centre: Centre, key: str, order_id: str) -> dict[str, list[str]]:
    """Who is signed in -> the pages they use."""
    return {
        OPERATOR: [
            "/",
            f"/alerts/{quote(key, safe='')}",
            "/map",
            "/handover",
            "/cases",
            f"/cases/{quote(order_id, safe='')}",
            "/persons",
            "/devices",
        ],
        SUPERVISOR: ["/checkins", "/statistics"],
        ADMIN: ["/admin", "/audit"],
        POLICE: ["/police"],
    }


def signed_in(browser: Browser, centre: Centre, who: str, lang: str) -> Page:
    viewport: ViewportSize = {"width": WIDTHS[0], "height": 900}
    context = browser.new_context(
        base_url=centre.url, viewport=viewport, locale="ru-RU", timezone_id="Asia/Bishkek"
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    if who == ADMIN:
        page.goto("/login")
        page.locator("#username").fill(ADMIN)
        page.locator("#password").fill(ADMIN_PASSWORD)
        page.locator("#login-submit").click()
    else:
        sign_in(page, centre, totp="" if who == POLICE else None, username=who)
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.locator("#language")).to_be_visible()
    if page.locator("html").get_attribute("lang") != lang:
        page.locator("#language").select_option(lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
    return page


def settle(page: Page) -> None:
    """The page drawn from its data: loaded, and no request pending for a moment."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(1200)


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_every_page_is_in_its_language_and_fits_the_window(
    browser: Browser, staffed: Centre, lang: str
) -> None:
    centre = staffed
    case = phone_case(centre)
    enter_home_zone(centre, case)
    alert = first_alert(centre, case.order_id)
    problems: dict[str, object] = {}
    errors: list[str] = []
    for who, paths in pages_of(centre, alert, case.order_id).items():
        page = signed_in(browser, centre, who, lang)
        page.on("pageerror", lambda e, who=who: errors.append(f"{who}: {e}"))
        try:
            for path in paths:
                page.goto(path)
                settle(page)
                if path == "/":
                    expect(row_of(page, case)).to_have_count(1)
                if lang != "en":
                    words = english_words(page.evaluate(_TEXT_JS))
                    if words:
                        problems[f"{who} {path} words"] = words
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    page.wait_for_timeout(300)
                    cut = page.evaluate(_CUT_JS)
                    if cut:
                        problems[f"{who} {path} cut at {width}px"] = cut
                    try:
                        assert_fits(page)
                    except AssertionError as e:
                        problems[f"{who} {path} at {width}px"] = str(e)[:600]
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        finally:
            page.context.close()
    assert not errors, errors
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def first_alert(centre: Centre, order_id: str) -> str:
    """The key of the order's first open alert, once the engine raised it."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        centre.settled()
        found = [a for a in centre.pipeline.open_alerts() if a.order_id == order_id]
        if found:
            return found[0].alert_key
        time.sleep(0.1)
    raise AssertionError(f"no alert was raised on {order_id}")
