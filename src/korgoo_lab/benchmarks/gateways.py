"""The gateways benchmark: simulated devices over real loopback connections, end to
end into the store and the engine, with the server in its own process.

For each protocol a fresh copy of one prepared SQLite file (devices enrolled,
`orders` orders in the log, each with an exclusion zone, every device assigned
to one) is served by a separate process running the real `Pipeline` and that
protocol's real gateway; this process is the load generator (uvloop). The two
share the machine's cores as a deployment would share them with its devices'
network stack. Only 127.0.0.1 is used.

Load is closed loop: every device sends its next message as soon as the previous
one is acknowledged, so the figures are the server's capacity, and the latency is
latency at that capacity (queueing included), not at a light load.

- Watch TCP: each round is a UD report followed by an LK on the same connection.
  UD has no reply in the protocol; the LK's reply is written only after both are
  committed, so it acknowledges the fix. (Each round stores two events: the fix
  and the LK's heartbeat.)
- OsmAnd HTTP: keep-alive HTTP/1.1 connections, one `POST /?id=..&lat=..` in flight
  each; the acknowledgement is the 200.
- MQTT: QoS 1 publishes of one native fix each, through Mosquitto, from
  `mqtt_devices` app identities sharing one paho connection (one connection per
  app would cost the broker, not the gateway, more); the acknowledgement the
  device sees is the gateway's result message, published only after the commit
  (the broker's own PUBACK to the device says nothing about the store), so
  latency is measured to that result.

Figures per protocol: acknowledged fixes per second over the steady window (after
a warm-up), p50/p99 send-to-acknowledgement latency, connections, and the server
process's resident memory (VmRSS) at the end of the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import aiomqtt
import msgspec
import orjson
import paho.mqtt.client as paho
import uvicorn
import uvloop
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import REGISTRY
from rich.console import Console
from rich.table import Table

from korgoo.domain.events import OrderChange
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo.gateways.http import osmand_app
from korgoo.gateways.mqtt import run_mqtt
from korgoo.gateways.watch import serve_watch
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.db import migrate, open_engine
from korgoo.store.devices import enrol_device
from korgoo.store.events import EventLog

PROTOCOLS = ("watch", "osmand", "mqtt")
TARGET_FIXES_PER_S = {"watch": 20_000, "osmand": 5_000, "mqtt": 10_000}
CENTRE = (42.8746, 74.5698)  # Bishkek
M_PER_DEG_LAT = 111_045.0
MQTT_SECRET = "bench-secret"
WARMUP_S = 3.0
CONNECT_CONCURRENCY = 500
START_TIMEOUT_S = 60.0
NOFILE = 65536

Progress = Callable[[str], None]
COMMIT = "korgoo_ingest_commit_seconds"  # the pipeline's histograms read at the end
ACK = "korgoo_ingest_ack_seconds"


@dataclass(frozen=True)
class Load:
    """What the load generator runs against one server."""

    protocol: str
    seconds: float
    watch_connections: int = 5_000
    http_connections: int = 500
    mqtt_devices: int = 50
    mqtt_window: int = 10  # publishes in flight per MQTT device
    watch_reports: int = 1  # UD reports before each LK (a watch sends UDs unanswered)


@dataclass
class ProtocolResult:
    protocol: str
    fixes_per_s: float
    ack_p50_ms: float
    ack_p99_ms: float
    connections: int
    rss_mb: float
    events_per_fix: float  # events stored per acknowledged fix
    acked: int
    errors: int
    window_s: float
    target_fixes_per_s: int
    server_cpu_cores: float  # CPU seconds per second over the window
    generator_cpu_cores: float
    server: dict[str, float]  # the pipeline's own figures over the whole run


@dataclass
class BenchResult:
    results: list[ProtocolResult]
    orders: int
    batch_max: int
    batch_wait_ms: float
    server_uvloop: bool
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)


# --- identities and positions --------------------------------------------------------


def watch_id(i: int) -> str:
    return f"47{i:08d}"


def phone_id(i: int) -> str:
    return f"86{i:013d}"


def app_id(i: int) -> str:
    return f"bench-app-{i}"


def _home(order: int) -> tuple[float, float]:
    """Homes on a grid of about 10 x 10 km around the centre."""
    row, col = divmod(order, 50)
    return CENTRE[0] + (row - 25) * 0.002, CENTRE[1] + (col - 25) * 0.0027


def _reporting_position(order: int) -> tuple[float, float]:
    """Where an order's devices report from: 1 km north of the zone, outside it."""
    lat, lon = _home(order)
    return lat + 1000 / M_PER_DEG_LAT, lon


