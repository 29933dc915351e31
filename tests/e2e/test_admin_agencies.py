"""Agencies and the rollout switch on the administration page, in a real
browser: the administrator creates a prosecutor by choosing the Sverdlovsky
prosecutor's office (only the roles that fit it can be chosen, its district is
ticked), and switches monitoring on in a region with a reason."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .centre import Centre
from .test_admin import add_admin, sign_in_as_admin


def test_the_administrator_places_a_prosecutor_and_rolls_out_a_region(
    page: Page, centre: Centre
) -> None:
    add_admin(centre)
    sign_in_as_admin(page)
    page.locator("#user-new").click()
    page.locator("#user-username").fill("pr-sve")
    page.locator("#user-display").fill("Прокурор Свердловского района")
    page.locator("#user-agency").select_option("prosecutor-gb-sve")
    # Only the prosecutor's role fits a prosecutor's office; its district is ticked.
    expect(page.locator("#user-role")).to_have_value("prosecutor")
    expect(page.locator('#user-role option[value="operator"]')).to_be_disabled()
    expect(page.locator("#district-KG-GB-SVE")).to_be_checked()
    expect(page.locator("#district-KG-GB-OKT")).not_to_be_checked()
    page.locator("#user-reason").fill("назначен приказом прокурора города")
    page.locator("#user-submit").click()
    page.locator("#secret-dialog").get_by_role("button").click()
    row = page.locator('#users tr[data-user="pr-sve"]')
    expect(row).to_contain_text("Прокурор")
    expect(row).to_contain_text("Прокуратура Свердловского района города Бишкек")
    expect(row).to_contain_text("Свердловский")

    # The demo rolled out Bishkek's districts; Chuy region is switched on here.
    expect(page.locator('#jurisdictions tr[data-jurisdiction="KG-GB-OKT"]')).to_contain_text(
        "Мониторинг введён"
    )
    chuy = page.locator('#jurisdictions tr[data-jurisdiction="KG-C"]')
    expect(chuy).to_contain_text("Не введён")  # noqa: RUF001
    chuy.locator('[data-action="switch_on"]').click()
    page.locator("#action-reason").fill("приказ министра: внедрение в Чуйской области")
    page.locator("#action-submit").click()
    expect(page.locator("#action-dialog")).not_to_be_visible()
    expect(chuy).to_contain_text("Мониторинг введён")
    expect(chuy.locator('[data-action="switch_off"]')).to_be_visible()
