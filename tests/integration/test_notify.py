"""SMS and e-mail notifications with real parts: an SMTP server (aiosmtpd) and
an HTTP SMS gateway run here, a real Pipeline on a SQLite file.

A protected person without the victim app is warned by SMS in her language
when the respondent enters her home zone and told the all-clear when he
leaves; each notification, its delivery report or its failure is on the
alert's timeline; a gateway outage fails over to e-mail after retries with
back-off; the outbox row is stored with the decision or not at all.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from korgoo.apps.service import dispatcher
from korgoo.domain.events import Fix
from korgoo.domain.ingest import Message
from korgoo.domain.terms import DeviceKind, OrderKind
from korgoo.entry.app import create_app
from korgoo.notify.channels import Outgoing, Sent
from korgoo.notify.dispatcher import Dispatcher
from korgoo.notify.messages import render
from korgoo.notify.model import Channel
from korgoo.service.health import Health
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store import notifications as outbox
from korgoo.store.alerts import transitions
from korgoo.store.db import open_engine
from korgoo.store.devices import assign_device, enrol_device
from korgoo.store.orders import create_order, terms_at
from korgoo.store.registry import PersonRole, Phone, create_person
from korgoo.store.schema import decisions
from tests.net import free_port
from tests.sqlite_files import copy_database

from ..unit.engine.conftest import HOME, T0, east_of, home_zone
from .api_world import Clock, World, world_fixture
from .sms_gateway import Gateway, sms_gateway
from .test_apps_world import enrol

__all__ = ["world_fixture"]
OKT = "KG-GB-OKT"
PHONE = "+996555123456"
MAIL = "aigul@example.kg"
OUTSIDE = east_of(HOME, -500)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as gw:
        yield gw


@dataclass
class Centre:
    pipeline: Pipeline
    clock: Clock
    settings: Settings
    dispatcher: Dispatcher

    @property
    def db(self) -> sa.Engine:
        return self.pipeline.db

    async def fixes(self, t: float, *positions: tuple[float, float], step: float = 10.0) -> float:
        for lat, lon in positions:
            self.clock.t = max(self.clock.t, t)
            f = Fix("bracelet", t, t, lat, lon, 10.0, speed=1.5, battery=80.0, source="test")
            await self.pipeline.submit([Message(event=f, msg_key=f"bracelet:{t}")])
            t += step
        await self.pipeline.act(lambda book: [])
        return t

    async def zone_breach(self) -> str:
        t = await self.fixes(T0 + 10, OUTSIDE, OUTSIDE)
        await self.fixes(t + 10, HOME, HOME, HOME, HOME)
        (alert,) = [a for a in self.pipeline.open_alerts() if a.rule == "zone.exclusion"]
        return alert.alert_key

    def client(self) -> httpx.AsyncClient:
        app = create_app(self.pipeline, Health(self.pipeline), self.settings)
        transport = httpx.ASGITransport(app=app)
        return httpx.AsyncClient(transport=transport, base_url="http://korgoo.test")


def seed(url: str, *, language: str) -> None:
    db = open_engine(url)
    with db.begin() as conn:
        create_person(conn, role=PersonRole.RESPONDENT, display_name="R", district=OKT,
                      person_id="resp", at=T0)  # fmt: skip
        create_person(conn, role=PersonRole.PROTECTED, display_name="P", district=OKT,
                      person_id="prot", phones=[Phone(PHONE, "mobile")], at=T0)  # fmt: skip
        outbox.set_preferences(conn, "prot", language=language, email=MAIL)
        enrol_device(conn, "bracelet", DeviceKind.BRACELET, at=T0 - 7200)
        assign_device(conn, "bracelet", "resp", actor="setup", at=T0 - 7200)
        create_order(
            conn,
            order_id="order",
            number="OKT-7",
            kind=OrderKind.COURT,
            issuing_authority="court",
            legal_basis="Law No. 214",
            district=OKT,
            respondent_id="resp",
            protected_ids=["prot"],
            starts_at=T0 - 3600,
            ends_at=T0 + 30 * 86400,
            zones=(home_zone(),),
            actor="setup",
            at=T0 - 3600,
        )
    db.dispose()


@pytest.fixture
def language() -> str:
    return "ky"


@pytest.fixture
async def centre(
    tmp_path: Path, gateway: Gateway, smtp: SmtpServer, language: str, migrated_template: Path
) -> AsyncIterator[Centre]:
    url = f"sqlite:///{tmp_path / 'korgoo.db'}"
    copy_database(migrated_template, tmp_path / "korgoo.db")
    seed(url, language=language)
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


def notes(db: sa.Engine, alert_key: str) -> list[tuple[str, str]]:
    """(channel, status) of the notification lines on the alert's timeline."""
    return [
        (str(t.details["channel"]), str(t.details["status"]))
        for t in transitions(db, alert_key)
        if t.kind.value == "notification"
    ]


