"""The shift handover in a browser: the operator finds the open alerts with the
last action on each, the devices to fix, and leaves a note the next shift reads."""

from __future__ import annotations

import time
from urllib.parse import quote

from playwright.sync_api import Page, expect

from korgoo.alerts.book import AlertBook
from korgoo.alerts.model import Transition
from korgoo.store.handover import last_actions

from .centre import Centre
from .conftest import assert_fits
from .test_screenshots import everyone_reports_from_home, incidents


def test_the_operator_hands_over_the_shift_in_russian(console: Page, centre: Centre) -> None:
    everyone_reports_from_home(centre)
    incidents(centre)
    centre.settled()
    keys = [a.alert_key for a in centre.pipeline.open_alerts()]
    assert len(keys) >= 3

    def act(book: AlertBook) -> list[Transition]:
        return book.acknowledge(keys[0], "operator", time.time())

    async def run() -> None:
        await centre.pipeline.act(act)

    centre.run(run)
    page = console
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.locator("#nav-handover").click()
    expect(page.locator("main")).to_have_attribute("data-loaded", "1")
    expect(page.locator("h1")).to_have_text("Передача смены")
    rows = page.locator("#handover-alerts tbody tr")
    expect(rows).to_have_count(len(keys))
    expect(page.locator("#count-alerts")).to_have_text(str(len(keys)))
    # The acknowledged alert names its last action; the others say nobody acted.
    acked = rows.filter(has=page.locator(f'a[href="/alerts/{quote(keys[0], safe="")}"]'))
    expect(acked).to_contain_text("operator")
    # (A P1 breach offered to the police has that offer as its last action.)
    acted = last_actions(centre.pipeline.db, keys)
    assert keys[0] in acted
    expect(rows.filter(has_text="Ещё никто не действовал")).to_have_count(len(keys) - len(acted))

    page.locator("#note-text").fill("Браслет по делу 3 заменить утром")
    page.locator("#note-form button[type=submit]").click()
    expect(page.locator("#handover-notes li").first).to_contain_text(
        "Браслет по делу 3 заменить утром"
    )
    expect(page.locator("#note-text")).to_have_value("")
    assert_fits(page)
    for lang, title in (("ky", "Кезек өткөрүү"), ("en", "Shift handover")):
        page.locator("#language").select_option(lang)
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("main")).to_have_attribute("data-loaded", "1")
        assert_fits(page)
