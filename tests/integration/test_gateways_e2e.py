"""Every gateway end to end through the real pipeline into a real SQLite file, over
real sockets: the device's acknowledgement comes back, the events are in the log,
and the engine raised the alerts they call for."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import msgspec
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from korgoo.api.routers.ingest import INGEST_PATH, native_router
from korgoo.domain.events import Event, Fix, Signal, SignalKind
from korgoo.domain.terms import DeviceKind
from korgoo.gateways.gt06 import serve_gt06
from korgoo.gateways.http import osmand_app
from korgoo.gateways.mqtt import run_mqtt
from korgoo.gateways.watch import serve_watch
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.alerts import list_alerts
from korgoo.store.db import open_engine
from korgoo.store.devices import enrol_device, list_unknown_devices
from korgoo.store.events import EventLog
from korgoo_lab.services import Broker
from tests.sqlite_files import copy_database

from .helpers_devices import (
    GT06_SOS,
    HOME,
    WATCH_SOS,
    WATCH_STRAP_REMOVED,
    gt06_ack_of,
    gt06_alarm,
    gt06_gps,
    gt06_login,
    north_of,
    order_terms,
    read_gt06_reply,
    read_watch_reply,
    watch_lk,
    watch_position,
)

WATCH_ID = "4700222306"
IMEI = "359710049512345"
PHONE = "861234567890123"
WATCH_15 = "358899052151499"  # a watch whose id looks like an IMEI
NATIVE_APP = "app-native-1"
MQTT_APP = "app-mqtt-1"
VICTIM_APP = "victim-app-1"
SECRET = "s3cret-e2e"
ORDER = "order-e2e"
SETTINGS = Settings(batch_wait_ms=1.0, idle_timeout_s=10.0)
AWAIT_S = 5.0


class Stack:
    """A migrated SQLite file with the test devices enrolled, one order naming them,
    and the real pipeline running on it."""

    def __init__(self, url: str, pipeline: Pipeline) -> None:
        self.url = url
        self.pipeline = pipeline
        self.db = open_engine(url)

    def events(self, device_id: str) -> list[Event]:
        return [
            e
            for _, e in EventLog().iter_events(self.db)
            if getattr(e, "device_id", None) == device_id
        ]

    def signal_kinds(self, device_id: str) -> list[SignalKind]:
        return [e.kind for e in self.events(device_id) if isinstance(e, Signal)]

    def fixes(self, device_id: str) -> list[Fix]:
        return [e for e in self.events(device_id) if isinstance(e, Fix)]

    def rules_raised(self) -> dict[str, list[str]]:
        """Alert rule -> subjects (the engine writes alerts after the ack: poll)."""
        out: dict[str, list[str]] = {}
        for alert in list_alerts(self.db, order_id=ORDER):
            out.setdefault(alert.rule, []).append(alert.subject)
        return out

    async def until_rule(self, rule: str) -> list[str]:
        async with asyncio.timeout(AWAIT_S):
            while rule not in (raised := self.rules_raised()):
                await asyncio.sleep(0.02)
        return raised[rule]


@pytest.fixture
async def stack(tmp_path: Path, migrated_template: Path) -> AsyncIterator[Stack]:
    url = f"sqlite:///{tmp_path / 'korgoo.db'}"
    copy_database(migrated_template, tmp_path / "korgoo.db")
    db = open_engine(url)
    with db.begin() as conn:
        enrol_device(conn, WATCH_ID, DeviceKind.BRACELET, protocol="watch")
        enrol_device(conn, WATCH_15, DeviceKind.BRACELET, protocol="watch")
        enrol_device(conn, IMEI, DeviceKind.BRACELET, protocol="gt06")
        # A phone running an OsmAnd client carries no secret: enrolled as a tracker.
        enrol_device(conn, PHONE, DeviceKind.BRACELET, protocol="osmand")
        enrol_device(conn, NATIVE_APP, DeviceKind.RESPONDENT_APP, secret=SECRET)
        enrol_device(conn, MQTT_APP, DeviceKind.RESPONDENT_APP, secret=SECRET)
        enrol_device(conn, VICTIM_APP, DeviceKind.VICTIM_APP, secret=SECRET)
    db.dispose()
    pipeline = Pipeline(open_engine(url), SETTINGS)
    await asyncio.wait_for(pipeline.start(tick_every=None), AWAIT_S)
    respondent = [
        (WATCH_ID, DeviceKind.BRACELET),
        (IMEI, DeviceKind.BRACELET),
        (PHONE, DeviceKind.BRACELET),
        (NATIVE_APP, DeviceKind.RESPONDENT_APP),
        (MQTT_APP, DeviceKind.RESPONDENT_APP),
    ]
    terms = order_terms(ORDER, respondent, [(VICTIM_APP, DeviceKind.VICTIM_APP)])
    await asyncio.wait_for(pipeline.order_changed(terms), AWAIT_S)
    yield Stack(url, pipeline)
    await asyncio.wait_for(pipeline.stop(), AWAIT_S)


@asynccontextmanager
async def tcp_server(
    stack: Stack, serve: Callable[..., Any]
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    server = await serve(stack.pipeline, "127.0.0.1", 0, settings=SETTINGS)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), AWAIT_S)
    try:
        yield reader, writer
    finally:
        writer.close()
        server.close()
        await asyncio.wait_for(server.wait_closed(), AWAIT_S)


@asynccontextmanager
async def http_server(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(AWAIT_S):
        while not server.started:
            await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=AWAIT_S) as client:
            yield client
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, AWAIT_S)


async def test_watch_positions_and_strap_sos_alarm(stack: Stack) -> None:
    now = time.time()
    far = north_of(HOME, 3000)
    async with tcp_server(stack, serve_watch) as (reader, writer):
        # UD has no reply in the Watch protocol; the LK after it on the same
        # connection is answered only once both are committed.
        writer.write(watch_position(WATCH_ID, now - 20, *far) + watch_lk(WATCH_ID))
        assert await read_watch_reply(reader) == f"[3G*{WATCH_ID}*0002*LK]".encode()
        assert [f.t for f in stack.fixes(WATCH_ID)] == [float(int(now - 20))]

        alarm = WATCH_STRAP_REMOVED | WATCH_SOS
        writer.write(watch_position(WATCH_ID, now - 5, *far, kind="AL", status=alarm))
        assert await read_watch_reply(reader) == f"[3G*{WATCH_ID}*0002*AL]".encode()

    fixes = stack.fixes(WATCH_ID)
    assert len(fixes) == 2
    assert fixes[1].lat == pytest.approx(far[0], abs=1e-6)
    assert fixes[1].source == "watch"
    kinds = stack.signal_kinds(WATCH_ID)
    assert kinds[0] is SignalKind.HEARTBEAT
    assert sorted(kinds[1:]) == sorted([SignalKind.STRAP_OPEN, SignalKind.SOS])
    assert await stack.until_rule("device.strap") == [WATCH_ID]
    await stack.until_rule("panic")


async def test_gt06_login_gps_and_alarm_acked_with_their_serials(stack: Stack) -> None:
    now = float(int(time.time()))  # GT06 times are whole seconds
    pos = north_of(HOME, 2500)
    async with tcp_server(stack, serve_gt06) as (reader, writer):
        writer.write(gt06_login(IMEI, serial=0x0101))
        assert gt06_ack_of(await read_gt06_reply(reader)) == (0x01, 0x0101)
        writer.write(gt06_gps(now - 30, *pos, serial=0x0102))
        assert gt06_ack_of(await read_gt06_reply(reader)) == (0x12, 0x0102)
        assert len(stack.fixes(IMEI)) == 1  # acknowledged, so already stored
        writer.write(gt06_alarm(now - 10, *pos, alarm=GT06_SOS, serial=0x0103))
        assert gt06_ack_of(await read_gt06_reply(reader)) == (0x16, 0x0103)

    fixes = stack.fixes(IMEI)
    assert [f.t for f in fixes] == [now - 30, now - 10]
    assert fixes[0].lat == pytest.approx(pos[0], abs=1e-5)
    assert fixes[0].lon == pytest.approx(pos[1], abs=1e-5)
    assert SignalKind.SOS in stack.signal_kinds(IMEI)
    assert await stack.until_rule("panic") == [f"{ORDER}-respondent"]


async def test_osmand_fix_then_sos_raises_panic(stack: Stack) -> None:
    now = time.time()
    lat, lon = north_of(HOME, 2000)
    query: dict[str, str | float] = {
        "id": PHONE,
        "lat": lat,
        "lon": lon,
        "accuracy": 12,
        "timestamp": int(now - 15),
    }
    async with http_server(osmand_app(stack.pipeline, SETTINGS)) as client:
        response = await client.post("/", params=query)
        assert response.status_code == 200
        assert len(stack.fixes(PHONE)) == 1
        assert "panic" not in stack.rules_raised()
        sos = query | {"timestamp": int(now - 5), "alarm": "sos"}
        response = await client.post("/", params=sos)
        assert response.status_code == 200
    fixes = stack.fixes(PHONE)
    assert len(fixes) == 2 and fixes[0].acc == 12.0 and fixes[0].source == "osmand"
    assert stack.signal_kinds(PHONE) == [SignalKind.SOS]
    assert await stack.until_rule("panic") == [f"{ORDER}-respondent"]


async def test_native_batch_answers_each_message(stack: Stack) -> None:
    now = time.time()
    fix = {"id": 1, "type": "fix", "t": now - 20, "lat": 42.9, "lon": 74.6, "acc": 8}
    batch = {
        "messages": [
            fix,
            fix,  # the same client id again: stored once
            fix | {"id": 2, "lat": 123.0},  # out of range: rejected, neighbours kept
            {"id": "s-3", "type": "signal", "t": now - 10, "kind": "strap_open"},
        ]
    }
    api = FastAPI()
    api.include_router(native_router(stack.pipeline))
    auth = {"Authorization": f"Device {NATIVE_APP}:{SECRET}"}
    async with http_server(api) as client:
        response = await client.post(INGEST_PATH, json=batch, headers=auth)
        assert response.status_code == 200
        statuses = [(r["id"], r["status"]) for r in response.json()["results"]]
        assert statuses == [(1, "accepted"), (1, "duplicate"), (2, "rejected"), ("s-3", "accepted")]
        again = await client.post(INGEST_PATH, json=batch, headers=auth)
        repeated = [r["status"] for r in again.json()["results"]]
        assert repeated == ["duplicate", "duplicate", "rejected", "duplicate"]
        wrong = {"Authorization": f"Device {NATIVE_APP}:guess"}
        assert (await client.post(INGEST_PATH, json=batch, headers=wrong)).status_code == 401
    assert len(stack.fixes(NATIVE_APP)) == 1
    assert stack.signal_kinds(NATIVE_APP) == [SignalKind.STRAP_OPEN]
    assert await stack.until_rule("device.strap") == [NATIVE_APP]


@pytest.fixture
def mqtt_ids() -> Iterator[tuple[str, str]]:
    run = uuid.uuid4().hex[:12]
    yield f"korgoo-e2e/{run}/devices", f"korgoo-e2e-gw-{run}"


@asynccontextmanager
async def mqtt_gateway(
    stack: Stack, broker: Broker, prefix: str, gateway_id: str
) -> AsyncIterator[None]:
    stop, subscribed = asyncio.Event(), asyncio.Event()
    settings = SETTINGS.model_copy(update={"mqtt_host": broker.host, "mqtt_port": broker.port})
    task = asyncio.create_task(
        run_mqtt(
            stack.pipeline,
            settings,
            stop,
            client_id=gateway_id,
            prefix=prefix,
            subscribed=subscribed,
        )
    )
    try:
        await asyncio.wait_for(subscribed.wait(), AWAIT_S)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, AWAIT_S)


@pytest.mark.services
async def test_mqtt_stored_before_results_and_acknowledged_once(
    stack: Stack, mqtt_broker: Broker, mqtt_ids: tuple[str, str]
) -> None:
    prefix, gateway_id = mqtt_ids
    now = time.time()
    payload = {
        "secret": SECRET,
        "messages": [
            {"id": "f-1", "type": "fix", "t": now - 20, "lat": 42.9, "lon": 74.6, "acc": 9},
            {"id": "s-1", "type": "signal", "t": now - 5, "kind": "sos"},
        ],
    }
    try:
        async with aiomqtt.Client(*mqtt_broker, identifier=f"dev-{uuid.uuid4().hex}") as dev:
            await dev.subscribe(f"{prefix}/{MQTT_APP}/results", qos=1)
            async with mqtt_gateway(stack, mqtt_broker, prefix, gateway_id):
                topic = f"{prefix}/{MQTT_APP}/events"
                await dev.publish(topic, msgspec.json.encode(payload), qos=1)
                async with asyncio.timeout(AWAIT_S):
                    result = await anext(dev.messages)
                # Results are published only after the commit: both are stored by now.
                assert len(stack.fixes(MQTT_APP)) == 1
                assert stack.signal_kinds(MQTT_APP) == [SignalKind.SOS]
            assert isinstance(result.payload, bytes)
            answers = msgspec.json.decode(result.payload)["results"]
            assert [(r["id"], r["status"]) for r in answers] == [
                ("f-1", "accepted"),
                ("s-1", "accepted"),
            ]
            # The gateway acknowledged (PUBACK) the publish: a new gateway on the same
            # persistent session gets no redelivery, so no second results message.
            async with mqtt_gateway(stack, mqtt_broker, prefix, gateway_id):
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.5):
                        await anext(dev.messages)
    finally:
        async with aiomqtt.Client(*mqtt_broker, identifier=gateway_id, clean_session=True):
            pass
    assert await stack.until_rule("panic") == [f"{ORDER}-respondent"]
    with stack.db.connect() as conn:
        stored = conn.scalar(
            sa.text("SELECT count(*) FROM events WHERE device_id = :d"), {"d": MQTT_APP}
        )
    assert stored == 2


# --- who may speak where ----------------------------------------------------------------------


async def test_an_app_id_on_osmand_is_refused_and_nothing_stored(stack: Stack) -> None:
    query = {"id": VICTIM_APP, "lat": 42.87, "lon": 74.59, "timestamp": int(time.time() - 5)}
    async with http_server(osmand_app(stack.pipeline, SETTINGS)) as client:
        response = await client.get("/", params=query)
    assert response.status_code == 400
    assert response.text == "app devices send over the native API with their secret"
    assert stack.events(VICTIM_APP) == []
    assert list_unknown_devices(stack.db) == []  # known, only not allowed there


async def test_a_watch_id_over_gt06_or_osmand_is_refused(stack: Stack) -> None:
    async with tcp_server(stack, serve_gt06) as (reader, writer):
        writer.write(gt06_login(WATCH_15, serial=1) + gt06_gps(time.time() - 5, *HOME, serial=2))
        assert await asyncio.wait_for(reader.read(), AWAIT_S) == b""  # closed, nothing acked
    query = {"id": WATCH_ID, "lat": 42.87, "lon": 74.59}
    async with http_server(osmand_app(stack.pipeline, SETTINGS)) as client:
        response = await client.get("/", params=query)
    assert response.status_code == 400
    assert response.text == "device is enrolled for another protocol"
    assert stack.events(WATCH_15) == stack.events(WATCH_ID) == []
    assert list_unknown_devices(stack.db) == []


async def test_an_app_on_native_needs_its_own_secret(stack: Stack) -> None:
    batch = {"messages": [{"id": 1, "type": "signal", "t": time.time() - 5, "kind": "sos"}]}
    api = FastAPI()
    api.include_router(native_router(stack.pipeline))
    async with http_server(api) as client:
        for headers in (
            {},
            {"Authorization": f"Device {VICTIM_APP}:guess"},
            {"Authorization": f"Device {VICTIM_APP}:"},
            {"Authorization": f"Device {WATCH_ID}:{SECRET}"},
        ):
            response = await client.post(INGEST_PATH, json=batch, headers=headers)
            assert response.status_code == 401
        assert stack.events(VICTIM_APP) == []
        auth = {"Authorization": f"Device {VICTIM_APP}:{SECRET}"}
        response = await client.post(INGEST_PATH, json=batch, headers=auth)
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": 1, "status": "accepted"}]
    assert stack.signal_kinds(VICTIM_APP) == [SignalKind.SOS]


@pytest.mark.services
async def test_an_app_on_mqtt_needs_its_own_secret(
    stack: Stack, mqtt_broker: Broker, mqtt_ids: tuple[str, str]
) -> None:
    prefix, gateway_id = mqtt_ids
    message = {"id": "s-1", "type": "signal", "t": time.time() - 5, "kind": "sos"}
    try:
        async with aiomqtt.Client(*mqtt_broker, identifier=f"dev-{uuid.uuid4().hex}") as dev:
            await dev.subscribe(f"{prefix}/{VICTIM_APP}/results", qos=1)
            async with mqtt_gateway(stack, mqtt_broker, prefix, gateway_id):
                topic = f"{prefix}/{VICTIM_APP}/events"
                answers = []
                for secret in ("", "guess", SECRET):
                    payload = msgspec.json.encode(message | {"secret": secret})
                    await dev.publish(topic, payload, qos=1)
                    async with asyncio.timeout(AWAIT_S):
                        result = await anext(dev.messages)
                    assert isinstance(result.payload, bytes)
                    (answer,) = msgspec.json.decode(result.payload)["results"]
                    answers.append((answer["status"], answer.get("reason", "")))
    finally:
        async with aiomqtt.Client(*mqtt_broker, identifier=gateway_id, clean_session=True):
            pass
    assert answers == [
        ("rejected", "unauthorized"),
        ("rejected", "unauthorized"),
        ("accepted", ""),
    ]
    assert stack.signal_kinds(VICTIM_APP) == [SignalKind.SOS]