async def test_sms_warning_and_all_clear_reach_her_without_the_app_in_kyrgyz(
    centre: Centre, gateway: Gateway
) -> None:
    key = await centre.zone_breach()
    (pending,) = outbox.of_alert(centre.db, key)
    assert (pending.status, pending.template, pending.language) == ("pending", "alert", "ky")
    assert gateway.handset == []  # written, not yet sent

    assert await centre.dispatcher.run_once() == 1
    (sms,) = gateway.handset
    expected = render("alert", "ky", centre=centre.settings.centre_phone,
                      police=centre.settings.police_phone)  # fmt: skip
    assert sms["to"] == PHONE and sms["text"] == expected.body and sms["from"] == "KORGOO"
    assert sms["text"] != render("alert", "en", centre="", police="").body
    assert sms["client_ref"] == pending.id
    # Only what has happened: no place, no distance.
    for leak in ("42.86", "74.62", " m ", " м ", "km", "км"):
        assert leak not in sms["text"]
    sent = outbox.get(centre.db, pending.id)
    assert sent is not None and (sent.status, sent.provider_ref) == ("sent", "gw-1")
    assert notes(centre.db, key) == [("sms", "sent")]

    # The gateway's delivery report: on the notification and the alert's timeline.
    async with centre.client() as c:
        url = "/api/v1/notify/sms-receipts"
        r = await c.post(url, params={"token": "wrong"}, data={"id": "gw-1", "status": "DELIVRD"})
        assert r.status_code == 401
        centre.clock.t += 7
        r = await c.post(
            url, params={"token": "receipt-token"}, data={"id": "gw-1", "status": "DELIVRD"}
        )
        assert r.status_code == 200 and r.json() == {"recorded": True, "status": "delivered"}
        # The provider reports again, and then a late failure: the first report stands.
        for status in ("DELIVRD", "UNDELIV"):
            r = await c.get(url, params={"token": "receipt-token", "id": "gw-1", "status": status})
            assert r.json() == {"recorded": False, "status": "delivered"}
        r = await c.post(url, params={"token": "receipt-token"}, json={"id": "gw-9", "status": "2"})
        assert r.status_code == 404
    delivered = outbox.get(centre.db, pending.id)
    assert delivered is not None and delivered.delivered_at == centre.clock.t
    assert notes(centre.db, key) == [("sms", "sent"), ("sms", "delivered")]
    (line,) = [t for t in transitions(centre.db, key) if t.details.get("status") == "delivered"]
    assert line.details["recipient"] == "protected" and line.details["to"] == "***3456"

    # He leaves: the all-clear, in Kyrgyz too; nothing is sent twice.
    t = centre.clock.t + 10
    away = [east_of(HOME, -100 * i) for i in range(1, 6)]
    await centre.fixes(t, *away, *[OUTSIDE] * 10)
    assert await centre.dispatcher.run_once() == 1
    assert [m["text"] for m in gateway.handset][1] == render(
        "all_clear", "ky", centre=centre.settings.centre_phone, police=""
    ).body
    assert await centre.dispatcher.run_once() == 0
    assert len(gateway.handset) == 2


@pytest.mark.parametrize("language", ["ru"])
async def test_a_gateway_outage_retries_with_back_off_then_fails_over_to_email(
    centre: Centre, gateway: Gateway, smtp: SmtpServer
) -> None:
    gateway.failing = True
    key = await centre.zone_breach()
    (row,) = outbox.of_alert(centre.db, key)
    await centre.dispatcher.run_once()
    retry = outbox.get(centre.db, row.id)
    assert retry is not None and (retry.status, retry.attempts, retry.step) == ("pending", 1, 0)
    assert retry.next_at == centre.clock.t + 10.0  # the first back-off
    assert await centre.dispatcher.run_once() == 0  # not due yet

    centre.clock.t += 10.0
    await centre.dispatcher.run_once()  # the second failure: on to e-mail at once
    moved = outbox.get(centre.db, row.id)
    assert moved is not None and (moved.step, moved.attempts) == (1, 0)
    await centre.dispatcher.run_once()

    (mail,) = smtp.mailbox.messages
    text = render("alert", "ru", centre=centre.settings.centre_phone,
                  police=centre.settings.police_phone)  # fmt: skip
    assert mail["To"] == MAIL and mail["Subject"] == text.subject
    assert mail.get_content().strip() == text.body
    assert mail["Message-ID"] == f"<{row.id}@korgoo.kg>"
    done = outbox.get(centre.db, row.id)
    assert done is not None and (done.status, done.channel) == ("delivered", "email")
    assert len(gateway.requests) == 2 and gateway.handset == []
    assert notes(centre.db, key) == [
        ("sms", "retrying"),
        ("sms", "retrying"),
        ("email", "sent"),
        ("email", "delivered"),
    ]
    (moving,) = [t for t in transitions(centre.db, key) if t.details.get("next_channel")]
    assert moving.details["next_channel"] == "email"


