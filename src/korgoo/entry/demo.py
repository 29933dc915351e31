"""`korgoo demo`: the pilot in Bishkek, simulated in accelerated time.

A fresh embedded database is shaped like the pilot (18 orders in Oktyabrsky
district, and a probation client with a night curfew and daily check-ins whom
the district's probation officer supervises), the simulator plays every
device, and each message goes the real way: validated, committed to the event
log in batches, acknowledged, evaluated by the engine, turned into alerts that
are stored with their transitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import sqlalchemy as sa
import uvicorn
from rich.console import Console
from rich.live import Live

from korgoo.api.auth import add_user
from korgoo.api.schemas import iso
from korgoo.domain.events import Event, OrderChange, Tick
from korgoo.domain.ingest import Message
from korgoo.entry.app import create_app, end_streams
from korgoo.entry.embedded_http import EmbeddedServer
from korgoo.entry.live_view import LiveView
from korgoo.entry.seed import load_population
from korgoo.service.health import Health
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.alerts import list_alerts
from korgoo.store.audit import audit_append
from korgoo.store.db import migrate, open_engine
from korgoo.store.orders import current_terms
from korgoo.store.probation import add_appointment
from korgoo_lab.sim.population import (
    PROBATION_ORDER,
    Population,
    pilot_population,
    with_probation_case,
)
from korgoo_lab.sim.russian import russian
from korgoo_lab.sim.stream import scripted_incidents, simulate


class SimClock:
    """The demo's clock: simulated time, advanced by the simulator's ticks."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class DemoSummary:
    simulated_minutes: float
    wall_s: float
    fixes: int
    events: int
    alerts_by_rule: Counter[str] = field(default_factory=Counter)
    alerts_by_priority: Counter[str] = field(default_factory=Counter)
    open_alerts: int = 0
    database: str = ""

    @property
    def alerts(self) -> int:
        return sum(self.alerts_by_rule.values())


def message_for(event: Event) -> Message:
    # The simulator's events are unique by device, device time and kind.
    name = type(event).__name__.lower()
    device = getattr(event, "device_id", "")
    kind = getattr(event, "kind", "")
    return Message(
        event=event, msg_key=f"sim:{device}:{name}:{kind}:{event.at}:{getattr(event, 't', 0)}"
    )


DEMO_USERS = (
    # username, role, password, TOTP secret (demo only: printed on the screen)
    ("operator", "operator", "operator-demo", "KORGOODEMOOPERATORAAAAAA"),
    ("supervisor", "supervisor", "supervisor-demo", "KORGOODEMOSUPERVISORAAAA"),
    ("admin", "administrator", "admin-demo", None),
    ("ministry", "statistics", "ministry-demo", None),  # the ministry's figures only
    ("police-okt", "police_duty_officer", "police-demo", None),  # /police, on a phone
    ("probation-okt", "probation_officer", "probation-demo", None),  # /caseload
)
# The districts of the demo users bound to some (the pilot's district).
DEMO_DISTRICTS = {"police-okt": ("KG-GB-OKT",), "probation-okt": ("KG-GB-OKT",)}
BISHKEK_UTC_OFFSET_S = 6 * 3600


def create_demo_users(db: sa.Engine, now: float) -> None:
    for username, role, password, secret in DEMO_USERS:
        add_user(
            db,
            username,
            role=role,
            districts=DEMO_DISTRICTS.get(username, ()),
            password=password,
            totp_secret=secret,
            now=now,
            display_name=username.capitalize(),
        )


def seed_demo(db: sa.Engine, seed: int, start: float, now: float) -> Population:
    """The demo's records in a migrated store: the pilot's population with its
    scripted incidents and the probation case, the demo users, and the probation
    client's reporting appointment at the probation office, 10:00 the next day."""
    population = with_probation_case(
        scripted_incidents(pilot_population(seed, start), start), seed, start
    )
    load_population(db, population, at=start)
    create_demo_users(db, now)
    local_day = (start + BISHKEK_UTC_OFFSET_S) // 86400 * 86400
    at = local_day + 86400 + 10 * 3600 - BISHKEK_UTC_OFFSET_S
    with db.begin() as conn:
        found = add_appointment(
            conn,
            order_id=PROBATION_ORDER,
            at=at,
            place=russian("Probation office of Oktyabrsky district"),
            actor="demo",
            now=start,
        )
        details = {"appointment": found.id, "at": iso(at), "place": found.place}
        audit_append(conn, "demo", "probation.appointment", PROBATION_ORDER, details, at=start)
    return population


