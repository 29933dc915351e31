"""The engine benchmark: a synthetic log through the engine, the store and a baseline.

Phases, each on one core, none timing the generation of its input:

1. the log (`sim.load.synthetic_load`) is built and held in a list;
2. engine alone: a fresh engine takes every order, then the fixes and ticks are
   timed through `Engine.apply` with nothing else in the loop;
3. latency: the same fixes through an engine restored (pickle) to the state after
   the orders, timing every `LATENCY_EVERY`-th fix with `perf_counter_ns`;
4. state: another engine built from the orders under `tracemalloc`, measured after
   the orders and after the fixes (the input log is allocated before tracing starts,
   so it is not counted; GEOS's own heap for polygon zones is not traced);
5. store in the loop: a fresh SQLite file as `open_engine` opens it (WAL,
   synchronous=FULL), fixes appended `batch` at a time with `EventLog.append` and
   committed, then applied, as `runtime.pipeline` does; ticks are applied between
   batches but not stored (the log holds no ticks);
6. baseline: what a typical implementation does per fix — fetch the order's terms,
   the counterpart's last position and the zones with indexed, prepared queries,
   evaluate with plain math, update the last position — committing every `batch`
   fixes, on a sample of the same fixes.

The log is frozen out of the garbage collector's view (`gc.freeze`) once built: a
live system never holds a million events, and scanning them would be charged to
whichever phase happened to trigger a full collection.
"""

from __future__ import annotations

import gc
import itertools
import math
import os
import pickle
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from korgoo.domain.events import Event, Fix, OrderChange, Tick
from korgoo.domain.terms import OrderTerms
from korgoo.engine import Engine
from korgoo.store.db import migrate, open_engine
from korgoo.store.events import EventLog
from korgoo_lab.sim.load import synthetic_load

LATENCY_EVERY = 10  # time one fix in this many, to keep timer overhead out of the figure
TARGET_ENGINE_FIXES_PER_S = 300_000
TARGET_STORE_FIXES_PER_S = 50_000
TARGET_STATE_BYTES_PER_ORDER = 2_048

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class EngineBench:
    """Figures of one run; `orjson.dumps` gives the `--json` object."""

    orders: int
    fixes: int
    seed: int
    batch: int
    ticks: int
    engine_fixes_per_s: float
    engine_s: float
    decisions: int
    orders_load_s: float
    p50_us: float
    p99_us: float
    latency_samples: int
    state_bytes_per_order: float
    state_bytes_per_order_orders_only: float
    store_fixes_per_s: float
    store_s: float
    store_decisions: int
    store_rows: int
    store_append_s: float
    store_commit_s: float
    store_commit_p50_ms: float
    store_commit_p99_ms: float
    baseline_fixes_per_s: float
    baseline_fixes: int
    baseline_s: float
    baseline_queries: int
    baseline_updates: int
    baseline_alerts: int
    baseline_logged_fixes_per_s: float
    engine_vs_baseline: float
    store_vs_baseline: float
    store_vs_logged_baseline: float
    max_rss_bytes: int
    loadavg_start: tuple[float, float, float]
    loadavg_end: tuple[float, float, float]
    python: str