def _terms(order: int, respondent: tuple[tuple[str, DeviceKind], ...], at: float) -> OrderTerms:
    lat, lon = _home(order)
    zone = ZoneSpec(
        zone_id="home",
        name="Home of the protected person",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [lon, lat]},
        radius_m=300.0,
    )
    return OrderTerms(
        order_id=f"bench-{order}",
        version=1,
        kind=OrderKind.COURT,
        status=OrderStatus.ACTIVE,
        starts_at=at - 86400,
        ends_at=at + 30 * 86400,
        district="KG-GB-OKT",
        respondent=Party(f"bench-{order}-respondent", "respondent", respondent),
        protected=(Party(f"bench-{order}-protected", "protected", ()),),
        zones=(zone,),
    )


def prepare_database(path: Path, load: Load, orders: int) -> None:
    """Enrol every device of every protocol and put `orders` orders in the log,
    each device assigned to order `i % orders`."""
    url = f"sqlite:///{path}"
    migrate(url)
    db = open_engine(url)
    at = time.time()
    members: list[list[tuple[str, DeviceKind]]] = [[] for _ in range(orders)]
    with db.begin() as conn:
        for i in range(load.watch_connections):
            enrol_device(conn, watch_id(i), DeviceKind.BRACELET, protocol="watch", at=at)
            members[i % orders].append((watch_id(i), DeviceKind.BRACELET))
        for i in range(load.http_connections):
            # OsmAnd carries no secret: only identity devices (trackers) may use it.
            enrol_device(conn, phone_id(i), DeviceKind.BRACELET, protocol="osmand", at=at)
            members[i % orders].append((phone_id(i), DeviceKind.BRACELET))
        for i in range(load.mqtt_devices):
            enrol_device(conn, app_id(i), DeviceKind.RESPONDENT_APP, secret=MQTT_SECRET, at=at)
            members[i % orders].append((app_id(i), DeviceKind.RESPONDENT_APP))
        changes = [
            (OrderChange(at=at, terms=_terms(o, tuple(members[o]), at)), f"order:bench-{o}:1")
            for o in range(orders)
        ]
        EventLog().append(conn, changes)
    db.dispose()


