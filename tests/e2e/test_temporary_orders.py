"""A temporary order on a phone (390x844): the Oktyabrsky duty officer issues
one with its request for a bracelet from the police view, forbidding any
contact; the supervisor finds the request in the centre's queue, reads the
no-contact condition on the case page, and refuses the request with a reason;
the officer's request list shows the refusal (a real browser, a live centre)."""

from __future__ import annotations

import time

from playwright.sync_api import BrowserContext, Page, expect

from korgoo.api.auth import add_user
from korgoo.web.i18n import gettext

from .centre import PASSWORD, Centre
from .conftest import sign_in
from .test_police import PHONE, phones

__all__ = ["phones"]


def test_the_officer_issues_a_temporary_order_and_the_centre_answers(
    page: Page, centre: Centre, phones: list[BrowserContext]
) -> None:
    add_user(
        centre.pipeline.db,
        "police-okt",
        role="police_duty_officer",
        districts=["KG-GB-OKT"],
        display_name="police-okt",
        password=PASSWORD,
        now=time.time(),
    )
    officer = phones[0].new_page()
    sign_in(officer, centre, totp="", username="police-okt")
    expect(officer).to_have_url(f"{centre.url}/police")
    officer.locator(".temp-order summary").tap()
    form = officer.locator("#temp-order")
    form.locator('[name="number"]').fill("TMP-17")
    expect(form.locator('[name="district"] option')).to_have_count(1)
    form.locator('[name="issuing_authority"]').fill("отдел милиции Октябрьского района")
    form.locator('[name="legal_basis"]').fill("закон № 63, временный охранный ордер")
    form.locator('[name="respondent_name"]').fill("Асанов Б.")
    form.locator('[name="protected_name"]').fill("Асанова Г.")
    form.locator('[name="protected_phone"]').fill("+996 555 000 017")
    form.locator('[name="protected_language"]').select_option("ky")
    form.locator('[name="min_distance_m"]').fill("300")
    form.locator('[name="no_contact"]').check()
    form.locator('[name="note"]').fill("браслет надеть в отделе")
    form.locator('button[type="submit"]').tap()
    expect(officer.locator("#toast")).to_contain_text("центр")
    width = officer.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is wider than the phone: {width}px"

    sign_in(page, centre, username="supervisor")
    expect(page.locator("#alert-queue")).to_be_visible()
    page.locator("#nav-requests").click()
    card = page.locator(".request", has_text="TMP-17")
    expect(card).to_contain_text("браслет надеть в отделе")
    # The condition is on the order: the case page lists it among the terms.
    card.get_by_role("link", name="TMP-17").click()
    no_contact = gettext("ru", "No contact with the protected person by any means")
    expect(page.locator("#order-details")).to_contain_text(no_contact)
    expect(page.locator("#versions li").first).to_contain_text(gettext("ru", "No contact"))
    page.go_back()
    card = page.locator(".request", has_text="TMP-17")
    expect(card.locator(".request-steps li")).to_have_count(1)
    expect(card.locator(".request-steps")).to_contain_text("police-okt")
    card.locator('[name="reason"]').fill("Нет свободных браслетов")
    card.locator('button[type="submit"]').click()
    expect(page.locator(".request", has_text="TMP-17")).to_have_count(0)  # answered

    officer.goto("/requests")
    page_all = officer.locator("#requests-all")
    page_all.check()
    answered = officer.locator(".request", has_text="TMP-17")
    expect(answered).to_have_attribute("data-status", "refused")
    expect(answered).to_contain_text("Нет свободных браслетов")
    expect(answered.locator(".request-actions")).to_have_count(0)
