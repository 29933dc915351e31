"""`korgoo demo`: the pilot in Bishkek, simulated in accelerated time.

A fresh embedded database is shaped like the pilot (18 orders in Oktyabrsky
district), the simulator plays every device, and each message goes the real
way: validated, committed to the event log in batches, acknowledged, evaluated
by the engine, turned into alerts that are stored with their transitions.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.live import Live

from korgoo.domain.events import Event, OrderChange, Tick
from korgoo.gateways.ingest import Message
from korgoo.runtime.live_view import LiveView
from korgoo.runtime.pipeline import Pipeline
from korgoo.runtime.seed import load_population
from korgoo.settings import Settings
from korgoo.sim.population import pilot_population
from korgoo.sim.stream import scripted_incidents, simulate
from korgoo.store.alerts import list_alerts
from korgoo.store.db import migrate, open_engine
from korgoo.store.orders import current_terms


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


async def run_demo(
    *,
    minutes: float,
    live: bool,
    speed: float,
    db_path: Path,
    seed: int = 1,
    console: Console | None = None,
) -> DemoSummary:
    console = console or Console()
    start = float(int(time.time()) // 60 * 60)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    migrate(url)
    db = open_engine(url)
    population = scripted_incidents(pilot_population(seed, start), start)
    load_population(db, population, at=start)

    clock = SimClock(start)
    pipeline = Pipeline(db, Settings(database_url=url, batch_wait_ms=0.5), clock=clock)
    await pipeline.start(tick_every=None)
    view = LiveView(pipeline, start, start + minutes * 60.0)
    feed = pipeline.bus.subscribe()
    for terms in current_terms(db):
        await pipeline.order_changed(terms)

    wall0 = time.perf_counter()
    events = 0
    batch: list[Message] = []
    stream = simulate(population, start, minutes * 60.0, seed)

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
                if speed > 0:
                    ahead = (event.at - start) / speed - (time.perf_counter() - wall0)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
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
        await pipeline.stop()
    wall = time.perf_counter() - wall0

    summary = DemoSummary(
        simulated_minutes=minutes,
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