# --- the server process ----------------------------------------------------------------


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class _Uvicorn(uvicorn.Server):
    """uvicorn inside our loop: the benchmark server owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(config: dict[str, Any]) -> None:
    settings = Settings(
        database_url=config["url"],
        batch_max=config["batch_max"],
        batch_wait_ms=config["batch_wait_ms"],
        idle_timeout_s=600.0,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    pipeline = Pipeline(open_engine(settings.database_url), settings)
    await pipeline.start()
    protocol, port = config["protocol"], config["port"]
    watch: asyncio.Server | None = None
    web: _Uvicorn | None = None
    task: asyncio.Task[None] | None = None
    if protocol == "watch":
        watch = await serve_watch(pipeline, "127.0.0.1", port, settings=settings)
    elif protocol == "osmand":
        app = osmand_app(pipeline, settings)
        web = _Uvicorn(
            uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", backlog=4096, lifespan="off"
            )
        )
        task = asyncio.create_task(web.serve())
        while not web.started:
            await asyncio.sleep(0.05)
    else:
        subscribed = asyncio.Event()
        task = asyncio.create_task(
            run_mqtt(
                pipeline,
                settings,
                stop,
                client_id=config["mqtt_client_id"],
                prefix=config["mqtt_prefix"],
                subscribed=subscribed,
            )
        )
        await subscribed.wait()
    Path(config["ready"]).write_text("ready")
    await stop.wait()
    if watch is not None:
        watch.close()
    if web is not None:
        web.should_exit = True
    if task is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    await pipeline.stop()
    Path(config["figures"]).write_bytes(orjson.dumps(_pipeline_figures()))


def _pipeline_figures() -> dict[str, float]:
    """Commit count, mean batch and mean commit time, from the pipeline's metrics."""
    values = {
        sample.name: sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if not sample.labels or (set(sample.labels) == {"le"} and sample.labels["le"] == "+Inf")
    }
    commits = values.get(f"{COMMIT}_count", 0.0)
    stored = values.get("korgoo_ingest_stored_total", 0.0)
    submits = values.get(f"{ACK}_count", 0.0)
    return {
        "commits": commits,
        "mean_batch_events": _ratio(stored, commits),
        "mean_commit_ms": 1000 * _ratio(values.get(f"{COMMIT}_sum", 0.0), commits),
        "mean_submit_to_commit_ms": 1000 * _ratio(values.get(f"{ACK}_sum", 0.0), submits),
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def serve_main(config: dict[str, Any]) -> None:
    """Entry of the server process (`python -m korgoo_lab.benchmarks.gateways CONFIG`)."""
    raise_nofile()
    if config["uvloop"]:
        uvloop.run(_serve(config))
    else:
        asyncio.run(_serve(config))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


# --- the load generator -------------------------------------------------------------------


class Stats:
    """Acknowledgements counted inside the steady window, with their latencies."""

    def __init__(self) -> None:
        self.window_start = math.inf
        self.window_end = math.inf
        self.latencies: list[float] = []
        self.fixes = 0
        self.errors = 0
        self.running = True
        self.server_cpu_s = 0.0  # over the window
        self.generator_cpu_s = 0.0

    def ack(self, sent: float, fixes: int = 1) -> None:
        now = time.perf_counter()
        if self.window_start <= now < self.window_end:
            self.latencies.append(now - sent)
            self.fixes += fixes

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class WatchDevice(asyncio.Protocol):
    """One watch: UD + LK, then the next round when the LK is answered."""

    def __init__(
        self, ident: str, position: tuple[float, float], stats: Stats, reports: int
    ) -> None:
        self.ident = ident
        self.lat, self.lon = position
        self.stats = stats
        self.reports = reports
        self.buffer = b""
        self.seq = 0
        self.sent = 0.0
        self.transport: asyncio.Transport | None = None
        self.lk = f"[3G*{ident}*0008*LK,0,0,80]".encode()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.send()

    def send(self) -> None:
        if not self.stats.running or self.transport is None:
            return
        tm = time.gmtime()
        day = f"{tm.tm_mday:02d}{tm.tm_mon:02d}{tm.tm_year % 100:02d}"
        clock = f"{tm.tm_hour:02d}{tm.tm_min:02d}{tm.tm_sec:02d}"
        frames = []
        for _ in range(self.reports):
            self.seq += 1
            # The step counter makes every report (and so its message key) distinct.
            content = (
                f"UD,{day},{clock},A,{self.lat:.6f},N,{self.lon:.6f},E,"
                f"0.50,90.0,800.0,9,100,80,{self.seq},0,00000000"
            )
            frames.append(f"[3G*{self.ident}*{len(content):04X}*{content}]".encode())
        frames.append(self.lk)
        self.sent = time.perf_counter()
        self.transport.write(b"".join(frames))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"]")) >= 0:
            self.buffer = self.buffer[end + 1 :]
            self.stats.ack(self.sent, self.reports)
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.stats.running:
            self.stats.errors += 1


