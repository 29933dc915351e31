"""`kill -9` between the outbox write and the send, and between the send and
its mark: the protected person's SMS reaches her phone exactly once after the
restart (a real `korgoo serve` process, the SMS gateway run here; the first on
SQLite and on PostgreSQL). So does the police duty officer's message about a
panic offered to his unit.

The server (slow_commit_server.py) hangs where a test asks it to and is killed
there. Unsent rows are sent again after the restart with the same client
reference, which the gateway, like local providers, sends once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from korgoo.domain.terms import DeviceKind
from korgoo.store import notifications as outbox
from korgoo.store.alerts import list_alerts, transitions
from korgoo.store.devices import enrol_device
from korgoo.store.registry import PersonRole, Phone, create_person
from korgoo.store.schema import notifications
from korgoo.store.users import create_user, set_contacts

from .helpers_devices import (
    HOME,
    WATCH_SOS,
    home_zone,
    order_terms,
    watch_lk,
    watch_position,
)
from .sms_gateway import Gateway, sms_gateway
from .test_crash_between_commits import db_url
from .test_crash_recovery import AWAIT_S, Server, send, watch_id

__all__ = ["db_url"]  # a SQLite file, then a PostgreSQL database
PHONE = "+996700111222"
HANG_S = 20.0


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with sms_gateway() as gw:
        for name, value in gw.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("KORGOO_NOTIFY_EVERY_S", "0.2")
        yield gw


def setup(server: Server) -> str:
    ident = watch_id(31)
    terms = order_terms("order-sms", [(ident, DeviceKind.BRACELET)], zones=(home_zone(),))
    server.enrol([terms])
    with server.db.begin() as conn:
        person = terms.protected[0].person_id
        create_person(conn, role=PersonRole.PROTECTED, display_name="P", district="KG-GB-OKT",
                      person_id=person, phones=[Phone(PHONE, "mobile")])  # fmt: skip
        outbox.set_preferences(conn, person, language="ky")
    return ident


async def breach(server: Server, ident: str) -> str:
    """The respondent's bracelet reports from her home: a zone alert and its SMS."""
    t0 = float(int(time.time()) - 60)
    for t in (t0, t0 + 20, t0 + 40):  # still there for 40 s: a dwell, not a leap
        acked: list[int] = []
        await send(server.watch_port, [watch_position(ident, t, *HOME) + watch_lk(ident)], acked)
        assert acked == [0]
    await server.until(lambda: len(list_alerts(server.db, rule="zone.exclusion")) == 1)
    (alert,) = list_alerts(server.db, rule="zone.exclusion")
    return alert.alert_key


def rows(server: Server) -> list[tuple[str, str]]:
    with server.db.connect() as conn:
        query = sa.select(notifications.c.template, notifications.c.status)
        return [(t, s) for t, s in conn.execute(query)]


async def hung(marker: Path) -> str:
    async with asyncio.timeout(HANG_S):
        while not marker.exists() or not marker.read_text():
            await asyncio.sleep(0.05)
    return marker.read_text()


async def until_sent(server: Server) -> None:
    async with asyncio.timeout(AWAIT_S):
        while rows(server) != [("alert", "sent")]:
            await asyncio.sleep(0.05)