def demo_logins() -> list[tuple[str, str, str]]:
    """(user, password, current TOTP code or '') for the live view."""
    return [(u, pw, pyotp.TOTP(secret).now() if secret else "") for u, _, pw, secret in DEMO_USERS]


async def run_demo(
    *,
    minutes: float,
    live: bool,
    speed: float,
    db_path: Path,
    seed: int = 1,
    console: Console | None = None,
    serve_console: bool = False,
    port: int = 8000,
    stop: asyncio.Event | None = None,
) -> DemoSummary:
    """Simulate `minutes` of the pilot at `speed` (0: as fast as possible).

    With the console served, the simulated span is chosen to end at the wall
    clock's present, and the simulation then goes on in real time until `stop`:
    the console shows the last hours' alerts and new ones as they happen.
    """
    console = console or Console()
    stop = stop or asyncio.Event()
    span = minutes * 60.0
    now = time.time()
    catch_up_wall = span / speed if speed > 0 else 0.0
    start = float(int(now + catch_up_wall - span) // 60 * 60)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    migrate(url)
    db = open_engine(url)
    population = seed_demo(db, seed, start, now)

    clock = SimClock(start)
    settings = Settings(database_url=url, batch_wait_ms=0.5, http_port=port, api_docs=True)
    pipeline = Pipeline(db, settings, clock=clock)
    await pipeline.start(tick_every=None)
    view = LiveView(pipeline, start, start + span)
    if serve_console:
        view.console_url = f"http://127.0.0.1:{port}"
        view.logins = demo_logins
    feed = pipeline.bus.subscribe()
    for terms in current_terms(db):
        await pipeline.order_changed(terms)
    server = None
    if serve_console:
        app = create_app(pipeline, Health(pipeline), settings)
        server = EmbeddedServer(
            # log_config=None: uvicorn's lines go where the demo sends its logs
            # (a file under the live view), not straight onto the terminal.
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None),
            on_shutdown=lambda: end_streams(app),
        )
        server_task = asyncio.create_task(server.serve())

    wall0 = time.perf_counter()
    events = 0
    batch: list[Message] = []
    # With the console, the simulation goes on (in real time) past the span.
    duration = span + (30 * 86400.0 if serve_console else 0.0)
    stream = simulate(population, start, duration, seed)

    async def play() -> None:
        nonlocal events, batch
        for event in stream:
            if isinstance(event, OrderChange):
                continue  # the orders came from the store, as in production
            if isinstance(event, Tick):
                if batch:
                    await pipeline.submit(batch)
                    batch = []
                clock.t = event.at
                await pipeline.advance()
                while not feed.empty():
                    view.take(feed.get_nowait())
                if stop.is_set():
                    break
                if event.at >= start + span:
                    if not serve_console:
                        break
                    ahead = event.at - time.time()  # live: real time
                elif speed > 0:
                    ahead = (event.at - start) / speed - (time.perf_counter() - wall0)
                else:
                    ahead = 0.0
                if ahead > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), ahead)
                continue
            events += 1
            batch.append(message_for(event))
        if batch:
            await pipeline.submit(batch)

    try:
        if live:
            with Live(view.render(clock.t), console=console, refresh_per_second=8) as screen:
                task = asyncio.create_task(play())
                while not task.done():
                    screen.update(view.render(clock.t))
                    await asyncio.sleep(0.125)
                await task
                screen.update(view.render(clock.t))
        else:
            await play()
    finally:
        if server is not None:
            server.should_exit = True
            await server_task
        await pipeline.stop()
    wall = time.perf_counter() - wall0

    summary = DemoSummary(
        simulated_minutes=(clock.t - start) / 60.0,
        wall_s=wall,
        fixes=pipeline.fixes_processed,
        events=events,
        database=str(db_path),
    )
    for alert in list_alerts(db):
        summary.alerts_by_rule[alert.rule] += 1
        summary.alerts_by_priority[alert.priority.value] += 1
        summary.open_alerts += not alert.resolved
    db.dispose()
    return summary
