"""The police view on a phone (390x844): a breach in Oktyabrsky is offered to
that district's duty officer and not to another district's; he accepts,
dispatches a unit, is on scene and records the outcome; the centre's alert
timeline shows each step with his name (a real browser, a live centre)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from korgoo.alerts.model import Alert
from korgoo.api.auth import add_user
from korgoo.domain.terms import DeviceKind
from korgoo.store.orders import terms_at, vary_order
from korgoo.web.i18n import gettext

from .centre import PASSWORD, Centre
from .conftest import WAIT_MS, sign_in
from .test_console import east_of, reports

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phones(browser: Browser, centre: Centre) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    errors: list[str] = []

    def new() -> BrowserContext:
        context = browser.new_context(
            base_url=centre.url,
            viewport=PHONE,  # type: ignore[arg-type]
            is_mobile=True,
            has_touch=True,
            locale="ru-RU",
            timezone_id="Asia/Bishkek",
        )
        context.set_default_timeout(WAIT_MS)
        context.on("weberror", lambda e: errors.append(str(e.error)))
        made.append(context)
        return context

    yield [new(), new()]
    for context in made:
        context.close()
    assert not errors, errors


def forbid_contact(centre: Centre, order_id: str) -> None:
    """The court adds the no-contact condition: a new version the engine has."""
    with centre.pipeline.db.begin() as conn:
        vary_order(
            conn, order_id, {"no_contact": True}, reason="no contact added", actor="supervisor"
        )
    terms = terms_at(centre.pipeline.db, order_id, time.time())
    assert terms is not None and terms.no_contact
    centre.run(lambda: centre.pipeline.order_changed(terms))


def offered_breach(centre: Centre) -> Alert:
    """A respondent (phone app) comes within 30 m of the protected person (victim
    app) away from her home; waits for the P1 breach and its offer."""
    case = next(
        c
        for c in centre.cases()
        if c.victim_device and c.respondent_kind is DeviceKind.RESPONDENT_APP
    )
    assert case.victim_device is not None
    her = east_of(case.home, 2500)
    him = east_of(her, 30)
    ages = [60, 50, 40, 30, 20, 10]
    for age in ages:
        centre.phone_reports(case.victim_device, reports([her], [age + 1]))
        centre.phone_reports(case.respondent_device, reports([him], [age]))
    centre.settled()
    deadline = time.time() + 10
    while time.time() < deadline:
        found = [
            a
            for a in centre.pipeline.open_alerts()
            if a.order_id == case.order_id and a.police_offered_at is not None
        ]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no offered alert: {centre.pipeline.open_alerts()}")


def test_a_breach_is_worked_by_the_district_duty_officer_on_a_phone(
    page: Page, centre: Centre, phones: list[BrowserContext]
) -> None:
    now = time.time()
    for username, district in (("police-okt", "KG-GB-OKT"), ("police-len", "KG-GB-LEN")):
        add_user(
            centre.pipeline.db,
            username,
            role="police_duty_officer",
            districts=[district],
            display_name=username,
            password=PASSWORD,
            now=now,
        )
    alert = offered_breach(centre)
    assert alert.rule == "proximity.breach" and alert.police_district == "KG-GB-OKT"
    forbid_contact(centre, alert.order_id)

    # Another district's duty officer: nothing offered.
    other = phones[1].new_page()
    sign_in(other, centre, totp="", username="police-len")
    expect(other).to_have_url(f"{centre.url}/police")
    expect(other.locator("#police-empty")).to_be_visible()
    expect(other.locator(".police-card")).to_have_count(0)

    # Oktyabrsky's: the alert, worked step by step with his thumbs.
    officer = phones[0].new_page()
    sign_in(officer, centre, totp="", username="police-okt")
    expect(officer).to_have_url(f"{centre.url}/police")
    card = officer.locator(".police-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Октябрьский район")
    no_contact = gettext("ru", "No contact with the protected person by any means")
    expect(card.locator(".police-no-contact")).to_have_text(no_contact)
    geo = re.compile(r"^geo:42\.\d+,74\.\d+$")
    expect(card.locator(".police-respondent a")).to_have_attribute("href", geo)
    width = officer.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is wider than the phone: {width}px"
    # The facts read as label and value side by side: a long label must not
    # squeeze the values into a column a few letters wide.
    number = card.locator(".police-order").bounding_box()
    assert number is not None and number["width"] >= PHONE["width"] * 0.35, number

    card.locator(".police-accept").tap()
    expect(card.locator('.police-steps [data-step="accepted"]')).to_be_visible()
    card.locator(".police-dispatched").tap()
    expect(card.locator('.police-steps [data-step="dispatched"]')).to_be_visible()
    card.locator(".police-on-scene").tap()
    expect(card.locator('.police-steps [data-step="on_scene"]')).to_be_visible()
    card.locator('select[name="outcome"]').select_option("respondent_removed")
    card.locator('textarea[name="note"]').fill("Нарушитель удалён, беседа проведена")
    card.locator(".police-outcome button").tap()
    expect(card.locator('.police-steps [data-step="reported"]')).to_be_visible()

    # The centre's alert page: each step on the timeline, by him.
    sign_in(page, centre)
    expect(page.locator("#alert-queue")).to_be_visible()
    page.goto(f"/alerts/{quote(alert.alert_key, safe='')}")
    by_him = page.locator(
        ".timeline-item", has=page.locator(".timeline-actor", has_text="police-okt")
    )
    expect(by_him).to_have_count(4)
    expect(by_him.nth(3)).to_contain_text(gettext("ru", "Respondent made to leave"))
    expect(by_him.nth(3)).to_contain_text("беседа проведена")
    offer = page.locator(
        '.timeline-item[data-kind="escalated"]', has_text=gettext("ru", "Police duty unit")
    )
    expect(offer).to_contain_text("Октябрьский район")