async def test_every_channel_failing_is_a_failure_on_the_timeline(
    centre: Centre, gateway: Gateway, smtp: SmtpServer
) -> None:
    gateway.failing = True
    centre.settings.smtp_port = free_port()  # nothing listens there
    key = await centre.zone_breach()
    for _ in range(4):
        await centre.dispatcher.run_once()
        centre.clock.t += 60
    (row,) = outbox.of_alert(centre.db, key)
    assert row.status == "failed" and row.failed_at is not None
    assert notes(centre.db, key)[-1] == ("email", "failed")


async def test_no_decision_is_stored_without_its_notification(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox is written in the decisions' transaction: while it fails, the
    decisions are not stored either; once it works, both are."""
    add = outbox.add

    def refuse(conn: sa.Connection, rows: Any) -> int:
        raise sa.exc.OperationalError("INSERT INTO notifications", {}, Exception("disk full"))

    t = await centre.fixes(T0 + 10, OUTSIDE, OUTSIDE)
    monkeypatch.setattr(outbox, "add", refuse)
    centre.clock.t = t + 30
    inside = [
        Fix("bracelet", t + 10 * i, t + 10 * i, *HOME, 10.0, speed=1.5, battery=80.0)
        for i in range(4)
    ]
    await centre.pipeline.submit([Message(event=f, msg_key=f"in:{f.t}") for f in inside])
    await asyncio.sleep(0.2)

    def warned() -> int:
        with centre.db.connect() as conn:
            query = sa.select(sa.func.count()).where(decisions.c.kind == "warn")
            return int(conn.scalar(query) or 0)

    assert warned() == 0 and outbox.due(centre.db, centre.clock.t + 1) == []
    monkeypatch.setattr(outbox, "add", add)
    async with asyncio.timeout(5):
        while warned() == 0:
            await asyncio.sleep(0.05)
    (row,) = outbox.due(centre.db, centre.clock.t + 1)
    assert row.template == "alert"


async def test_a_supervisor_sets_her_language_and_email_within_his_districts(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(w.pipeline.settings, "smtp_host", "127.0.0.1")
    url = "/api/v1/persons/{}/notify"
    async with w.client() as c:
        await w.login("supervisor", c)
        r = await c.get(url.format("prot-len"))
        assert r.json() == {"person_id": "prot-len", "language": "ru", "email": None,
                            "phone": None, "channels": []}  # fmt: skip
        r = await c.put(url.format("prot-len"), json={"language": "ky", "email": "a@example.kg"})
        assert r.status_code == 200, r.text
        assert (r.json()["language"], r.json()["channels"]) == ("ky", ["email"])
        # With the victim app enrolled, the app warns her: nothing by SMS or e-mail.
        await enrol(w, "order-okt", "prot-okt", "victim_app")
        r = await c.put(url.format("prot-okt"), json={"language": "en", "email": "b@example.kg"})
        assert r.json()["channels"] == []
        r = await c.put(url.format("prot-len"), json={"language": "de"})
        assert r.status_code == 422
    async with w.client() as c:
        await w.login("supervisor-len", c)
        r = await c.put(url.format("prot-okt"), json={"language": "ru"})
        assert r.status_code == 404
    assert outbox.preferences(w.pipeline.db, "prot-len") == ("ky", "a@example.kg")
    assert outbox.preferences(w.pipeline.db, "prot-okt") == ("en", "b@example.kg")


async def test_an_adapter_crash_backs_off_that_notification_only(
    centre: Centre, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms = centre.dispatcher.adapters[Channel.SMS]

    async def crash(message: Outgoing) -> Sent:
        raise RuntimeError("bug in the adapter")

    monkeypatch.setattr(sms, "send", crash)
    key = await centre.zone_breach()
    assert await centre.dispatcher.run_once() == 1
    (row,) = outbox.of_alert(centre.db, key)
    assert (row.status, row.attempts, row.next_at) == ("pending", 1, centre.clock.t + 10.0)
    assert "bug in the adapter" in str(row.last_error)