class OsmandPhone(asyncio.Protocol):
    """One phone on a keep-alive HTTP/1.1 connection, one request in flight."""

    def __init__(self, ident: str, position: tuple[float, float], stats: Stats) -> None:
        self.ident = ident
        self.lat, self.lon = position
        self.stats = stats
        self.buffer = b""
        self.seq = 0
        self.sent = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.send()

    def send(self) -> None:
        if not self.stats.running or self.transport is None:
            return
        self.seq += 1
        # A distinct position per report keeps every message key distinct.
        lat = self.lat + self.seq * 1e-7
        query = (
            f"id={self.ident}&timestamp={time.time():.3f}&lat={lat:.7f}&lon={self.lon:.7f}"
            "&accuracy=12&speed=1.2&bearing=90&batt=80"
        )
        self.sent = time.perf_counter()
        self.transport.write(
            f"POST /?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (head := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = _content_length(self.buffer[:head])
            end = head + 4 + length
            if len(self.buffer) < end:
                return
            ok = self.buffer.startswith(b"HTTP/1.1 200")
            self.buffer = self.buffer[end:]
            if ok:
                self.stats.ack(self.sent)
            else:
                self.stats.errors += 1
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.stats.running:
            self.stats.errors += 1


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def _connect_all(
    factories: list[Callable[[], asyncio.Protocol]], port: int
) -> list[asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(factory: Callable[[], asyncio.Protocol]) -> asyncio.BaseTransport:
        async with gate:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(factory, "127.0.0.1", port), 30
            )
            return transport

    return list(await asyncio.gather(*(one(f) for f in factories)))


class MqttApps:
    """The MQTT apps: every device's closed loop over one paho connection (its own
    network thread), `window` publishes in flight per device, the next one sent
    when a result comes back. paho is used directly because aiomqtt costs about
    240 us of CPU per publish, more than the gateway under test; paho ~50 us."""

    def __init__(self, load: Load, prefix: str, stats: Stats) -> None:
        self.load = load
        self.prefix = prefix
        self.stats = stats
        self.positions = [_reporting_position(i) for i in range(load.mqtt_devices)]
        self.seq = [0] * load.mqtt_devices
        self.sent: list[dict[int, float]] = [{} for _ in range(load.mqtt_devices)]
        self.index = {app_id(i): i for i in range(load.mqtt_devices)}
        self.subscribed = threading.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-apps-{uuid.uuid4().hex}"
        )
        self.client.max_inflight_messages_set(0)  # the device windows bound it
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        if not self.subscribed.wait(30):
            raise RuntimeError("the MQTT apps could not subscribe to their results")
        for device in range(self.load.mqtt_devices):
            for _ in range(self.load.mqtt_window):
                self._send(device)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: paho.Client, *_: Any) -> None:
        client.subscribe(f"{self.prefix}/+/results", qos=1)

    def _on_subscribe(self, *_: Any) -> None:
        self.subscribed.set()

    def _send(self, device: int) -> None:
        if not self.stats.running:
            return
        self.seq[device] += 1
        seq = self.seq[device]
        lat, lon = self.positions[device]
        payload = {
            "secret": MQTT_SECRET,
            "id": seq,
            "type": "fix",
            "t": time.time(),
            "lat": lat + seq * 1e-7,  # a distinct position keeps every message key distinct
            "lon": lon,
            "acc": 10.0,
        }
        self.sent[device][seq] = time.perf_counter()
        topic = f"{self.prefix}/{app_id(device)}/events"
        self.client.publish(topic, msgspec.json.encode(payload), qos=1)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        device = self.index.get(message.topic.split("/")[-2])
        if device is None:
            return
        sent = self.sent[device]
        for result in msgspec.json.decode(message.payload)["results"]:
            at = sent.pop(result["id"], None)
            if at is None:
                continue
            if result["status"] == "accepted":
                self.stats.ack(at)
            else:
                self.stats.errors += 1
            self._send(device)


