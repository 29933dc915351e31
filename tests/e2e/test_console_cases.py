"""People and cases from the console in a real browser: a supervisor registers a
person with contacts, the call dialog shows whom to call, versions say which
one is in force, phones are enrolled and devices assigned from the case page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .centre import Centre
from .test_console import enter_home_zone, phone_case, row_of

SISTER = "+996 555 333 444"
MOBILE = "+996 700 111 222"
NOTE = "Сначала звонить сестре"


def csrf(page: Page) -> str:
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    return token


def register_person(page: Page) -> str:
    """Register a protected person with two phones through the persons page;
    returns the new person's id."""
    page.locator("#nav-persons").click()
    expect(page).to_have_url(re.compile(r"/persons$"))
    page.get_by_label("ФИО").fill("Айгуль Тестова")
    page.locator("#person-role").select_option("protected")
    page.locator("#person-district").select_option("KG-GB-OKT")
    page.locator("#person-birth").fill("1991-05-17")
    page.locator("#person-language").select_option("ky")
    first = page.locator("#phones li").nth(0)
    first.get_by_label("Номер").fill(MOBILE)
    first.get_by_label("Чей / пометка").fill("мобильный")
    page.locator("#add-phone").click()
    second = page.locator("#phones li").nth(1)
    second.get_by_label("Номер").fill("ring my sister")  # not a number: refused
    second.get_by_label("Чей / пометка").fill("сестра")
    page.locator("#person-note").fill(NOTE)
    page.locator("#person-save").click()
    expect(page.locator("#person-error")).to_contain_text("Номер: значение неверно.")
    second.get_by_label("Номер").fill(SISTER)
    page.locator("#person-save").click()

    row = page.locator("#persons tr", has_text="Айгуль Тестова")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{MOBILE} (мобильный), {SISTER} (сестра)")
    expect(page.locator("#person-form-h")).to_contain_text("Изменить контакты")
    person_id = row.get_attribute("data-person-id")
    assert person_id
    return person_id


def test_a_supervisor_registers_a_person_and_the_call_dialog_shows_her_numbers(
    supervisor_console: Page, centre: Centre
) -> None:
    page = supervisor_console
    person_id = register_person(page)
    # Her contacts are kept: the page shows them again after a reload.
    page.reload()
    page.locator("#persons tr", has_text="Айгуль Тестова").get_by_role("button").click()
    expect(page.locator("#phones li")).to_have_count(2)
    expect(page.locator("#person-note")).to_have_value(NOTE)

    # She becomes the protected person of an order (a variation), whose
    # respondent then walks into the home zone.
    case = phone_case(centre)
    answer = page.request.post(
        f"/api/v1/orders/{case.order_id}/variations",
        data={"changes": {"protected_ids": [person_id]}, "reason": "new protected person"},
        headers={"X-CSRF-Token": csrf(page)},
    )
    assert answer.status == 201, answer.text()
    enter_home_zone(centre, case)
    page.locator("#nav-queue").click()
    row_of(page, case).click()
    expect(page).to_have_url(re.compile(r"/alerts/"))

    page.locator("#log-call").click()
    contacts = page.locator("#call-contacts")
    # The respondent has no numbers registered: the dialog says so.
    expect(contacts).to_contain_text("нет зарегистрированных номеров")
    page.locator("#call-party").select_option("protected")
    expect(contacts).to_contain_text("Айгуль Тестова")
    numbers = contacts.locator(".call-numbers li")
    expect(numbers).to_have_count(2)
    expect(numbers.nth(0)).to_have_text(f"{MOBILE} — мобильный")
    expect(numbers.nth(1)).to_have_text(f"{SISTER} — сестра")
    expect(numbers.nth(1).locator("a")).to_have_attribute("href", "tel:+996555333444")
    expect(contacts.locator(".operator-note")).to_contain_text(NOTE)

    # No outcome is preselected, and the call is not saved without one.
    expect(page.locator("#call-outcome")).to_have_value("")
    page.locator("#call-submit").click()
    expect(page.locator("#call-dialog .form-error")).to_have_text(
        "Выберите, чем закончился звонок."
    )
    expect(page.locator('#timeline [data-kind="call_logged"]')).to_have_count(0)
    page.locator("#call-outcome").select_option("no_answer")
    page.locator("#call-submit").click()
    expect(page.locator('#timeline [data-kind="call_logged"]')).to_have_count(1)
    expect(page.locator("#call-dialog")).to_be_hidden()


