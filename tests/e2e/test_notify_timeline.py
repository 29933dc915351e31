"""The operator sees on the alert's timeline, live, that the protected person,
who has no smartphone, was warned by SMS, and when it was delivered; and that
the police duty unit the alert was offered to was sent an SMS (a real browser,
a live centre, the SMS gateway run here)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from korgoo.api.auth import add_user
from korgoo.domain.terms import DeviceKind
from korgoo.store.db import open_engine
from korgoo.store.schema import persons
from korgoo.store.users import set_contacts
from korgoo.web.i18n import gettext

from ..integration.sms_gateway import Gateway, sms_gateway
from .centre import PASSWORD, Centre
from .test_console import enter_home_zone, row_of
from .test_police import offered_breach

PHONE = "+996555987654"
SMS_RU = gettext("ru", "SMS")  # the console is in Russian


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as gw:
        yield gw


@pytest.fixture
def centre(tmp_path: Path, gateway: Gateway) -> Iterator[Centre]:
    running = Centre(tmp_path / "korgoo.db", settings=gateway.settings() | {"notify_every_s": 0.2})
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_the_sms_to_her_and_its_delivery_are_on_the_alert_timeline(
    console: Page, centre: Centre, gateway: Gateway
) -> None:
    page = console
    case = next(
        c
        for c in centre.cases()
        if c.respondent_kind is DeviceKind.RESPONDENT_APP and c.victim_device is None
    )
    her = centre.population.terms(case.order_id).protected[0].person_id
    db = open_engine(f"sqlite:///{centre.db_path}")
    with db.begin() as conn:
        conn.execute(
            sa.update(persons)
            .where(persons.c.id == her)
            .values(phones=[{"number": PHONE, "label": "mobile"}])
        )
    db.dispose()

    enter_home_zone(centre, case)
    row_of(page, case).click()
    expect(page).to_have_url(re.compile(r"/alerts/"))
    line = page.locator('#timeline [data-kind="notification"]')
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Уведомление")
    expect(line).to_contain_text(f"{SMS_RU}, опасность → Защищаемое лицо (***7654): отправлено")
    (sms,) = gateway.handset
    assert sms["to"] == PHONE

    r = httpx.post(
        f"{centre.url}/api/v1/notify/sms-receipts",
        params={"token": "receipt-token"},
        data={"id": "gw-1", "status": "DELIVRD"},
    )
    assert r.status_code == 200, r.text
    expect(line).to_have_count(2)  # live: the page is not reloaded
    delivered = f"{SMS_RU}, опасность → Защищаемое лицо (***7654): доставлено"
    expect(line.nth(1)).to_contain_text(delivered)


def test_the_duty_units_sms_is_on_the_timeline_queued_then_sent(
    console: Page, centre: Centre, gateway: Gateway
) -> None:
    """Oktyabrsky's duty officer has a phone: his SMS is queued, then sent."""
    page = console
    db = centre.pipeline.db
    add_user(db, "police-okt", role="police_duty_officer", districts=["KG-GB-OKT"],
             display_name="police-okt", password=PASSWORD, now=time.time())  # fmt: skip
    with db.begin() as conn:
        set_contacts(conn, "police-okt", phone="+996700000101", email=None)
    alert = offered_breach(centre)
    page.goto(f"/alerts/{quote(alert.alert_key, safe='')}")
    unit = gettext("ru", "Police duty unit")
    lines = page.locator('#timeline [data-kind="notification"]', has_text=unit)
    expect(lines.first).to_contain_text(f"{SMS_RU}, {gettext('ru', 'alert offered')} → {unit}")
    expect(lines.first).to_contain_text(f"(***0101): {gettext('ru', 'queued')}")
    expect(lines).to_have_count(2)  # live: sent by the dispatcher
    expect(lines.nth(1)).to_contain_text(f"(***0101): {gettext('ru', 'sent')}")
    assert [m["to"] for m in gateway.handset if m["to"] == "+996700000101"] == ["+996700000101"]


def test_a_duty_unit_without_a_contact_address_is_said_so_on_the_timeline(
    console: Page, centre: Centre
) -> None:
    add_user(centre.pipeline.db, "police-okt", role="police_duty_officer",
             districts=["KG-GB-OKT"], display_name="police-okt", password=PASSWORD,
             now=time.time())  # fmt: skip
    alert = offered_breach(centre)
    console.goto(f"/alerts/{quote(alert.alert_key, safe='')}")
    line = console.locator(
        '#timeline [data-kind="notification"]', has_text=gettext("ru", "Police duty unit")
    )
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Октябрьский район")
    expect(line).to_contain_text(
        gettext("ru", "could not be notified by message: no contact address")
    )
