"""The durability benchmark: `kill -9` a real `korgoo serve` under load, again and again.

For each backend (SQLite, PostgreSQL) a fresh database gets orders, each with an
exclusion zone around the protected person's home and one respondent device:
OsmAnd trackers (HTTP), Watch bracelets (TCP) and respondent apps (MQTT through
Mosquitto). The devices send without pause while `korgoo serve` runs in its own
process; after a random 1.5-4 s of load the process is killed with SIGKILL and
started again, `cycles` times. Every device behaves as a real one: a message is
resent (same message id, same device time) until it is acknowledged. After the
last cycle the server runs until every message is acknowledged and is stopped
cleanly.

Some devices breach: a third of them enter their zone for 10 s in every 75 s of
device time, breacher watches send a strap-removed alarm and breacher apps an SOS
now and then, so zone, strap and panic alerts are raised and cleared throughout.

Counted at the end:
- acked: messages a device saw acknowledged; stored: messages found in the event
  log; lost: acknowledged but not stored; duplicated: stored more than once.
- alerts lost / doubled: the database's alerts against those a clean replay of the
  stored event log through a fresh engine and alert book raises (an alert raised
  twice, or one the replay does not raise, is doubled); decisions missing / extra:
  the stored decisions against the replay's, as a multiset of decision bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import msgspec
import orjson
import psycopg
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from korgoo.alerts.book import AlertBook
from korgoo.alerts.model import TransitionKind
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import OrderChange, Tick
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo.engine import DEFAULT_PARAMS, Engine
from korgoo.store.db import migrate, open_engine
from korgoo.store.devices import enrol_device
from korgoo.store.events import EventLog
from korgoo.store.schema import alert_transitions, alerts, decisions
from korgoo_lab.services import Broker, free_port, private_mosquitto, private_postgres

BACKENDS = ("sqlite", "postgresql")
CENTRE = (42.8746, 74.5698)  # Bishkek
M_PER_DEG_LAT = 111_045.0
ZONE_RADIUS_M = 200.0
BREACH_PERIOD_S = 75  # device time: inside the zone for BREACH_INSIDE_S of every period
BREACH_INSIDE_S = 10
ALARM_EVERY = 25  # a breacher's every 25th message is an alarm (strap / SOS)
APP_SECRET = "durability-secret"
WATCH_STRAP_REMOVED = 1 << 20  # status-word bit, see gateways/watch.py
MQTT_PREFIX = "korgoo/devices"  # where `korgoo serve` listens
LOAD_S = (1.5, 4.0)  # load before each kill, uniform
START_TIMEOUT_S = 120.0
MIN_INTERVAL_S = 0.05  # OsmAnd and MQTT: up to 20 messages a second per device
REPLY_TIMEOUT_S = 3.0
DRAIN_TIMEOUT_S = 180.0

Advance = Callable[[str], None]


@dataclass
class Sent:
    """One message of a device, resent until acknowledged."""

    t: float  # device time: the message's identity on every protocol
    lat: float
    lon: float
    alarm: bool
    acked: bool = False
    sends: int = 0


@dataclass
class Device:
    ident: str
    protocol: str
    home: tuple[float, float]
    breacher: bool
    messages: list[Sent] = field(default_factory=list)

    def pending(self, now: float, new: bool) -> Sent | None:
        """The oldest unacknowledged message, else (when `new`) a new one."""
        for m in self.messages:
            if not m.acked:
                return m
        if not new:
            return None
        last = self.messages[-1].t if self.messages else 0.0
        # Watch times have whole seconds; the others millisecond resolution.
        step = 1.0 if self.protocol == "watch" else 0.001
        t = max(last + step, float(int(now)) if self.protocol == "watch" else round(now, 3))
        inside = self.breacher and int(t) % BREACH_PERIOD_S < BREACH_INSIDE_S
        lat, lon = self.home if inside else (self.home[0] + 1000 / M_PER_DEG_LAT, self.home[1])
        alarm = self.breacher and len(self.messages) % ALARM_EVERY == ALARM_EVERY - 1
        sent = Sent(round(t, 3), lat, lon, alarm and self.protocol != "osmand")
        self.messages.append(sent)
        return sent

    def due(self, now: float) -> bool:
        """A watch reports at most once a second (its times have whole seconds), the
        others at most every MIN_INTERVAL_S."""
        if not self.messages:
            return True
        if self.protocol == "watch":
            return int(now) > self.messages[-1].t
        return now >= self.messages[-1].t + MIN_INTERVAL_S


@dataclass
class BackendResult:
    backend: str
    cycles: int
    messages: int
    acked: int
    stored: int
    lost: int
    duplicated: int
    unacked: int
    resends: int
    alerts: int
    alerts_replayed: int
    alerts_lost: int
    alerts_doubled: int
    decisions: int
    decisions_missing: int
    decisions_extra: int
    by_protocol: dict[str, dict[str, int]]
    seconds: float


@dataclass
class DurabilityResult:
    results: list[BackendResult]
    devices: dict[str, int]
    seed: int


# --- the database ------------------------------------------------------------------


def _home(i: int) -> tuple[float, float]:
    row, col = divmod(i, 20)
    return CENTRE[0] + (row - 10) * 0.01, CENTRE[1] + (col - 10) * 0.013


def _terms(i: int, device: Device, at: float) -> OrderTerms:
    lat, lon = device.home
    kind = DeviceKind.RESPONDENT_APP if device.protocol == "mqtt" else DeviceKind.BRACELET
    zone = ZoneSpec(
        zone_id="home",
        name="Home of the protected person",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [lon, lat]},
        radius_m=ZONE_RADIUS_M,
    )
    return OrderTerms(
        order_id=f"durability-{i}",
        version=1,
        kind=OrderKind.COURT,
        status=OrderStatus.ACTIVE,
        starts_at=at - 3600,
        ends_at=at + 30 * 86400,
        district="KG-GB-OKT",
        respondent=Party(f"durability-{i}-respondent", "respondent", ((device.ident, kind),)),
        protected=(Party(f"durability-{i}-protected", "protected", ()),),
        zones=(zone,),
    )


def make_devices(counts: dict[str, int], run: str) -> list[Device]:
    devices: list[Device] = []
    for protocol, n in counts.items():
        for k in range(n):
            i = len(devices)
            if protocol == "watch":
                ident = f"48{i:08d}"
            elif protocol == "osmand":
                ident = f"87{i:013d}"
            else:
                ident = f"durability-{run}-app-{i}"
            devices.append(Device(ident, protocol, _home(i), breacher=k % 3 == 0))
    return devices


def prepare(url: str, devices: list[Device]) -> None:
    migrate(url)
    db = open_engine(url)
    at = time.time()
    with db.begin() as conn:
        for d in devices:
            if d.protocol == "mqtt":
                enrol_device(conn, d.ident, DeviceKind.RESPONDENT_APP, secret=APP_SECRET, at=at)
            else:
                enrol_device(conn, d.ident, DeviceKind.BRACELET, protocol=d.protocol, at=at)
        EventLog().append(
            conn,
            [
                (OrderChange(at=at, terms=_terms(i, d, at)), f"order:durability-{i}:1")
                for i, d in enumerate(devices)
            ],
        )
    db.dispose()


@contextlib.contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new, uniquely named database on the server of `admin_url`, dropped at the end."""
    name = f"korgoo_durability_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- the server ----------------------------------------------------------------------


