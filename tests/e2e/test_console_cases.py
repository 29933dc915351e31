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