async def test_kill_between_outbox_write_and_send_sends_once_after_restart(
    tmp_path: Path, db_url: str, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(tmp_path, db_url)
    try:
        ident = setup(server)
        marker = tmp_path / "sending"
        monkeypatch.setenv("KORGOO_TEST_HANG_SEND", str(marker))
        await server.start()
        key = await breach(server, ident)
        notification = await hung(marker)
        server.kill()
        assert rows(server) == [("alert", "pending")]  # stored with the decision
        assert gateway.requests == []  # never sent

        monkeypatch.delenv("KORGOO_TEST_HANG_SEND")
        await server.start()
        await until_sent(server)
        server.stop()
        await server.start()  # a clean restart sends nothing again
        await asyncio.sleep(1.0)
        server.stop()

        (sms,) = gateway.handset
        assert len(gateway.requests) == 1
        assert sms["to"] == PHONE and sms["client_ref"] == notification
        statuses = [t.details["status"] for t in transitions(server.db, key)
                    if t.kind.value == "notification"]  # fmt: skip
        assert statuses == ["sent"]
    finally:
        server.stop()
        server.db.dispose()


async def test_kill_between_send_and_its_mark_resends_with_the_same_reference(
    tmp_path: Path, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(tmp_path)
    try:
        ident = setup(server)
        marker = tmp_path / "marking"
        monkeypatch.setenv("KORGOO_TEST_HANG_MARK", str(marker))
        await server.start()
        await breach(server, ident)
        assert await hung(marker) == "gw-1"  # the gateway took it; the row is not marked
        server.kill()
        assert rows(server) == [("alert", "pending")]
        assert len(gateway.handset) == 1

        monkeypatch.delenv("KORGOO_TEST_HANG_MARK")
        await server.start()
        await until_sent(server)
        server.stop()

        # Sent again with the same client reference; the gateway sent it once.
        assert len(gateway.requests) == 2
        assert gateway.requests[0]["client_ref"] == gateway.requests[1]["client_ref"]
        assert len(gateway.handset) == 1
        with server.db.connect() as conn:
            assert conn.scalar(sa.select(notifications.c.provider_ref)) == "gw-1"
    finally:
        server.stop()
        server.db.dispose()


async def test_kill_between_the_offer_and_its_message_texts_the_duty_officer_once(
    tmp_path: Path, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    duty = "+996700000101"
    server = Server(tmp_path)
    try:
        ident, hers = watch_id(41), watch_id(42)
        # Her panic watch (a device of her party): its SOS is a P1 panic.
        terms = order_terms(
            "order-sos", [(ident, DeviceKind.BRACELET)], [(hers, DeviceKind.BRACELET)]
        )
        server.enrol([terms])
        with server.db.begin() as conn:
            enrol_device(conn, hers, DeviceKind.BRACELET, protocol="watch")
            create_user(conn, username="duty-okt", display_name="duty", role="police_duty_officer",
                        password="x" * 16, districts=["KG-GB-OKT"], at=0.0)  # fmt: skip
            set_contacts(conn, "duty-okt", phone=duty, email=None)
        marker = tmp_path / "sending"
        monkeypatch.setenv("KORGOO_TEST_HANG_SEND", str(marker))
        await server.start()
        acked: list[int] = []
        sos = watch_position(hers, float(int(time.time()) - 30), *HOME, kind="AL", status=WATCH_SOS)
        await send(server.watch_port, [sos + watch_lk(hers)], acked)
        assert acked == [0]
        notification = await hung(marker)
        server.kill()
        (alert,) = list_alerts(server.db, rule="panic")
        assert (alert.priority.value, alert.police_unit) == ("P1", "police_duty")
        assert rows(server) == [("unit_offer", "pending")]  # stored with the offer
        assert gateway.requests == []

        monkeypatch.delenv("KORGOO_TEST_HANG_SEND")
        await server.start()
        async with asyncio.timeout(AWAIT_S):
            while rows(server) != [("unit_offer", "sent")]:
                await asyncio.sleep(0.05)
        server.stop()
        await server.start()  # a clean restart sends nothing again
        await asyncio.sleep(1.0)
        server.stop()

        (sms,) = gateway.handset
        assert len(gateway.requests) == 1
        assert sms["to"] == duty and sms["client_ref"] == notification
        assert "/police#" in sms["text"]
        statuses = [t.details["status"] for t in transitions(server.db, alert.alert_key)
                    if t.kind.value == "notification"]  # fmt: skip
        assert statuses == ["queued", "sent"]
    finally:
        server.stop()
        server.db.dispose()