async def _generate(load: Load, port: int, prefix: str, server_pid: int) -> tuple[Stats, int]:
    """Drive one protocol; returns the stats and the number of connections."""
    stats = Stats()
    transports: list[asyncio.BaseTransport] = []
    apps: MqttApps | None = None
    if load.protocol == "watch":
        n = load.watch_connections
        transports = await _connect_all(
            [
                lambda i=i: WatchDevice(
                    watch_id(i), _reporting_position(i % n), stats, load.watch_reports
                )  # type: ignore[misc]
                for i in range(n)
            ],
            port,
        )
    elif load.protocol == "osmand":
        n = load.http_connections
        transports = await _connect_all(
            [
                lambda i=i: OsmandPhone(phone_id(i), _reporting_position(i % n), stats)  # type: ignore[misc]
                for i in range(n)
            ],
            port,
        )
    else:
        n = 1  # connection; load.mqtt_devices apps share it
        apps = MqttApps(load, prefix, stats)
        await asyncio.to_thread(apps.start)
    await asyncio.sleep(WARMUP_S)
    server_cpu, own_cpu = cpu_seconds(server_pid), time.process_time()
    stats.window_start = time.perf_counter()
    stats.window_end = stats.window_start + load.seconds
    await asyncio.sleep(load.seconds)
    stats.server_cpu_s = cpu_seconds(server_pid) - server_cpu
    stats.generator_cpu_s = time.process_time() - own_cpu
    stats.running = False
    for transport in transports:
        transport.close()
    if apps is not None:
        apps.stop()
    return stats, n


def _run_generator(load: Load, port: int, prefix: str, server_pid: int) -> tuple[Stats, int]:
    return uvloop.run(_generate(load, port, prefix, server_pid))


def run_protocol(
    template: Path,
    work: Path,
    load: Load,
    *,
    batch_max: int,
    batch_wait_ms: float,
    server_uvloop: bool,
    progress: Progress,
) -> ProtocolResult:
    db_path = work / f"{load.protocol}.db"
    shutil.copy(template, db_path)
    port = _free_port() if load.protocol != "mqtt" else 0
    run = uuid.uuid4().hex[:12]
    prefix = f"korgoo-bench/{run}/devices"
    ready = work / f"{load.protocol}.ready"
    config = {
        "protocol": load.protocol,
        "url": f"sqlite:///{db_path}",
        "port": port,
        "batch_max": batch_max,
        "batch_wait_ms": batch_wait_ms,
        "uvloop": server_uvloop,
        "mqtt_prefix": prefix,
        "mqtt_client_id": f"korgoo-bench-gw-{run}",
        "ready": str(ready),
        "figures": str(work / f"{load.protocol}.figures.json"),
    }
    log_path = work / f"{load.protocol}-server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "korgoo_lab.benchmarks.gateways", json.dumps(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)
        progress(f"{load.protocol}: server pid {server.pid} ready; load for {load.seconds:g} s")
        stats, connections = _run_generator(load, port, prefix, server.pid)
        memory = rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        if load.protocol == "mqtt":
            asyncio.run(_forget_session(str(config["mqtt_client_id"])))
    events_per_fix = 1 + 1 / load.watch_reports if load.protocol == "watch" else 1.0
    figures_path = Path(str(config["figures"]))
    figures = orjson.loads(figures_path.read_bytes()) if figures_path.exists() else {}
    return ProtocolResult(
        protocol=load.protocol,
        fixes_per_s=stats.fixes / load.seconds,
        ack_p50_ms=stats.percentile_ms(0.50),
        ack_p99_ms=stats.percentile_ms(0.99),
        connections=connections,
        rss_mb=memory,
        events_per_fix=events_per_fix,
        acked=stats.fixes,
        errors=stats.errors,
        window_s=load.seconds,
        target_fixes_per_s=TARGET_FIXES_PER_S[load.protocol],
        server_cpu_cores=stats.server_cpu_s / load.seconds,
        generator_cpu_cores=stats.generator_cpu_s / load.seconds,
        server=figures,
    )