class Server:
    """`korgoo serve` in its own process, started and killed again and again."""

    def __init__(self, url: str, broker: Broker, work: Path) -> None:
        self.url = url
        self.work = work
        self.http_port = free_port()
        self.osmand_port = free_port()
        self.watch_port = free_port()
        self.env = os.environ | {
            "KORGOO_DATABASE_URL": url,
            "KORGOO_HTTP_PORT": str(self.http_port),
            "KORGOO_OSMAND_PORT": str(self.osmand_port),
            "KORGOO_WATCH_PORT": str(self.watch_port),
            "KORGOO_GT06_ENABLED": "false",
            "KORGOO_MQTT_HOST": broker.host,
            "KORGOO_MQTT_PORT": str(broker.port),
            "KORGOO_BATCH_WAIT_MS": "2",
            "KORGOO_AUDIT_KEY_FILE": str(work / "audit.key"),
            "KORGOO_AUDIT_SIGNING_KEY_FILE": str(work / "audit-signing.key"),
            "KORGOO_AUDIT_CHECKPOINTS_FILE": str(work / "audit-checkpoints.jsonl"),
            "KORGOO_CHECKINS_DIR": str(work / "checkins"),
        }
        self.log = work / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from korgoo.cli import app; app()", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"korgoo serve exited:\n{self.log.read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    health = await client.get(f"http://127.0.0.1:{self.http_port}/health")
                    if health.json().get("ready"):
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"korgoo serve was not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


# --- the devices ----------------------------------------------------------------------


class Load:
    """Every device's loop: send the oldest unacknowledged message (or a new one)
    and wait for its acknowledgement; on any failure wait a little and send it again."""

    def __init__(self, devices: list[Device], server: Server, broker: Broker) -> None:
        self.devices = devices
        self.server = server
        self.broker = broker
        self.new = True  # False: only resend what is not acknowledged yet
        self.running = True
        self.results: dict[tuple[str, str], asyncio.Future[bool]] = {}

    async def run(self) -> None:
        async with (
            httpx.AsyncClient(timeout=REPLY_TIMEOUT_S) as http,
            aiomqtt.Client(
                self.broker.host,
                self.broker.port,
                identifier=f"korgoo-durability-{uuid.uuid4().hex}",
            ) as mqtt,
        ):
            await mqtt.subscribe(f"{MQTT_PREFIX}/+/results", qos=1)
            listener = asyncio.create_task(self._results(mqtt))
            loops = []
            for d in self.devices:
                if d.protocol == "osmand":
                    loops.append(self._osmand(d, http))
                elif d.protocol == "watch":
                    loops.append(self._watch(d))
                else:
                    loops.append(self._mqtt(d, mqtt))
            await asyncio.gather(*loops)
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    def done(self) -> bool:
        return all(m.acked for d in self.devices for m in d.messages)

    async def _next(self, d: Device) -> Sent | None:
        while self.running:
            now = time.time()
            m = d.pending(now, self.new and d.due(now))
            if m is not None:
                m.sends += 1
                return m
            if not self.new:
                return None
            await asyncio.sleep(0.02)
        return None

    async def _osmand(self, d: Device, http: httpx.AsyncClient) -> None:
        while (m := await self._next(d)) is not None:
            query = (
                f"id={d.ident}&timestamp={round(m.t * 1000)}&lat={m.lat:.6f}&lon={m.lon:.6f}"
                "&accuracy=10&speed=0&bearing=0&batt=80"
            )
            try:
                reply = await http.post(f"http://127.0.0.1:{self.server.osmand_port}/?{query}")
                m.acked = reply.status_code == 200
            except httpx.HTTPError:
                pass
            if not m.acked:
                await asyncio.sleep(0.1)

    async def _watch(self, d: Device) -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while (m := await self._next(d)) is not None:
            try:
                if connection is None:
                    connection = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", self.server.watch_port),
                        REPLY_TIMEOUT_S,
                    )
                reader, writer = connection
                # A UD has no reply: the LK behind it is answered once both are
                # committed. An AL is answered itself.
                if m.alarm:
                    writer.write(_watch_report(d.ident, m, "AL", WATCH_STRAP_REMOVED))
                else:
                    writer.write(_watch_report(d.ident, m, "UD", 0) + _watch_lk(d.ident))
                await asyncio.wait_for(reader.readuntil(b"]"), REPLY_TIMEOUT_S)
                m.acked = True
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                if connection is not None:
                    connection[1].close()
                connection = None
                await asyncio.sleep(0.1)
        if connection is not None:
            connection[1].close()

    async def _mqtt(self, d: Device, mqtt: aiomqtt.Client) -> None:
        loop = asyncio.get_running_loop()
        while (m := await self._next(d)) is not None:
            mid = _mqtt_id(m)
            body: dict[str, Any] = {"secret": APP_SECRET, "id": mid, "t": m.t}
            if m.alarm:
                body |= {"type": "signal", "kind": "sos"}
            else:
                body |= {"type": "fix", "lat": m.lat, "lon": m.lon, "acc": 10.0}
            future: asyncio.Future[bool] = loop.create_future()
            self.results[(d.ident, mid)] = future
            try:
                await mqtt.publish(f"{MQTT_PREFIX}/{d.ident}/events", orjson.dumps(body), qos=1)
                m.acked = await asyncio.wait_for(future, REPLY_TIMEOUT_S)
            except (aiomqtt.MqttError, TimeoutError):
                pass
            finally:
                self.results.pop((d.ident, mid), None)

    async def _results(self, mqtt: aiomqtt.Client) -> None:
        async for message in mqtt.messages:
            ident = str(message.topic).split("/")[-2]
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            for result in msgspec.json.decode(payload)["results"]:
                future = self.results.get((ident, str(result["id"])))
                if future is not None and not future.done():
                    future.set_result(result["status"] in ("accepted", "duplicate"))


