"""The probation officer's caseload in Russian (a real browser, a live centre):
his client with compliance and the next curfew, the client's strap alert to
review, a reporting appointment marked missed, and a request for a night shift
that the supervisor approves on the case page: the curfew then shows it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from korgoo.api.auth import add_user
from korgoo.domain.events import Signal, SignalKind
from korgoo.domain.terms import DeviceKind, OrderKind, ScheduleWindow, ZoneSpec
from korgoo.store.devices import assign_device, enrol_device
from korgoo.store.orders import create_order, terms_at
from korgoo.store.registry import PersonRole, create_person
from korgoo.web.i18n import gettext

from .centre import PASSWORD, SUPERVISOR, Centre
from .conftest import WAIT_MS, sign_in

OKT = "KG-GB-OKT"
ORDER = "prb-e2e"


def ru(text: str) -> str:
    return gettext("ru", text)


def probation_case(centre: Centre) -> None:
    """A probation client of Oktyabrsky with a bracelet, a nightly curfew at home,
    and Oktyabrsky's probation officer."""
    now = time.time()
    db = centre.pipeline.db
    with db.begin() as conn:
        create_person(
            conn,
            role=PersonRole.PROBATION_CLIENT,
            display_name="Асанов Бакыт",
            district=OKT,
            person_id="client-e2e",
            at=now,
        )
        enrol_device(conn, "bracelet-prb", DeviceKind.BRACELET, at=now - 60)
        assign_device(conn, "bracelet-prb", "client-e2e", actor="setup", at=now - 60)
        create_order(
            conn,
            order_id=ORDER,
            number="PRB-7/2026",
            kind=OrderKind.PROBATION,
            issuing_authority="Октябрьский районный суд",
            legal_basis="уголовный кодекс, ст. 67",
            district=OKT,
            respondent_id="client-e2e",
            protected_ids=[],
            starts_at=now - 60,
            zones=[
                ZoneSpec(
                    zone_id="curfew",
                    name="Дом",
                    kind="inclusion",
                    geometry={"type": "Point", "coordinates": [74.60, 42.86]},
                    radius_m=150,
                    schedule=(ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=1320, end=360),),
                )
            ],
            actor="setup",
            at=now - 60,
        )
    terms = terms_at(db, ORDER, now)
    assert terms is not None
    centre.run(lambda: centre.pipeline.order_changed(terms))
    add_user(
        db,
        "probation-okt",
        role="probation_officer",
        districts=[OKT],
        display_name="Инспектор пробации",
        password=PASSWORD,
        now=now,
    )


@pytest.fixture
def second(browser: Browser, centre: Centre) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=centre.url, locale="ru-RU", timezone_id="Asia/Bishkek")
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def test_the_officer_runs_his_caseload_and_the_supervisor_approves_a_night_shift(
    page: Page, centre: Centre, second: BrowserContext
) -> None:
    probation_case(centre)
    now = time.time()
    centre.engine_input([Signal("bracelet-prb", now, now, SignalKind.STRAP_OPEN, source="e2e")])
    centre.settled()

    sign_in(page, centre, totp="", username="probation-okt")
    expect(page).to_have_url(f"{centre.url}/caseload")
    expect(page.locator("h1")).to_have_text(ru("Caseload"))
    client = page.locator(f'#clients tr[data-order-id="{ORDER}"]')
    expect(client).to_contain_text("Асанов Бакыт")
    expect(client.locator(".open-alerts")).to_have_text("1")
    expect(client.locator(".next-curfew")).to_contain_text("Дом")
    # Only his probation client: none of the pilot's protective orders.
    expect(page.locator("#clients tbody tr")).to_have_count(1)
    # The nav offers him nothing of the centre's.
    expect(page.locator("#nav-caseload")).to_have_text(ru("Caseload"))
    expect(page.locator("#nav-cases")).to_have_count(0)

    # The strap alert, to review; he notes his review.
    violation = page.locator("#violations tbody tr")
    expect(violation).to_have_count(1)
    expect(violation).to_contain_text(ru("Strap opened or tampered with"))
    violation.locator("input[name=note]").fill("Позвонил: ремешок повреждён на работе")
    violation.locator("button").click()
    expect(violation.locator(".review")).to_contain_text("probation-okt")

    # A reporting appointment, then marked missed.
    form = page.locator("#appointment-form")
    form.locator("input[name=at]").fill("2030-01-15T10:00")
    form.locator("input[name=place]").fill("Уголовно-исполнительная инспекция, каб. 4")
    form.locator("button").click()
    row = page.locator("#appointments tbody tr")
    expect(row).to_contain_text("каб. 4")
    expect(client).to_contain_text("каб. 4")
    row.locator("button", has_text=ru("Missed")).click()
    expect(row.locator(".appointment-outcome")).to_contain_text(ru("Missed"))

    # A night shift: requested here ...
    request = page.locator("#request-form")
    request.locator("select[name=zone_id]").select_option("curfew")
    local = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now + 6 * 3600 - 3600))
    until = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now + 6 * 3600 + 2 * 86400))
    request.locator("input[name=from]").fill(local)
    request.locator("input[name=to]").fill(until)
    request.locator("input[name=what]").fill("ночная смена на хлебозаводе")
    request.locator("input[name=reason]").fill("Справка работодателя приложена")
    request.locator("button").click()
    status = page.locator("#requests .request-status")
    expect(status).to_have_text(ru("Awaiting the supervisor"))

    # ... approved by the supervisor on the case page (a new order version) ...
    sup = second.new_page()
    sign_in(sup, centre, username=SUPERVISOR)
    expect(sup.locator("#alert-queue")).to_be_visible()
    sup.goto(f"/cases/{ORDER}")
    item = sup.locator("#variation-requests li")
    expect(item).to_contain_text("ночная смена на хлебозаводе")
    item.locator(".request-approve").click()
    expect(item).to_have_attribute("data-status", "approved")
    expect(sup.locator('#versions li[data-version="2"]')).to_be_visible()

    # ... and on the caseload the request is approved and the curfew excepted.
    page.reload()
    expect(status).to_contain_text(ru("Approved"))
    expect(client.locator(".curfew-exception")).to_contain_text("ночная смена на хлебозаводе")
