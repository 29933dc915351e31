"""The administrator's and the operator's search screens in a real browser: an
administrator lands on the administration page and unlocks a user locked out
by failed sign-ins; an operator filters the alert queue by priority."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from korgoo.api.auth import add_user
from korgoo.store.db import open_engine
from korgoo.store.users import record_login_failure

from .centre import OPERATOR, Centre
from .conftest import sign_in
from .test_console import east_of, enter_home_zone, phone_case, reports, row_of

ADMIN, ADMIN_PASSWORD = "admin", "admin-password-e2e"


def add_admin(centre: Centre) -> None:
    db = open_engine(f"sqlite:///{centre.db_path}")
    add_user(db, ADMIN, role="administrator", password=ADMIN_PASSWORD, now=time.time())
    db.dispose()


def lock_out(centre: Centre, username: str, failures: int) -> None:
    """Failed sign-ins of `username` from the browser's address, as the login counts them."""
    db = open_engine(f"sqlite:///{centre.db_path}")
    now = time.time()
    for _ in range(failures):
        record_login_failure(db, username, "127.0.0.1", at=now, forget_before=now - 86400)
    db.dispose()


def test_an_administrator_lands_on_administration_and_unlocks_a_user(
    page: Page, centre: Centre
) -> None:
    add_admin(centre)
    lock_out(centre, OPERATOR, 9)  # a wait of 64 s after the ninth failure
    # The locked operator is told to wait or to ask an administrator.
    sign_in(page, centre)
    expect(page.locator("#login-error")).to_contain_text("администратор")

    page.context.clear_cookies()
    sign_in_as_admin(page)
    expect(page).to_have_url(f"{centre.url}/admin")
    expect(page.locator("#nav-queue")).to_have_count(0)
    expect(page.locator("#live-status")).to_have_count(0)
    row = page.locator('#users tr[data-user="operator"]')
    expect(row.locator(".user-state")).to_contain_text("Ожидание после неудачных входов")

    row.locator('[data-action="unlock"]').click()
    page.locator("#action-reason").fill("позвонил на пульт, личность проверена")
    page.locator("#action-submit").click()
    expect(page.locator("#action-dialog")).not_to_be_visible()
    expect(row.locator(".user-state")).to_have_text("Может войти")
    expect(row.locator('[data-action="unlock"]')).to_have_count(0)

    # The unlock is on the audit log with who did it and why.
    page.goto("/audit?subject=user:operator")
    entry = page.locator("#audit tbody tr", has_text="user.unlocked")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("admin")
    expect(entry).to_contain_text("личность проверена")

    # And the operator signs in at once.
    page.context.clear_cookies()
    sign_in(page, centre)
    expect(page.locator("#alert-queue")).to_be_visible()


def test_an_operator_filters_the_queue_by_priority(console: Page, centre: Centre) -> None:
    page = console
    zone_case = phone_case(centre)
    enter_home_zone(centre, zone_case)
    zone_row = row_of(page, zone_case)
    expect(zone_row).to_have_attribute("data-priority", "P2")

    page.locator("#f-priority").select_option("P1")
    expect(zone_row).to_have_count(0)
    expect(page.locator("#queue-empty")).to_be_visible()
    assert "priority=P1" in page.url

    # A P1 arriving live shows under the filter; a P2 would not.
    sos_case = next(c for c in centre.cases() if c.victim_device and c != zone_case)
    assert sos_case.victim_device is not None
    sos = reports([east_of(sos_case.home, 2500)], [2])[0] | {"alarm": "sos"}
    centre.phone_reports(sos_case.victim_device, [sos])
    expect(row_of(page, sos_case)).to_have_attribute("data-priority", "P1")
    expect(page.locator(".alert-row")).to_have_count(1)

    # The filter survives a reload (it is in the address); clearing shows both.
    page.reload()
    expect(page.locator("#f-priority")).to_have_value("P1")
    expect(page.locator(".alert-row")).to_have_count(1)
    page.locator("#f-clear").click()
    expect(page.locator(".alert-row")).to_have_count(2)
    expect(zone_row).to_have_count(1)


def sign_in_as_admin(page: Page) -> None:
    page.goto("/login")
    page.locator("#username").fill(ADMIN)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#users")).to_be_visible()


def test_an_administrator_creates_an_operator_and_hands_over_the_secrets(
    page: Page, centre: Centre
) -> None:
    add_admin(centre)
    sign_in_as_admin(page)
    page.locator("#user-new").click()
    page.locator("#user-username").fill("night-op")
    page.locator("#user-display").fill("Ночная смена")
    page.locator("#user-role").select_option("operator")
    page.locator("#district-KG-GB-OKT").check()
    page.locator("#user-reason").fill("новая ночная смена")
    page.locator("#user-submit").click()
    secrets = page.locator("#secret-dialog")
    expect(secrets).to_be_visible()
    expect(page.locator("#secret-password")).not_to_be_empty()
    expect(page.locator("#secret-totp")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    expect(page.locator("#secret-qr")).to_have_attribute("src", re.compile(r"^data:image/svg"))
    secret = page.locator("#secret-totp").inner_text()
    password = page.locator("#secret-password").inner_text()
    secrets.get_by_role("button").click()
    row = page.locator('#users tr[data-user="night-op"]')
    expect(row).to_contain_text("Оператор")
    expect(row).to_contain_text("Октябрьский")

    # The new operator signs in with what was handed over, and lands on the queue.
    page.context.clear_cookies()
    page.goto("/login")
    page.locator("#username").fill("night-op")
    page.locator("#password").fill(password)
    page.locator("#totp").fill(pyotp.TOTP(secret).now())
    page.locator("#login-submit").click()
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(page.locator("#nav-admin")).to_have_count(0)