def _mqtt_id(m: Sent) -> str:
    return f"{m.t:.3f}"


def _watch_frame(ident: str, content: str) -> bytes:
    return f"[3G*{ident}*{len(content):04X}*{content}]".encode()


def _watch_report(ident: str, m: Sent, kind: str, status: int) -> bytes:
    tm = time.gmtime(m.t)
    fields = (
        time.strftime("%d%m%y", tm),
        time.strftime("%H%M%S", tm),
        "A",
        f"{m.lat:.6f}",
        "N",
        f"{m.lon:.6f}",
        "E",
        "0.00",
        "0.0",
        "0.0",
        "9",
        "100",
        "80",
        "0",
        "0",
        f"{status:08X}",
    )
    return _watch_frame(ident, f"{kind}," + ",".join(fields))


def _watch_lk(ident: str) -> bytes:
    return _watch_frame(ident, "LK,0,0,80")


# --- the count ---------------------------------------------------------------------------


def _stored_events(db: sa.Engine) -> Counter[tuple[str, float, str]]:
    query = sa.text("SELECT device_id, t, kind FROM events WHERE device_id IS NOT NULL")
    with db.connect() as conn:
        return Counter((d, round(t, 3), k) for d, t, k in conn.execute(query))


def _replay(db: sa.Engine, until: float) -> tuple[Counter[bytes], set[str]]:
    """The decisions and the alerts a fresh engine and alert book make of the log.

    Live, the clock fires timers between events; the replay has no ticks, so it
    ends with one at `until` (the last stored decision's time)."""
    engine = Engine(DEFAULT_PARAMS)
    book = AlertBook()
    bodies: Counter[bytes] = Counter()
    raised: set[str] = set()

    def apply(made: list[Decision]) -> None:
        for d in made:
            if d.kind is DecisionKind.REJECTED:
                continue
            bodies[msgspec.json.encode(d)] += 1
            raised.update(t.alert_key for t in book.apply(d) if t.kind is TransitionKind.RAISED)

    last = 0.0
    for _, event in EventLog().iter_events(db):
        apply(engine.apply(event))
        last = max(last, event.at)
    apply(engine.apply(Tick(at=max(until, last))))
    return bodies, raised


