"""The ministry's statistics page in a browser: a user with the statistics role
alone lands on it, sees the pilot's figures in Russian with Chart.js charts,
and the page fits a 1280-pixel screen."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from korgoo.alerts.book import AlertBook
from korgoo.alerts.model import Outcome, Transition
from korgoo.api.auth import add_user

from .centre import PASSWORD, Centre
from .test_screenshots import everyone_reports_from_home, incidents, shoot

MINISTRY = "ministry"


def work_the_alerts(centre: Centre) -> int:
    """The operator acknowledges every alert, a minute apart, notes the police
    notified on the second and resolves the first as a GPS false alarm.
    Returns how many alerts there are."""
    everyone_reports_from_home(centre)
    incidents(centre)
    centre.settled()
    keys = [a.alert_key for a in centre.pipeline.open_alerts()]
    t = time.time()

    def act(book: AlertBook) -> list[Transition]:
        out: list[Transition] = []
        for i, key in enumerate(keys):
            out += book.acknowledge(key, "operator", t + 60 * (i + 1))
        out += book.record_stage(keys[1], "police_notified", t + 900, "operator")
        out += book.resolve(keys[0], "operator", t + 1000, Outcome.GPS_FALSE_ALARM, "jitter")
        return out

    async def run() -> None:
        await centre.pipeline.act(act)

    centre.run(run)
    return len(keys)


def test_the_statistics_page_shows_the_pilots_figures_in_russian(
    page: Page, centre: Centre
) -> None:
    alerts = work_the_alerts(centre)
    assert alerts >= 5
    add_user(
        centre.pipeline.db,
        MINISTRY,
        role="statistics",
        display_name="Министерство юстиции",
        password=PASSWORD,
        now=time.time(),
    )
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto("/login")
    page.locator("#username").fill(MINISTRY)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()

    expect(page).to_have_url(re.compile(r"/statistics"))  # the queue is not for this role
    expect(page.locator("main")).to_have_attribute("data-loaded", "1")
    expect(page.locator("h1")).to_have_text("Статистика")
    expect(page.locator("#nav-statistics")).to_be_visible()
    expect(page.locator("#nav-queue")).to_have_count(0)
    expect(page.locator("#tile-orders")).to_have_text("18")
    expect(page.locator("#tile-alerts")).to_have_text(str(alerts))
    kinds = page.locator("#t-orders-kind tbody tr")
    expect(kinds.filter(has_text="Охранный ордер суда")).to_contain_text("14")
    expect(kinds.filter(has_text="Временный")).to_contain_text("4")
    outcomes = page.locator("#t-outcomes")
    expect(outcomes.locator("tr", has_text="Ложная тревога")).to_contain_text("1")
    expect(outcomes.locator("tr", has_text="Ещё не закрыта")).to_contain_text(str(alerts - 1))
    response = page.locator("#t-response")
    expect(response.locator('[data-stage="acknowledged"]')).to_contain_text(str(alerts))
    expect(response.locator('[data-stage="police_accepted"]')).to_contain_text(
        "ещё не регистрируется"
    )
    for chart in ("chart-orders", "chart-outcomes", "chart-rules", "chart-response"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_be_visible()
        drawn = page.evaluate(f"Boolean(window.Chart.getChart('{chart}'))")
        assert drawn, chart
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 150, (chart, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    xlsx = page.locator("#export-xlsx").get_attribute("href") or ""
    assert xlsx.startswith("/api/v1/statistics.xlsx?") and "lang=ru" in xlsx
    shoot(page, "statistics")
    for lang, title in (("ky", "Бардык райондор"), ("en", "All districts")):
        page.locator("#language").select_option(lang)
        expect(page.locator("#stats-district option").first).to_have_text(title)
        expect(page.locator("main")).to_have_attribute("data-loaded", "1")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, lang