def open_case(page: Page, number: str) -> None:
    page.locator("#nav-cases").click()
    page.locator("#orders a", has_text=number).click()
    expect(page.locator("#case-title")).to_contain_text(number)


def test_only_the_version_in_force_says_so(supervisor_console: Page, centre: Centre) -> None:
    page = supervisor_console
    case = phone_case(centre)
    for distance in (400, 300):
        answer = page.request.post(
            f"/api/v1/orders/{case.order_id}/variations",
            data={"changes": {"min_distance_m": distance}, "reason": f"court: {distance} m"},
            headers={"X-CSRF-Token": csrf(page)},
        )
        assert answer.status == 201, answer.text()
    open_case(page, case.number)
    versions = page.locator("#versions li")
    expect(versions).to_have_count(3)
    in_force = page.locator('#versions li[data-status="active"]')
    expect(in_force).to_have_count(1)
    expect(in_force).to_have_attribute("data-version", "3")
    expect(in_force.locator(".v-status")).to_have_text("Действует")
    expect(page.locator('#versions li[data-version="2"] .v-status')).to_have_text(
        "Заменена версией 3"
    )
    expect(page.locator('#versions li[data-version="1"] .v-status')).to_have_text(
        "Заменена версией 2"
    )
    expect(page.locator("#versions")).not_to_contain_text("Действует · ")
    assert page.locator("#versions").inner_text().count("Действует") == 1


def test_a_phone_is_enrolled_from_the_case_page_by_code_and_qr(
    console: Page, centre: Centre
) -> None:
    page = console  # an operator may enrol a phone
    case = phone_case(centre)
    open_case(page, case.number)
    expect(page.locator("#enrol-person option")).to_have_count(2)
    page.locator("#enrol-person").select_option(index=1)  # the protected person
    page.locator("#enrol-create").click()
    result = page.locator("#enrol-result")
    expect(result).to_be_visible()
    expect(page.locator("#enrol-qr svg")).to_be_visible()
    expect(page.locator("#enrol-code")).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    expect(page.locator("#enrol-expires")).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    code = page.locator("#enrol-code").get_attribute("data-code")
    assert code and re.fullmatch(r"\d{8}", code)

    # The phone app takes the code as typed and becomes her victim app.
    answer = page.request.post("/app/api/v1/enrol", data={"code": code})
    assert answer.status == 201, answer.text()
    assert answer.json()["kind"] == "victim_app"


def test_unassigning_a_device_asks_for_a_reason_and_confirmation(
    supervisor_console: Page, centre: Centre
) -> None:
    page = supervisor_console
    case = phone_case(centre)
    open_case(page, case.number)
    row = page.locator(f'#case-devices tr[data-device-id="{case.respondent_device}"]')
    expect(row).to_have_count(1)
    row.locator(".unassign").click()
    dialog = page.locator("#unassign-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(case.respondent_device)
    # Cancelled: nothing changes.
    dialog.locator("[data-close]").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(1)
    # Without a reason it is refused, in the page's language.
    row.locator(".unassign").click()
    page.locator("#unassign-submit").click()
    expect(dialog.locator(".form-error")).to_have_text("Укажите причину.")
    expect(row).to_have_count(1)
    page.locator("#unassign-reason").fill("Телефон утерян, заявление от 05.12")
    page.locator("#unassign-submit").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)
    assert case.respondent_device not in dict(
        centre.pipeline.order_terms(case.order_id).respondent.devices
    )

    # Assigned back, with a reason too.
    page.locator("#assign-open").click()
    page.locator("#assign-device").select_option(case.respondent_device)
    page.locator("#assign-person").select_option(index=0)
    page.locator("#assign-reason").fill("Телефон найден")
    page.locator("#assign-submit").click()
    expect(row).to_have_count(1)


