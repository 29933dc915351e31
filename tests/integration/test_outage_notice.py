"""The outage notice through the real store and API: a gateway down past its
limit starts one outage; each protected person of a live order gets one SMS
from the outbox (however many orders protect her, however often it is
checked), and one 'restored' when it ends; the texts say nothing about the
respondent; the console and the police units of the affected districts see it,
and their duty officers are told by SMS through the same outbox."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from korgoo.apps.service import dispatcher
from korgoo.domain.outage import BROKER_DOWN
from korgoo.gateways.mqtt import run_mqtt
from korgoo.notify.messages import LANGUAGES, render
from korgoo.service.outage import OutageWatch
from korgoo.settings import Settings
from korgoo.store.db import open_engine
from korgoo.store.schema import notifications, outages
from korgoo.store.users import set_contacts
from korgoo_lab.services import private_mosquitto

from ..unit.engine.conftest import T0
from .api_world import LEN, OKT, World, iso, world_fixture
from .sms_gateway import sms_gateway

__all__ = ["world_fixture"]


def sent(w: World) -> list[tuple[str, str]]:
    with w.pipeline.db.connect() as conn:
        rows = conn.execute(
            sa.select(notifications.c.person_id, notifications.c.template).order_by(
                notifications.c.template, notifications.c.person_id
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_one_notice_per_person_per_outage_and_one_restored(w: World) -> None:
    w.pipeline.settings.sms_url = "http://127.0.0.1:9/send"  # SMS on (never reached)
    sup = await w.login("supervisor")
    for pid in ("prot-okt", "prot-len"):
        phones = {"phones": [{"number": "+996 700 000 001", "label": "mobile"}]}
        assert (await sup.patch(f"/api/v1/persons/{pid}", json=phones)).status_code == 200
    # A second order protecting her: she is still told once.
    second = {
        "number": "OKT-2",
        "kind": "court",
        "issuing_authority": "court",
        "legal_basis": "Law No. 63",
        "district": OKT,
        "respondent_id": "resp-okt",
        "protected_ids": ["prot-okt"],
        "starts_at": iso(T0),
    }
    assert (await sup.post("/api/v1/orders", json=second)).status_code == 201
    watch: OutageWatch = w.app.state.outage  # type: ignore[attr-defined]
    watch.health.set("mqtt", "running")

    w.clock.t = T0 + 10
    watch.health.set("mqtt", "connecting")
    w.clock.t = T0 + 10 + w.pipeline.settings.outage_gateway_down_s - 1
    assert watch.check() is None and sent(w) == []
    assert (await sup.get("/api/v1/outage")).json()["active"] is False

    w.clock.t = T0 + 10 + w.pipeline.settings.outage_gateway_down_s
    assert watch.check() == "started"
    interrupted = [("prot-len", "monitoring_interrupted"), ("prot-okt", "monitoring_interrupted")]
    assert sent(w) == interrupted
    for t in (1, 60, 600):  # still down: no flood
        w.clock.t += t
        assert watch.check() is None
    assert sent(w) == interrupted

    # The console and the units of affected districts see it, each his own.
    centre = (await sup.get("/api/v1/outage")).json()
    assert centre["active"] and centre["causes"] == ["gateway:mqtt"]
    assert centre["districts"] == sorted([OKT, LEN])
    okt = (await (await w.login("police-okt")).get("/api/v1/outage")).json()
    assert okt["active"] and okt["districts"] == [OKT]

    w.clock.t += 30
    watch.health.set("mqtt", "running")
    assert watch.check() == "ended"
    assert watch.check() is None
    assert sent(w) == [
        *interrupted,
        ("prot-len", "monitoring_restored"),
        ("prot-okt", "monitoring_restored"),
    ]
    assert (await sup.get("/api/v1/outage")).json()["active"] is False
    with w.pipeline.db.connect() as conn:
        (row,) = conn.execute(sa.select(outages)).all()
    assert row.ended_at == w.clock.t and row.causes == ["gateway:mqtt"]
    # The respondents are never written to.
    assert {p for p, _ in sent(w)} == {"prot-okt", "prot-len"}


def test_the_texts_say_nothing_about_the_respondent() -> None:
    for template in (
        "monitoring_interrupted",
        "monitoring_restored",
        "unit_monitoring_interrupted",
        "unit_monitoring_restored",
    ):
        for lang in LANGUAGES:
            text = render(template, lang, centre="C", police="P")
            body = f"{text.subject} {text.body}".lower()
            assert not re.search(r"\bhe\b|respondent|near|metres|km|ответчик|он\b", body), body
            assert "C" in text.body  # the centre's number, for her questions


async def test_an_outage_the_store_cannot_record_is_recorded_when_it_can(
    w: World, tmp_path: Path
) -> None:
    w.pipeline.settings.sms_url = "http://127.0.0.1:9/send"
    sup = await w.login("supervisor")
    phones = {"phones": [{"number": "+996 700 000 001", "label": "mobile"}]}
    assert (await sup.patch("/api/v1/persons/prot-okt", json=phones)).status_code == 200
    watch: OutageWatch = w.app.state.outage  # type: ignore[attr-defined]
    store = watch.db
    # The store refuses: a database that cannot be opened stands for it.
    watch.db = open_engine(f"sqlite:///{tmp_path}")  # a directory: every query fails
    watch.health.pipeline._ready = False  # what the pipeline says when its commit fails
    w.clock.t = T0 + 1
    assert watch.check() == "started"
    # Known in memory (the banner shows it), not yet stored or sent.
    assert (await sup.get("/api/v1/outage")).json()["active"] is True
    assert sent(w) == []
    w.clock.t = T0 + 20
    assert watch.check() is None
    assert sent(w) == []
    # The store works again: the outage is recorded, she is told once, then restored.
    watch.db = store
    watch.health.pipeline._ready = True
    w.clock.t = T0 + 40
    assert watch.check() == "ended"
    assert sent(w) == [("prot-okt", "monitoring_interrupted"), ("prot-okt", "monitoring_restored")]
    with w.pipeline.db.connect() as conn:
        (row,) = conn.execute(sa.select(outages)).all()
    assert (row.started_at, row.ended_at, row.causes) == (T0 + 1, T0 + 40, ["store"])


async def test_the_duty_units_of_the_affected_districts_are_told_once_by_sms(w: World) -> None:
    """Through the outbox and the SMS gateway: each duty officer of a district
    with orders in force, once per outage, in his language; not the inspector."""
    with sms_gateway() as gateway:
        for name, value in gateway.settings().items():
            setattr(w.pipeline.settings, name, value)
        with w.pipeline.db.begin() as conn:
            set_contacts(conn, "police-okt", phone="+996700000101", email=None)
            set_contacts(conn, "police-len", phone="+996700000202", email=None)
            set_contacts(conn, "inspector-okt", phone="+996700000303", email=None)
        watch: OutageWatch = w.app.state.outage  # type: ignore[attr-defined]
        watch.health.set("mqtt", "running")
        w.clock.t = T0 + 10
        watch.health.set("mqtt", "connecting")
        w.clock.t += w.pipeline.settings.outage_gateway_down_s
        assert watch.check() == "started"
        w.clock.t += 60
        assert watch.check() is None  # still down: nobody is told again
        sender = dispatcher(w.pipeline.db, w.pipeline.settings, w.clock)
        assert sender is not None
        await sender.run_once()
        texts = {m["to"]: m["text"] for m in gateway.handset}
        interrupted = render(
            "unit_monitoring_interrupted",
            "ru",
            centre=w.pipeline.settings.centre_phone,
            police="",
            params={"district": OKT},
        )
        assert texts["+996700000101"] == interrupted.body
        assert "Октябрьский район" in interrupted.body
        assert "+996700000202" in texts and "+996700000303" not in texts

        w.clock.t += 30
        watch.health.set("mqtt", "running")
        assert watch.check() == "ended"
        await sender.run_once()
        assert await sender.run_once() == 0
        await sender.stop()
        to_okt = [m["text"] for m in gateway.handset if m["to"] == "+996700000101"]
        assert len(to_okt) == 2 and "снова работает" in to_okt[1]
        assert len(gateway.handset) == 4  # the protected persons have no phone here


async def until(holds: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not holds():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_apps_broker_unreachable_past_its_limit_is_an_outage(w: World) -> None:
    """With a real Mosquitto of its own: the MQTT gateway connected, the broker
    stopped; after `KORGOO_OUTAGE_BROKER_DOWN_S` (by the pipeline's clock) the
    outage starts and the protected person, the duty officer and the supervisor
    are written to; the broker started again on its port, it ends."""
    w.pipeline.settings.sms_url = "http://127.0.0.1:9/send"  # SMS on (never reached)
    sup = await w.login("supervisor")
    phones = {"phones": [{"number": "+996 700 000 001", "label": "mobile"}]}
    assert (await sup.patch("/api/v1/persons/prot-okt", json=phones)).status_code == 200
    with w.pipeline.db.begin() as conn:
        set_contacts(conn, "police-okt", phone="+996700000101", email=None)
        set_contacts(conn, "supervisor", phone="+996700000404", email=None)
    watch: OutageWatch = w.app.state.outage  # type: ignore[attr-defined]
    health, limit = watch.health, w.pipeline.settings.outage_broker_down_s
    state = functools.partial(health.gateways.get, "mqtt")
    stop = asyncio.Event()
    with contextlib.ExitStack() as first:
        broker = first.enter_context(private_mosquitto())
        gateway = asyncio.create_task(
            run_mqtt(
                w.pipeline,
                Settings(mqtt_host=broker.host, mqtt_port=broker.port),
                stop,
                client_id="korgoo-outage-test",
                retry_s=0.05,
                on_state=functools.partial(health.set, "mqtt"),
            )
        )
        try:
            await until(lambda: state() == "running")
            w.clock.t = T0 + 10
            first.close()  # the broker stops
            await until(lambda: state() == BROKER_DOWN)
            assert health.since["mqtt"] == T0 + 10

            w.clock.t = T0 + 10 + limit - 1
            assert watch.check() is None and sent(w) == []
            w.clock.t = T0 + 10 + limit
            assert watch.check() == "started"
            interrupted = [
                ("prot-okt", "monitoring_interrupted"),
                ("police-okt", "unit_monitoring_interrupted"),
                ("supervisor", "unit_monitoring_interrupted"),
            ]
            assert sorted(sent(w)) == sorted(interrupted)
            centre = (await sup.get("/api/v1/outage")).json()
            assert centre["active"] and centre["causes"] == ["broker"]

            # The broker is back where it was: the gateway reconnects, the outage ends.
            with private_mosquitto(port=broker.port):
                await until(lambda: state() == "running")
                w.clock.t += 30
                assert watch.check() == "ended"
                restored = [
                    (who, what.replace("interrupted", "restored")) for who, what in interrupted
                ]
                assert sorted(sent(w)) == sorted(interrupted + restored)
                assert (await sup.get("/api/v1/outage")).json()["active"] is False
        finally:
            stop.set()
            await gateway
    with w.pipeline.db.connect() as conn:
        (row,) = conn.execute(sa.select(outages)).all()
    assert (row.started_at, row.ended_at, row.causes) == (T0 + 10 + limit, w.clock.t, ["broker"])
