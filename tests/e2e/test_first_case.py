"""Issue 11's story in a real browser, in Russian: a supervisor new to Korgoo
registers the two persons, creates an order with a night-time curfew, enrols the
respondent's phone by the QR code's address and the protected person's by typing
the code; her first alarm reaches an operator, who calls her on the number shown
and resolves the alert; the maps draw streets from Korgoo's own tiles."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .apps_harness import PHONE, phone_browser
from .centre import Centre
from .conftest import VIEWPORT, WAIT_MS, sign_in
from .test_apps import hold
from .test_map_tiles import centre

__all__ = ["centre", "phone_browser"]
HER_PHONE = "+996 700 111 222"
HIS_PHONE = "+996 700 333 444"
HOME = (42.8746, 74.6122)  # inside the test tiles around Bishkek


def desktop(browser: Browser, centre: Centre) -> Page:
    expect.set_options(timeout=WAIT_MS)
    context = browser.new_context(
        base_url=centre.url, viewport=VIEWPORT, locale="ru-RU", timezone_id="Asia/Bishkek"
    )
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def phone(browser: Browser, centre: Centre) -> Page:
    context = browser.new_context(
        base_url=centre.url,
        viewport=PHONE,  # type: ignore[arg-type]
        is_mobile=True,
        has_touch=True,
        locale="ru-RU",
        timezone_id="Asia/Bishkek",
        permissions=["geolocation"],
        geolocation={"latitude": HOME[0], "longitude": HOME[1], "accuracy": 8.0},
    )
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def register(page: Page, name: str, role: str, number: str) -> None:
    page.locator("#nav-persons").click()
    if page.locator("#person-new").is_visible():  # the form still shows the last one
        page.locator("#person-new").click()
    page.get_by_label("ФИО").fill(name)
    page.locator("#person-role").select_option(role)
    page.locator("#person-district").select_option("KG-GB-OKT")
    page.locator("#phones li").first.get_by_label("Номер").fill(number)
    page.locator("#person-save").click()
    expect(page.locator("#persons tr", has_text=name)).to_have_count(1)


def test_a_new_supervisor_opens_a_case_and_an_operator_handles_its_first_alarm(
    phone_browser: Browser, centre: Centre
) -> None:
    sup = desktop(phone_browser, centre)
    sign_in(sup, centre, username="supervisor")
    expect(sup.locator("#alert-queue")).to_be_visible()

    register(sup, "Ответчик по делу", "respondent", HIS_PHONE)
    register(sup, "Защищаемое лицо по делу", "protected", HER_PHONE)

    # The order, with his home as a curfew zone 22:00-06:00.
    sup.locator("#nav-cases").click()
    sup.locator("#order-new").click()
    sup.locator("#order-number").fill("СУД-2026-0101")
    sup.locator("#order-kind").select_option("court")
    sup.locator("#order-district").select_option("KG-GB-OKT")
    sup.locator("#order-authority").fill("Октябрьский районный суд")
    sup.locator("#order-basis").fill("Закон Кыргызской Республики № 63")
    sup.locator("#order-respondent").select_option(label="Ответчик по делу")
    sup.locator("#order-protected").select_option(label="Защищаемое лицо по делу")
    sup.locator("#order-submit").click()
    expect(sup).to_have_url(re.compile(r"/cases/[0-9a-f]+$"))
    order_id = sup.url.rsplit("/", 1)[1]
    # Streets on the case map, from Korgoo's own tiles.
    expect(sup.locator("#case-map .leaflet-tile-pane canvas").first).to_be_visible()
    sup.locator("#zone-add-circle").click()
    sup.locator("#case-map").click()
    sup.locator("#zone-name").fill("Дом ответчика")
    sup.locator("#zone-kind").select_option("inclusion")
    sup.locator("#schedule-add").click()
    sup.locator("#variation-reason").fill("Комендантский час по решению суда")
    sup.locator("#zone-save").click()
    expect(sup.locator('#versions li[data-status="active"]')).to_have_attribute("data-version", "2")

    # His phone by the QR code (its address), hers by typing the code.
    codes = {}
    for label in ("Ответчик по делу", "Защищаемое лицо по делу"):
        value = sup.locator("#enrol-person option", has_text=label).get_attribute("value")
        assert value
        sup.locator("#enrol-person").select_option(value)
        sup.locator("#enrol-create").click()
        expect(sup.locator("#enrol-qr svg")).to_be_visible()
        for earlier in codes.values():  # a new code, not the one shown before
            shown = f"{earlier[:4]} {earlier[4:]}"
            expect(sup.locator("#enrol-code")).not_to_have_text(shown)
        codes[label] = sup.locator("#enrol-code").inner_text().replace(" ", "")  # shown 4 + 4
    his = phone(phone_browser, centre)
    his.goto(f"/app/enrol?code={codes['Ответчик по делу']}")
    expect(his).to_have_url(f"{centre.url}/app/respondent")
    her = phone(phone_browser, centre)
    her.goto("/app/enrol")
    her.locator("#enrol-code").fill(codes["Защищаемое лицо по делу"])
    her.locator("#enrol-submit").click()
    expect(her).to_have_url(f"{centre.url}/app/victim")

    # Her alarm: a long press.
    expect(her.locator("#order-end")).not_to_be_empty()  # the app has loaded her order
    # Her app hears the centre: its answer to the SOS comes over this stream.
    expect(her.locator("#link")).to_have_attribute("data-state", "on")
    her.bring_to_front()  # a page behind others has its timers slowed: the long press
    her.locator("#silent-mode").check()  # she keeps the phone quiet
    hold(her, "#panic", 1600)
    expect(her.locator("#panic-confirmed")).to_be_visible()

    # The operator takes it from the queue and calls her on the number shown.
    op = desktop(phone_browser, centre)
    sign_in(op, centre)
    row = op.locator(".alert-row", has_text="СУД-2026-0101")
    expect(row).to_have_attribute("data-priority", "P1")
    row.click()
    expect(op).to_have_url(re.compile(r"/alerts/"))
    op.locator("#log-call").click()
    op.locator("#call-party").select_option("protected")
    numbers = op.locator("#call-contacts .call-numbers li")
    expect(numbers.first).to_contain_text(HER_PHONE)
    op.locator("#call-outcome").select_option("reached")
    op.locator("#call-submit").click()
    expect(op.locator('#timeline [data-kind="call_logged"]')).to_have_count(1)
    op.locator("#ack").click()
    expect(op.locator('#timeline [data-kind="acknowledged"]')).to_have_count(1)
    # The whole story is the order's record.
    sup.goto(f"/cases/{order_id}")
    expect(sup.locator("#case-alerts tbody tr").first).to_contain_text("Тревожная кнопка")