def count(
    backend: str, url: str, devices: list[Device], cycles: int, seconds: float
) -> BackendResult:
    db = open_engine(url)
    try:
        stored = _stored_events(db)
        by_protocol: dict[str, dict[str, int]] = {}
        for d in devices:
            row = by_protocol.setdefault(
                d.protocol, dict.fromkeys(("messages", "acked", "stored", "lost", "duplicated"), 0)
            )
            for m in d.messages:
                kind = "signal" if m.alarm and d.protocol == "mqtt" else "fix"
                rows = stored[(d.ident, m.t, kind)]
                row["messages"] += 1
                row["acked"] += m.acked
                row["stored"] += rows > 0
                row["lost"] += m.acked and rows == 0
                row["duplicated"] += rows > 1
        with db.connect() as conn:
            stored_bodies = Counter(conn.execute(sa.select(decisions.c.body)).scalars())
            until = conn.scalar(sa.select(sa.func.max(decisions.c.at))) or 0.0
            db_alerts = set(conn.execute(sa.select(alerts.c.alert_key)).scalars())
            raised_rows = conn.execute(
                sa.select(alert_transitions.c.alert_key, sa.func.count())
                .where(alert_transitions.c.kind == TransitionKind.RAISED.value)
                .group_by(alert_transitions.c.alert_key)
            ).all()
    finally:
        db.dispose()
    db = open_engine(url)
    try:
        replayed_bodies, replayed_alerts = _replay(db, until)
    finally:
        db.dispose()
    doubled = len(db_alerts - replayed_alerts) + sum(n - 1 for _, n in raised_rows if n > 1)
    total = {
        k: sum(row[k] for row in by_protocol.values()) for k in next(iter(by_protocol.values()))
    }
    return BackendResult(
        backend=backend,
        cycles=cycles,
        messages=total["messages"],
        acked=total["acked"],
        stored=total["stored"],
        lost=total["lost"],
        duplicated=total["duplicated"],
        unacked=total["messages"] - total["acked"],
        resends=sum(m.sends - 1 for d in devices for m in d.messages),
        alerts=len(db_alerts),
        alerts_replayed=len(replayed_alerts),
        alerts_lost=len(replayed_alerts - db_alerts),
        alerts_doubled=doubled,
        decisions=sum(stored_bodies.values()),
        decisions_missing=sum((replayed_bodies - stored_bodies).values()),
        decisions_extra=sum((stored_bodies - replayed_bodies).values()),
        by_protocol=by_protocol,
        seconds=seconds,
    )


# --- the run ---------------------------------------------------------------------------------


