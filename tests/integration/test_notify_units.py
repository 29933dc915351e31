"""Messages to the units an alert is offered to, with real parts: the SMTP
server (aiosmtpd) and the HTTP SMS gateway of test_notify, a real Pipeline on
a SQLite file, console users with their contacts.

A P1 breach in one district texts that district's police duty officer (in his
language, with the rule, priority, district and a link to the police view,
never a position) and nobody of another district; the alert's timeline shows
the message queued, sent and delivered; a gateway that refuses the number
passes it to e-mail; a unit nobody of which can be written to gets a line
saying so; the duty unit not accepting in time tells the supervisor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from korgoo.alerts.model import Alert
from korgoo.apps.service import dispatcher
from korgoo.domain.decisions import Priority
from korgoo.domain.events import Fix
from korgoo.domain.ingest import Message
from korgoo.domain.terms import DeviceKind
from korgoo.notify.model import Channel
from korgoo.notify.outbox import enqueue_units
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store import notifications as outbox
from korgoo.store.alerts import transitions
from korgoo.store.db import open_engine
from korgoo.store.devices import assign_device, enrol_device
from korgoo.store.notifications import OutboxRow
from korgoo.store.orders import terms_at
from korgoo.store.users import create_user, set_contacts
from tests.sqlite_files import copy_database

from ..unit.engine.conftest import HOME, T0, east_of
from .api_world import Clock
from .sms_gateway import Gateway
from .test_notify import OKT, Centre, SmtpServer, gateway, seed, smtp

__all__ = ["gateway", "smtp"]
LEN = "KG-GB-LEN"
DUTY_OKT = "+996700000101"
DUTY_LEN = "+996700000202"
INSPECTOR_OKT = "+996700000303"
SUPERVISOR_OKT = "+996700000404"


VICTIM_POS = east_of(HOME, 3000)  # the protected person, away from home (in Oktyabrsky)


@pytest.fixture
async def centre(
    tmp_path: Path, gateway: Gateway, smtp: SmtpServer, migrated_template: Path
) -> AsyncIterator[Centre]:
    """test_notify's centre, with a phone reporting the protected person's
    position (a device of her order, not the victim app: her SMS still goes)."""
    url = f"sqlite:///{tmp_path / 'korgoo.db'}"
    copy_database(migrated_template, tmp_path / "korgoo.db")
    seed(url, language="ru")
    db = open_engine(url)
    with db.begin() as conn:
        enrol_device(conn, "her-phone", DeviceKind.VICTIM_APP, at=T0 - 7200)
        assign_device(conn, "her-phone", "prot", actor="setup", at=T0 - 7200)
    db.dispose()
    settings = Settings(
        batch_wait_ms=1.0,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from="centre@korgoo.kg",
        notify_attempts_per_channel=2,
        notify_backoff_s=10.0,
        **gateway.settings(),  # type: ignore[arg-type]
    )
    clock = Clock(T0)
    pipeline = Pipeline(open_engine(url), settings, clock=clock)
    await pipeline.start(tick_every=None)
    terms = terms_at(pipeline.db, "order", T0)
    assert terms is not None
    await pipeline.order_changed(terms)
    sender = dispatcher(pipeline.db, settings, clock)
    assert sender is not None
    try:
        yield Centre(pipeline, clock, settings, sender)
    finally:
        await sender.stop()
        await pipeline.stop()


async def fix(c: Centre, device: str, t: float, pos: tuple[float, float]) -> None:
    c.clock.t = max(c.clock.t, t)
    f = Fix(device, t, t, pos[0], pos[1], 10.0, speed=1.5, battery=80.0, source="test")
    await c.pipeline.submit([Message(event=f, msg_key=f"{device}:{t}")])


def user(
    db: sa.Engine,
    name: str,
    role: str,
    districts: list[str],
    *,
    phone: str | None = None,
    email: str | None = None,
    language: str = "ru",
) -> None:
    with db.begin() as conn:
        create_user(conn, username=name, display_name=name, role=role, password="x" * 16,
                    districts=districts, language=language, at=0.0)  # fmt: skip
        set_contacts(conn, name, phone=phone, email=email)


def police(db: sa.Engine, key: str) -> list[OutboxRow]:
    return [r for r in outbox.of_alert(db, key) if r.recipient != "protected"]


def lines(db: sa.Engine, key: str, notification: str) -> list[tuple[str, str]]:
    """(status, channel) of one message's lines on the alert's timeline."""
    return [
        (str(t.details["status"]), str(t.details["channel"]))
        for t in transitions(db, key)
        if t.kind.value == "notification" and t.details.get("notification") == notification
    ]


async def offered(c: Centre) -> Alert:
    """The respondent comes within 100 m of her, in Oktyabrsky: a P1 breach."""
    near = east_of(VICTIM_POS, -100)
    t = T0 + 10
    for _ in range(5):
        await fix(c, "her-phone", t, VICTIM_POS)
        await fix(c, "bracelet", t + 1, near)
        t += 11
    await c.pipeline.act(lambda book: [])
    (alert,) = [a for a in c.pipeline.open_alerts() if a.rule == "proximity.breach"]
    assert alert is not None and alert.priority is Priority.P1
    assert (alert.police_unit, alert.police_district) == ("police_duty", OKT)
    return alert


async def test_a_p1_breach_texts_its_districts_duty_officer_only_with_receipts(
    centre: Centre, gateway: Gateway
) -> None:
    db = centre.db
    user(db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT, language="en")
    user(db, "duty-len", "police_duty_officer", [LEN], phone=DUTY_LEN)
    user(db, "inspector-okt", "police_district_inspector", [OKT], phone=INSPECTOR_OKT)
    alert = await offered(centre)
    key = alert.alert_key

    (row,) = police(db, key)  # written with the offer, not yet sent
    assert (row.person_id, row.recipient, row.template, row.status) == (
        "duty-okt", "police_duty", "unit_offer", "pending",
    )  # fmt: skip
    assert lines(db, key, row.id) == [("queued", "sms")]

    await centre.dispatcher.run_once()
    texts = {m["to"]: m["text"] for m in gateway.handset}
    assert DUTY_LEN not in texts and INSPECTOR_OKT not in texts
    sms = texts[DUTY_OKT]
    assert sms.startswith("Korgoo: P1 alert for your unit: Too close to the protected person")
    assert "Oktyabrsky District" in sms
    assert f"{centre.settings.public_url}/police#" in sms
    for leak in (f"{VICTIM_POS[0]:.3f}", f"{VICTIM_POS[1]:.3f}", " m ", "km"):
        assert leak not in sms  # never a position
    (request,) = [r for r in gateway.requests if r["to"] == DUTY_OKT]
    assert request["client_ref"] == row.id

    sent = outbox.get(db, row.id)
    assert sent is not None and sent.status == "sent"
    centre.clock.t += 5  # the handset reports a few seconds later
    async with centre.client() as c:
        r = await c.post(
            "/api/v1/notify/sms-receipts",
            params={"token": "receipt-token"},
            data={"id": sent.provider_ref, "status": "DELIVRD"},
        )
        assert r.json() == {"recorded": True, "status": "delivered"}
    assert lines(db, key, row.id) == [("queued", "sms"), ("sent", "sms"), ("delivered", "sms")]
    (line,) = [t for t in transitions(db, key) if t.details.get("status") == "delivered"
               and t.details.get("notification") == row.id]  # fmt: skip
    assert line.details["recipient"] == "police_duty" and line.details["to"] == "***0101"

    # Nothing is sent twice: the next rounds find nothing due.
    assert await centre.dispatcher.run_once() == 0
    assert len([m for m in gateway.handset if m["to"] == DUTY_OKT]) == 1


async def test_a_gateway_refusing_the_number_passes_the_offer_to_email(
    centre: Centre, gateway: Gateway, smtp: SmtpServer
) -> None:
    mail = "duty.okt@police.kg"
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT, email=mail,
         language="ky")  # fmt: skip
    gateway.refusing = True
    key = (await offered(centre)).alert_key
    (row,) = police(centre.db, key)
    await centre.dispatcher.run_once()  # refused for good: on to e-mail at once
    await centre.dispatcher.run_once()
    (message,) = [m for m in smtp.mailbox.messages if m["To"] == mail]
    assert message["Subject"] == "Korgoo: бөлүмүңүз үчүн P1 кабары"
    assert "Октябрь району" in message.get_content()
    assert message["Message-ID"] == f"<{row.id}@korgoo.kg>"
    assert lines(centre.db, key, row.id) == [
        ("queued", "sms"),
        ("retrying", "sms"),
        ("sent", "email"),
        ("delivered", "email"),
    ]


async def test_a_unit_without_a_contact_address_gets_a_line_saying_so(centre: Centre) -> None:
    user(centre.db, "duty-okt", "police_duty_officer", [OKT])  # no phone, no e-mail
    user(centre.db, "duty-len", "police_duty_officer", [LEN], phone=DUTY_LEN)
    alert = await offered(centre)  # the police view still has it (its unit and district)
    assert police(centre.db, alert.alert_key) == []
    (line,) = [
        t for t in transitions(centre.db, alert.alert_key)
        if t.details.get("status") == "unreachable"
    ]  # fmt: skip
    assert (line.details["recipient"], line.details["district"]) == ("police_duty", OKT)
    assert line.at == alert.police_offered_at


async def test_the_duty_unit_not_accepting_in_time_texts_the_districts_supervisor(
    centre: Centre, gateway: Gateway
) -> None:
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT)
    user(centre.db, "supervisor-okt", "supervisor", [OKT], phone=SUPERVISOR_OKT, language="en")
    user(centre.db, "supervisor-len", "supervisor", [LEN], phone="+996700000505")
    user(centre.db, "duty-per", "police_duty_officer", ["KG-GB-PER"], phone="+996700000606")
    alert = await offered(centre)
    assert alert.police_offered_at is not None
    # Not accepted in time: the next district's duty unit first...
    centre.clock.t = alert.police_offered_at + centre.settings.police_accept_s + 1
    await centre.pipeline.advance()
    (passed,) = [r for r in police(centre.db, alert.alert_key) if r.person_id == "duty-per"]
    assert passed.template == "unit_failover"
    assert not [r for r in police(centre.db, alert.alert_key) if r.recipient == "supervisor"]
    # ...then, one more timeout later, the supervisor of the district it began in.
    centre.clock.t = alert.police_offered_at + 2 * centre.settings.police_accept_s + 1
    await centre.pipeline.advance()
    failover = [r for r in police(centre.db, alert.alert_key) if r.recipient == "supervisor"]
    (row,) = failover
    assert (row.person_id, row.template) == ("supervisor-okt", "unit_failover")
    await centre.dispatcher.run_once()
    (sms,) = [m for m in gateway.handset if m["to"] == SUPERVISOR_OKT]
    assert sms["text"].startswith("Korgoo: the police duty unit did not accept a P1 alert")
    assert f"/alerts/{alert.alert_key.replace(':', '%3A')}" in sms["text"]
    assert not [m for m in gateway.handset if m["to"] == "+996700000505"]


async def test_an_offer_written_again_is_stored_and_shown_once(centre: Centre) -> None:
    """A replay after a restart applies the same offer again: same keys, one row."""
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT)
    alert = await offered(centre)
    offer = [
        t for t in transitions(centre.db, alert.alert_key)
        if t.kind.value == "escalated" and t.actor == "policy"
    ]  # fmt: skip
    before = len(transitions(centre.db, alert.alert_key))
    with centre.db.begin() as conn:
        again = enqueue_units(conn, offer, {alert.alert_key: alert}, {Channel.SMS}, ["sms"], "")
    assert [n.id for n in again] == [r.id for r in police(centre.db, alert.alert_key)]
    assert len(police(centre.db, alert.alert_key)) == 1
    assert len(transitions(centre.db, alert.alert_key)) == before