async def _forget_session(client_id: str) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=client_id, clean_session=True):
        pass


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_gateways_bench(
    protocols: tuple[str, ...] = PROTOCOLS,
    *,
    seconds: float = 20.0,
    orders: int = 2_500,
    watch_connections: int = 5_000,
    http_connections: int = 500,
    mqtt_devices: int = 50,
    mqtt_window: int = 10,
    watch_reports: int = 1,
    batch_max: int = 2_000,
    batch_wait_ms: float = 5.0,
    server_uvloop: bool = True,
    progress: Progress = lambda _: None,
) -> BenchResult:
    raise_nofile()
    results: list[ProtocolResult] = []
    with tempfile.TemporaryDirectory(prefix="korgoo-bench-gw-") as tmp:
        work = Path(tmp)
        template = work / "template.db"
        shape = Load("", seconds, watch_connections, http_connections, mqtt_devices, mqtt_window)
        progress(f"preparing {orders:,} orders and their devices")
        prepare_database(template, shape, orders)
        for protocol in protocols:
            load = Load(
                protocol,
                seconds,
                watch_connections,
                http_connections,
                mqtt_devices,
                mqtt_window,
                watch_reports,
            )
            results.append(
                run_protocol(
                    template,
                    work,
                    load,
                    batch_max=batch_max,
                    batch_wait_ms=batch_wait_ms,
                    server_uvloop=server_uvloop,
                    progress=progress,
                )
            )
    return BenchResult(results, orders, batch_max, batch_wait_ms, server_uvloop)


# --- output ---------------------------------------------------------------------------------


def to_json(result: BenchResult) -> bytes:
    body: dict[str, Any] = {
        r.protocol: {k: v for k, v in asdict(r).items() if k != "protocol"} for r in result.results
    }
    body["config"] = {
        "orders": result.orders,
        "batch_max": result.batch_max,
        "batch_wait_ms": result.batch_wait_ms,
        "server_uvloop": result.server_uvloop,
        "cpus": result.cpus,
    }
    return orjson.dumps(body)


def render(result: BenchResult, console: Console) -> None:
    table = Table(
        title=(
            f"Gateways end to end ({result.orders:,} orders, batch_max {result.batch_max}, "
            f"batch_wait {result.batch_wait_ms:g} ms, server uvloop {result.server_uvloop}, "
            f"{result.cpus} CPUs)"
        )
    )
    columns = ("Protocol", "Fixes/s", "Target", "p50 ms", "p99 ms", "Conns", "RSS MB", "CPU")
    for column in (*columns, "Errors"):
        table.add_column(column, justify="left" if column == "Protocol" else "right")
    for r in result.results:
        met = "green" if r.fixes_per_s >= r.target_fixes_per_s else "red"
        table.add_row(
            r.protocol,
            f"[{met}]{r.fixes_per_s:,.0f}[/{met}]",
            f"{r.target_fixes_per_s:,}",
            f"{r.ack_p50_ms:.1f}",
            f"{r.ack_p99_ms:.1f}",
            f"{r.connections:,}",
            f"{r.rss_mb:.0f}",
            f"{r.server_cpu_cores:.2f}",
            str(r.errors),
        )
    console.print(table)
    console.print(
        "Closed loop: each device sends its next message when the previous one is "
        "acknowledged; latency (send to acknowledgement) is at full load. CPU: server "
        "process cores. Watch rounds store 1 + 1/reports events a fix (UDs + one LK)."
    )


if __name__ == "__main__":
    serve_main(json.loads(sys.argv[1]))