def test_a_supervisor_creates_an_order_with_a_night_curfew(
    supervisor_console: Page, centre: Centre
) -> None:
    page = supervisor_console
    respondent = register_respondent(page)
    page.locator("#nav-cases").click()
    page.locator("#order-new").click()
    page.locator("#order-number").fill("СУД-2026-0042")
    page.locator("#order-kind").select_option("court")
    page.locator("#order-district").select_option("KG-GB-OKT")
    page.locator("#order-authority").fill("Октябрьский районный суд")
    page.locator("#order-basis").fill("Закон Кыргызской Республики № 63")
    page.locator("#order-respondent").select_option(respondent)
    page.locator("#order-min-distance").fill("")
    page.locator("#order-submit").click()
    expect(page.locator("#order-error")).to_contain_text("Минимальное расстояние, м")
    page.locator("#order-min-distance").fill("300")
    page.locator("#order-submit").click()

    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f]+$"))
    expect(page.locator("#case-title")).to_contain_text("СУД-2026-0042")
    expect(page.locator("#order-details")).to_contain_text("300 м")  # metres, in Russian
    order_id = page.url.rsplit("/", 1)[1]

    # His home as a curfew zone, in force 22:00-06:00 every night.
    page.locator("#zone-add-circle").click()
    page.locator("#case-map").click()
    page.locator("#zone-name").fill("Дом ответчика")
    page.locator("#zone-kind").select_option("inclusion")
    expect(page.locator("#schedule-always")).to_be_visible()
    page.locator("#schedule-add").click()
    window = page.locator("#schedule li")
    expect(window).to_have_count(1)
    expect(window.locator(".schedule-start")).to_have_value("22:00")
    expect(window.locator(".schedule-end")).to_have_value("06:00")
    window.locator('input[value="5"]').uncheck()  # not on Saturday nights
    page.locator("#variation-reason").fill("Комендантский час по решению суда")
    page.locator("#zone-save").click()
    expect(page.locator('#versions li[data-status="active"]')).to_have_attribute(
        "data-version", "2"
    )

    # An approved night shift: an exception needs its reason before it is saved.
    page.locator("#case-map .leaflet-interactive").first.click()
    page.locator("#exception-add").click()
    exception = page.locator("#exceptions li")
    expect(exception).to_have_count(1)
    expect(exception.locator(".exception-reason")).to_be_focused()
    page.locator("#variation-reason").fill("Одобрена ночная смена")
    page.locator("#zone-save").click()
    expect(page.locator("#variation-error")).to_contain_text("причина")
    exception.locator(".exception-reason").fill("Ночная смена на хлебозаводе")
    exception.locator(".exception-approved_by").fill("Инспектор пробации")
    page.locator("#zone-save").click()
    expect(page.locator('#versions li[data-status="active"]')).to_have_attribute(
        "data-version", "3"
    )

    terms = page.request.get(f"/api/v1/orders/{order_id}/terms").json()
    assert terms["kind"] == "court" and terms["min_distance_m"] == 300
    (zone,) = terms["zones"]
    assert (zone["name"], zone["kind"]) == ("Дом ответчика", "inclusion")
    assert zone["schedule"] == [{"days": [0, 1, 2, 3, 4, 6], "start": 1320, "end": 360}]
    (approved,) = zone["exceptions"]
    assert approved["reason"] == "Ночная смена на хлебозаводе"
    assert approved["approved_by"] == "Инспектор пробации"
    assert centre.pipeline.order_terms(order_id) is not None


def register_respondent(page: Page) -> str:
    page.locator("#nav-persons").click()
    page.get_by_label("ФИО").fill("Бакыт Ответчиков")
    page.locator("#person-role").select_option("respondent")
    page.locator("#person-district").select_option("KG-GB-OKT")
    page.locator("#phones li").first.get_by_label("Номер").fill("+996 700 999 000")
    page.locator("#person-save").click()
    row = page.locator("#persons tr", has_text="Бакыт Ответчиков")
    expect(row).to_have_count(1)
    person_id = row.get_attribute("data-person-id")
    assert person_id
    return person_id


def test_the_devices_page_asks_for_a_reason_to_unassign_and_assign(
    supervisor_console: Page, centre: Centre
) -> None:
    page = supervisor_console
    case = phone_case(centre)
    page.locator("#nav-devices").click()
    row = page.locator("#devices tr", has_text=case.respondent_device)
    row.get_by_role("button", name="Снять").click()
    page.locator("#unassign-submit").click()
    expect(page.locator("#unassign-error")).to_have_text("Укажите причину.")
    page.locator("#unassign-reason").fill("Браслет на проверке")
    page.locator("#unassign-submit").click()
    expect(row.get_by_role("button", name="Назначить")).to_be_visible()
    row.get_by_role("button", name="Назначить").click()
    page.locator("#assign-submit").click()
    expect(page.locator("#assign-error")).to_have_text("Укажите причину.")
    page.locator("#assign-reason").fill("Проверка окончена")
    page.locator("#assign-submit").click()
    expect(row.get_by_role("button", name="Снять")).to_be_visible()