def run_engine_bench(
    orders: int = 10_000,
    fixes: int = 1_000_000,
    seed: int = 1,
    *,
    batch: int = 1_000,
    baseline_fixes: int = 50_000,
    db_dir: Path | None = None,
    progress: Progress | None = None,
) -> EngineBench:
    """Run every phase on one synthetic log and return the figures."""
    say = progress or (lambda _msg: None)
    loadavg_start = os.getloadavg()
    say(f"generating {orders:,} orders and {fixes:,} fixes")
    terms, stream = synthetic_load(orders, fixes, seed)
    log = list(stream)
    changes, stream_events = _split(log, len(terms))
    gc.collect()
    gc.freeze()
    try:
        say("engine alone")
        engine, orders_load_s = _engine_with_orders(changes)
        # The later phases start from this state without compiling every zone again.
        snapshot = pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL)
        engine_s, decisions = _apply_timed(engine, stream_events)
        del engine
        say("latency per fix")
        latencies = _latencies(pickle.loads(snapshot), stream_events)
        say("engine state (tracemalloc)")
        state_orders, state_fixes = _state_bytes(changes, stream_events)
        say(f"SQLite store in the loop, batches of {batch:,}")
        with tempfile.TemporaryDirectory(dir=db_dir, prefix="korgoo-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            migrate(url)
            store = _store_in_loop(url, pickle.loads(snapshot), changes, stream_events, batch)
            say(f"baseline: a database query per fix, {baseline_fixes:,} fixes")
            sample = [e for e in stream_events if type(e) is Fix][:baseline_fixes]
            baseline = _baseline(url, terms, sample, batch, log_positions=False)
            say("baseline that also inserts each position")
            logged = _baseline(url, terms, sample, batch, log_positions=True)
    finally:
        gc.unfreeze()
    n_fixes = sum(1 for e in stream_events if type(e) is Fix)
    engine_rate = n_fixes / engine_s
    store_rate = n_fixes / store.seconds
    baseline_rate = baseline.fixes / baseline.seconds
    logged_rate = logged.fixes / logged.seconds
    return EngineBench(
        orders=len(terms),
        fixes=n_fixes,
        seed=seed,
        batch=batch,
        ticks=sum(1 for e in stream_events if type(e) is Tick),
        engine_fixes_per_s=round(engine_rate, 1),
        engine_s=round(engine_s, 3),
        decisions=decisions,
        orders_load_s=round(orders_load_s, 3),
        p50_us=round(_quantile(latencies, 0.50) / 1_000, 2),
        p99_us=round(_quantile(latencies, 0.99) / 1_000, 2),
        latency_samples=len(latencies),
        state_bytes_per_order=round(state_fixes / len(terms), 1),
        state_bytes_per_order_orders_only=round(state_orders / len(terms), 1),
        store_fixes_per_s=round(store_rate, 1),
        store_s=round(store.seconds, 3),
        store_decisions=store.decisions,
        store_rows=store.rows,
        store_append_s=round(sum(store.append_ns) / 1e9, 3),
        store_commit_s=round(sum(store.commit_ns) / 1e9, 3),
        store_commit_p50_ms=round(_quantile(store.commit_ns, 0.50) / 1e6, 3),
        store_commit_p99_ms=round(_quantile(store.commit_ns, 0.99) / 1e6, 3),
        baseline_fixes_per_s=round(baseline_rate, 1),
        baseline_fixes=baseline.fixes,
        baseline_s=round(baseline.seconds, 3),
        baseline_queries=baseline.queries,
        baseline_updates=baseline.updates,
        baseline_alerts=baseline.alerts,
        baseline_logged_fixes_per_s=round(logged_rate, 1),
        engine_vs_baseline=round(engine_rate / baseline_rate, 2),
        store_vs_baseline=round(store_rate / baseline_rate, 2),
        store_vs_logged_baseline=round(store_rate / logged_rate, 2),
        max_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        loadavg_start=loadavg_start,
        loadavg_end=os.getloadavg(),
        python=sys.version.split()[0],
    )


def to_json(result: EngineBench) -> bytes:
    return orjson.dumps(result)


def render(result: EngineBench, console: Console) -> None:
    """The figures as a Rich table, with the issue's targets beside them."""
    r = result
    table = Table(title=f"Engine benchmark: {r.orders:,} orders, {r.fixes:,} fixes, seed {r.seed}")
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    table.add_column("Target", justify="right")

    def rate(value: float, target: float | None = None) -> tuple[str, str]:
        mark = "" if target is None else (" ✓" if value >= target else " ✗")
        return f"{value:,.0f} fixes/s{mark}", "" if target is None else f"≥ {target:,.0f}"

    table.add_row("Engine alone", *rate(r.engine_fixes_per_s, TARGET_ENGINE_FIXES_PER_S))
    table.add_row(
        f"With SQLite store (batches of {r.batch:,})",
        *rate(r.store_fixes_per_s, TARGET_STORE_FIXES_PER_S),
    )
    table.add_row(
        f"Baseline: query per fix ({r.baseline_fixes:,} fixes)", *rate(r.baseline_fixes_per_s)
    )
    table.add_row("Baseline that also inserts each position", *rate(r.baseline_logged_fixes_per_s))
    table.add_row("Engine / baseline", f"{r.engine_vs_baseline:,.2f} times", "")
    table.add_row("Store path / baseline", f"{r.store_vs_baseline:,.2f} times", "")
    table.add_row(
        "Store path / baseline inserting positions", f"{r.store_vs_logged_baseline:,.2f} times", ""
    )
    table.add_row(
        "Store path: append / commit / engine",
        f"{r.store_append_s:,.1f} / {r.store_commit_s:,.1f} / "
        f"{r.store_s - r.store_append_s - r.store_commit_s:,.1f} s",
        "",
    )
    table.add_row(
        f"Latency per fix p50 / p99 ({r.latency_samples:,} samples)",
        f"{r.p50_us:,.1f} / {r.p99_us:,.1f} µs",
        "",
    )
    table.add_row(
        "Commit per batch p50 / p99",
        f"{r.store_commit_p50_ms:,.2f} / {r.store_commit_p99_ms:,.2f} ms",
        "",
    )
    mark = " ✓" if r.state_bytes_per_order <= TARGET_STATE_BYTES_PER_ORDER else " ✗"
    table.add_row(
        "Engine state per order, after fixes",
        f"{r.state_bytes_per_order:,.0f} B{mark}",
        "≤ 2,048 B",
    )
    table.add_row(
        "Engine state per order, orders only", f"{r.state_bytes_per_order_orders_only:,.0f} B", ""
    )
    table.add_row("Orders loaded into the engine in", f"{r.orders_load_s:,.1f} s", "")
    table.add_row("Decisions (engine / store path)", f"{r.decisions:,} / {r.store_decisions:,}", "")
    table.add_row("Ticks applied", f"{r.ticks:,}", "")
    table.add_row("Peak RSS", f"{r.max_rss_bytes / 2**20:,.0f} MiB", "")
    table.add_row(
        "Load average at start / end",
        f"{_loadavg(r.loadavg_start)} / {_loadavg(r.loadavg_end)}",
        "",
    )
    console.print(table)


# -- phases ------------------------------------------------------------------------


def _split(log: list[Event], orders: int) -> tuple[list[OrderChange], list[Event]]:
    """The opening order changes, and the fixes and ticks after them."""
    changes = log[:orders]
    if not all(type(e) is OrderChange for e in changes):
        raise ValueError("the synthetic log must open with one order change per order")
    return changes, log[orders:]  # type: ignore[return-value]


def _fresh_state(changes: Sequence[OrderChange]) -> Engine:
    engine = Engine()
    for change in changes:
        engine.apply(change)
    return engine


def _engine_with_orders(changes: Sequence[OrderChange]) -> tuple[Engine, float]:
    started = time.perf_counter()
    engine = _fresh_state(changes)
    return engine, time.perf_counter() - started


def _apply_timed(engine: Engine, events: Sequence[Event]) -> tuple[float, int]:
    apply = engine.apply
    decisions = 0
    started = time.perf_counter()
    for event in events:
        decisions += len(apply(event))
    return time.perf_counter() - started, decisions


def _latencies(engine: Engine, events: Sequence[Event]) -> list[int]:
    apply = engine.apply
    clock = time.perf_counter_ns
    samples: list[int] = []
    n = 0
    for event in events:
        if type(event) is Fix:
            n += 1
            if n % LATENCY_EVERY == 0:
                t0 = clock()
                apply(event)
                samples.append(clock() - t0)
                continue
        apply(event)
    return samples


def _state_bytes(changes: Sequence[OrderChange], events: Sequence[Event]) -> tuple[int, int]:
    """Bytes the engine holds (traced) after the orders, and after all the events."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        engine = _fresh_state(changes)
        after_orders = tracemalloc.get_traced_memory()[0] - base
        apply = engine.apply
        for event in events:
            apply(event)
        after_events = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return after_orders, after_events


@dataclass(frozen=True, slots=True)
class _StoreRun:
    seconds: float
    decisions: int
    rows: int
    append_ns: list[int]  # per batch: EventLog.append
    commit_ns: list[int]  # per batch: the commit (the fsync)


def _store_in_loop(
    url: str, engine: Engine, changes: Sequence[OrderChange], events: Sequence[Event], batch: int
) -> _StoreRun:
    db = open_engine(url)
    log = EventLog()
    apply = engine.apply
    clock = time.perf_counter_ns
    append_ns: list[int] = []
    commit_ns: list[int] = []
    decisions = rows = 0
    try:
        with db.connect() as conn:
            # The orders enter the log as they would live; not part of the timing.
            log.append(conn, [(c, f"order:{c.terms.order_id}:{c.terms.version}") for c in changes])
            conn.commit()
            pending: list[tuple[Event, str | None]] = []

            def flush() -> None:
                nonlocal decisions, rows
                t0 = clock()
                seqs = log.append(conn, pending)
                t1 = clock()
                conn.commit()
                append_ns.append(t1 - t0)
                commit_ns.append(clock() - t1)
                rows += sum(1 for s in seqs if s is not None)
                for event, _ in pending:
                    decisions += len(apply(event))
                pending.clear()

            started = time.perf_counter()
            for event in events:
                if type(event) is Fix:
                    pending.append((event, f"{event.device_id}:{event.t!r}"))
                    if len(pending) >= batch:
                        flush()
                else:
                    if pending:
                        flush()
                    decisions += len(apply(event))
            if pending:
                flush()
            seconds = time.perf_counter() - started
    finally:
        db.dispose()
    return _StoreRun(seconds, decisions, rows, append_ns, commit_ns)


# -- the baseline: a database query per fix ------------------------------------------

_BASELINE_TABLES = ("bl_devices", "bl_orders", "bl_zones", "bl_positions")
_BASELINE_SCHEMA = (
    """CREATE TABLE bl_devices (
        device_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, respondent INTEGER NOT NULL)""",
    """CREATE TABLE bl_orders (
        order_id TEXT PRIMARY KEY, min_distance_m REAL, warning_distance_m REAL,
        resp_t REAL, resp_lat REAL, resp_lon REAL, resp_acc REAL,
        prot_t REAL, prot_lat REAL, prot_lon REAL, prot_acc REAL)""",
    """CREATE TABLE bl_zones (
        zone_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, kind TEXT NOT NULL,
        geometry TEXT NOT NULL, radius_m REAL)""",
    "CREATE INDEX ix_bl_zones_order ON bl_zones (order_id)",
    """CREATE TABLE bl_positions (
        id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, t REAL NOT NULL,
        lat REAL NOT NULL, lon REAL NOT NULL, acc REAL NOT NULL)""",
    "CREATE INDEX ix_bl_positions_device_t ON bl_positions (device_id, t)",
)
_BASELINE_INSERT = "INSERT INTO bl_positions (device_id, t, lat, lon, acc) VALUES (?, ?, ?, ?, ?)"
_BASELINE_ORDER = (
    "SELECT d.order_id, d.respondent, o.min_distance_m, o.warning_distance_m, "
    "o.resp_t, o.resp_lat, o.resp_lon, o.resp_acc, o.prot_t, o.prot_lat, o.prot_lon, o.prot_acc "
    "FROM bl_devices d JOIN bl_orders o ON o.order_id = d.order_id WHERE d.device_id = ?"
)
_BASELINE_ZONES = "SELECT kind, geometry, radius_m FROM bl_zones WHERE order_id = ?"
_BASELINE_UPDATE = {
    True: "UPDATE bl_orders SET resp_t = ?, resp_lat = ?, resp_lon = ?, resp_acc = ? "
    "WHERE order_id = ?",
    False: "UPDATE bl_orders SET prot_t = ?, prot_lat = ?, prot_lon = ?, prot_acc = ? "
    "WHERE order_id = ?",
}
_EARTH_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class _BaselineRun:
    fixes: int
    seconds: float
    queries: int
    updates: int
    alerts: int


def _baseline(
    url: str,
    terms: Sequence[OrderTerms],
    fixes: Sequence[Fix],
    batch: int,
    *,
    log_positions: bool,
) -> _BaselineRun:
    """Per fix: the order and counterpart query, the zones query for a respondent,
    plain-math checks, the last-position update; with `log_positions`, first an
    INSERT of the position (as a typical implementation keeps its history)."""
    db = open_engine(url)
    raw = db.raw_connection()  # WAL, synchronous=FULL: the store path's settings
    try:
        conn = raw.dbapi_connection
        assert isinstance(conn, sqlite3.Connection)
        _baseline_load(conn, terms)
        cur = conn.cursor()
        queries = updates = alerts = 0
        started = time.perf_counter()
        cur.execute("BEGIN")
        for i, fix in enumerate(fixes, 1):
            if log_positions:
                cur.execute(_BASELINE_INSERT, (fix.device_id, fix.t, fix.lat, fix.lon, fix.acc))
            row = cur.execute(_BASELINE_ORDER, (fix.device_id,)).fetchone()
            queries += 1
            if row is None:
                continue
            order_id, respondent, dmin, dwarn = row[0], bool(row[1]), row[2], row[3]
            other = row[8:12] if respondent else row[4:8]
            if other[0] is not None and abs(fix.t - other[0]) <= 900.0:
                d = _haversine_m(fix.lat, fix.lon, other[1], other[2])
                if d - fix.acc - other[3] <= max(dmin, dwarn):
                    alerts += 1
            if respondent:
                zones = cur.execute(_BASELINE_ZONES, (order_id,)).fetchall()
                queries += 1
                for kind, geometry, radius in zones:
                    if kind == "exclusion" and _in_zone(fix, orjson.loads(geometry), radius):
                        alerts += 1
            cur.execute(_BASELINE_UPDATE[respondent], (fix.t, fix.lat, fix.lon, fix.acc, order_id))
            updates += cur.rowcount
            if i % batch == 0:
                cur.execute("COMMIT")
                cur.execute("BEGIN")
        cur.execute("COMMIT")
        seconds = time.perf_counter() - started
        cur.close()
    finally:
        raw.close()
        db.dispose()
    return _BaselineRun(len(fixes), seconds, queries, updates, alerts)


def _baseline_load(conn: sqlite3.Connection, terms: Sequence[OrderTerms]) -> None:
    cur = conn.cursor()
    cur.execute("BEGIN")
    for table in _BASELINE_TABLES:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
    for stmt in _BASELINE_SCHEMA:
        cur.execute(stmt)
    cur.executemany(
        "INSERT INTO bl_devices VALUES (?, ?, ?)",
        [
            (device_id, o.order_id, int(party.role == "respondent"))
            for o in terms
            for party in (o.respondent, *o.protected)
            for device_id, _ in party.devices
        ],
    )
    cur.executemany(
        "INSERT INTO bl_orders (order_id, min_distance_m, warning_distance_m) VALUES (?, ?, ?)",
        [(o.order_id, o.min_distance_m, o.warning_distance_m) for o in terms],
    )
    cur.executemany(
        "INSERT INTO bl_zones VALUES (?, ?, ?, ?, ?)",
        [
            (z.zone_id, o.order_id, z.kind, orjson.dumps(z.geometry).decode(), z.radius_m)
            for o in terms
            for z in o.zones
        ],
    )
    cur.execute("COMMIT")
    cur.close()


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(a))


def _in_zone(fix: Fix, geometry: dict[str, object], radius_m: float) -> bool:
    """Centre of the fix in the zone: distance to a circle's centre, or ray casting."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        assert isinstance(coords, list)
        return _haversine_m(fix.lat, fix.lon, coords[1], coords[0]) <= radius_m
    assert isinstance(coords, list)
    ring = coords[0]
    inside = False
    x, y = fix.lon, fix.lat
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


# -- helpers -------------------------------------------------------------------------


def _quantile(values: Sequence[int], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(q * 100) - 1]


def _loadavg(avg: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in avg)
