"""The escalation policy page in a browser, in Russian: the supervisor finds
it in the menu, sees the built-in policy, is refused a bad value with the
reason in Russian, edits the P1 proximity-breach row (failover to the next
district's duty unit before the supervisor) with a reason, and sees the new
version in force and in the history; an operator has no such menu entry."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .centre import Centre


def test_the_supervisor_edits_a_row_into_a_new_version(
    supervisor_console: Page, centre: Centre
) -> None:
    page = supervisor_console
    page.locator("#nav-escalation").click()
    expect(page.locator("h1")).to_have_text("Порядок эскалации")
    expect(page.locator("#esc-version")).to_have_text("default.2")
    expect(page.locator("#esc-versions")).to_contain_text("Версий ещё не сохранено")
    row = page.locator('#esc-rows tr[data-rule="proximity.breach"][data-priority="P1"]')
    expect(row).to_contain_text("Дежурная часть полиции")

    row.get_by_role("button").click()
    page.locator("#esc-sla").fill("0")
    page.locator("#esc-reason").fill("проверка")
    page.locator("#esc-save").click()
    expect(page.locator("#esc-error")).to_contain_text("должно быть положительным числом секунд")

    page.locator("#esc-sla").fill("45")
    page.locator("#esc-failover").fill("police_duty:next, supervisor")
    page.locator("#esc-channels").fill("supervisor: console push; police_duty: console sms")
    page.locator("#esc-reason").fill("приказ: сначала соседняя дежурная часть")
    page.locator("#esc-save").click()
    expect(page.locator("#esc-dialog")).not_to_be_visible()
    expect(page.locator("#esc-version")).to_have_text("policy.1")
    expect(row).to_contain_text("45")
    expect(row).to_contain_text("police_duty:next, supervisor")
    expect(row).to_contain_text("police_duty: console sms")
    history = page.locator("#esc-versions")
    expect(history).to_contain_text("policy.1")
    expect(history).to_contain_text("приказ: сначала соседняя дежурная часть")
    assert centre.pipeline.escalation_policy().version == "policy.1"