async def _cycles(
    server: Server, load: Load, cycles: int, rng: random.Random, advance: Advance
) -> None:
    runner = asyncio.create_task(load.run())
    try:
        for k in range(cycles):
            await server.start()
            await asyncio.sleep(rng.uniform(*LOAD_S))
            server.kill()
            advance(f"kill {k + 1}/{cycles}")
        load.new = False  # as after a storm: the devices resend what is not acknowledged
        await server.start()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while not load.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # the last batches evaluated and their alerts stored
        load.running = False
        await runner
    finally:
        load.running = False
        server.stop()
        if not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner


def run_backend(
    backend: str,
    url: str,
    broker: Broker,
    counts: dict[str, int],
    cycles: int,
    seed: int,
    advance: Advance,
) -> BackendResult:
    run = hashlib.sha256(f"{uuid.uuid4()}".encode()).hexdigest()[:8]
    devices = make_devices(counts, run)
    prepare(url, devices)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="korgoo-durability-") as tmp:
        server = Server(url, broker, Path(tmp))
        load = Load(devices, server, broker)
        asyncio.run(_cycles(server, load, cycles, random.Random(seed), advance))
        asyncio.run(_forget_gateway_session(broker))
    return count(backend, url, devices, cycles, time.monotonic() - started)


async def _forget_gateway_session(broker: Broker) -> None:
    """Drop the gateway's persistent session: nothing is queued for it after the run."""
    async with aiomqtt.Client(
        broker.host, broker.port, identifier="korgoo-gateway", clean_session=True
    ):
        pass


@contextlib.contextmanager
def _broker(given: str | None) -> Iterator[Broker]:
    if given:
        host, _, port = given.rpartition(":")
        yield Broker(host or "127.0.0.1", int(port))
        return
    with private_mosquitto() as broker:
        yield broker


@contextlib.contextmanager
def _postgres(admin_url: str | None) -> Iterator[str]:
    if admin_url:
        with scratch_postgres(admin_url) as url:
            yield url
        return
    with private_postgres() as admin, scratch_postgres(admin) as url:
        yield url


def run_durability_bench(
    backends: tuple[str, ...] = BACKENDS,
    *,
    cycles: int = 20,
    database_url: str | None = None,
    mqtt: str | None = None,
    watch_devices: int = 20,
    osmand_devices: int = 20,
    mqtt_devices: int = 4,
    seed: int = 1,
    advance: Advance = lambda _: None,
) -> DurabilityResult:
    counts = {"osmand": osmand_devices, "watch": watch_devices, "mqtt": mqtt_devices}
    results: list[BackendResult] = []
    with _broker(mqtt) as broker:
        for backend in backends:
            if backend == "sqlite":
                with tempfile.TemporaryDirectory(prefix="korgoo-durability-db-") as tmp:
                    url = f"sqlite:///{Path(tmp) / 'korgoo.db'}"
                    results.append(run_backend(backend, url, broker, counts, cycles, seed, advance))
            else:
                with _postgres(database_url) as url:
                    results.append(run_backend(backend, url, broker, counts, cycles, seed, advance))
    return DurabilityResult(results, counts, seed)


# --- output ----------------------------------------------------------------------------------


def to_json(result: DurabilityResult) -> bytes:
    return orjson.dumps(asdict(result))


def render(result: DurabilityResult, console: Console) -> None:
    devices = ", ".join(f"{n} {p}" for p, n in result.devices.items())
    table = Table(title=f"kill -9 under load ({devices} devices, seed {result.seed})")
    columns = (
        "Backend", "Cycles", "Acked", "Stored", "Lost", "Duplicated", "Resends",
        "Alerts", "Alerts lost", "Alerts doubled", "Decisions missing / extra", "Seconds",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "Backend" else "right")
    for r in result.results:

        def bad(n: int) -> str:
            return f"[red]{n}[/red]" if n else "[green]0[/green]"

        table.add_row(
            r.backend,
            str(r.cycles),
            f"{r.acked:,} / {r.messages:,}",
            f"{r.stored:,}",
            bad(r.lost),
            bad(r.duplicated),
            f"{r.resends:,}",
            f"{r.alerts} ({r.alerts_replayed} by replay)",
            bad(r.alerts_lost),
            bad(r.alerts_doubled),
            f"{bad(r.decisions_missing)} / {bad(r.decisions_extra)}",
            f"{r.seconds:.0f}",
        )
    console.print(table)
    console.print(
        "Lost: acknowledged but not in the event log. Duplicated: stored more than once. "
        "Alerts and decisions are compared with a clean replay of the stored log."
    )
