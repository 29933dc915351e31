"""No stored alert can vanish: failure injected at each write of the pipeline, on
SQLite and on PostgreSQL.

The reproduction this guards against: the decisions of a batch could not be stored
(disk full, a lock, a dropped connection) after its events were committed and
acknowledged; the alert showed in the live queue, a later batch committed, and a
restart skipped the lost decisions for good. Now the evaluation is held and stored
first, nothing is acknowledged meanwhile, the live queue shows only what is stored,
and an operator action the store refuses leaves the alert as it was.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import Message, StoreUnavailable, Verdict
from korgoo.domain.terms import DeviceKind
from korgoo.service import pipeline as pipeline_module
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.alerts import list_alerts, transitions
from korgoo.store.db import migrate, open_engine
from korgoo.store.devices import enrol_device
from korgoo.store.events import EventLog

from ..unit.engine.conftest import HOME, T0, home_zone, make_terms, north_of

# The writes of one evaluation or action, by the name the pipeline calls them.
DECISION_WRITES = ("append_decisions", "append_transitions", "save_alert")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Failing:
    """Makes one store function raise, as a full disk would, until healed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.broken = True
        self.calls = 0
        original: Callable[..., Any] = getattr(pipeline_module, name)

        def failing(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.broken:
                raise sa.exc.OperationalError("INSERT", {}, OSError(28, "No space left on device"))
            return original(*args, **kwargs)

        monkeypatch.setattr(pipeline_module, name, failing)

    def heal(self) -> None:
        self.broken = False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'korgoo.db'}"
        prepare(url)
        yield url
        return
    admin: str = request.getfixturevalue("pg_admin_url")
    name = f"korgoo_test_fail_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    url = str(sa.make_url(admin).set(database=name).render_as_string(False))
    try:
        prepare(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


def prepare(url: str) -> None:
    migrate(url)
    db = open_engine(url)
    with db.begin() as conn:
        enrol_device(conn, "bracelet-1", DeviceKind.BRACELET, at=T0)
        enrol_device(conn, "victim-app-1", DeviceKind.VICTIM_APP, secret="s3cret", at=T0)
    db.dispose()


async def started(url: str, clock: Clock) -> Pipeline:
    p = Pipeline(open_engine(url), Settings(batch_wait_ms=1.0), clock=clock)
    await p.start(tick_every=None)
    return p


def inside(t: float) -> Message:
    # Walking in, a tight satellite fix: decisive at once (a still one needs a dwell).
    f = Fix("bracelet-1", t, t, HOME[0], HOME[1], 10.0, speed=1.5, source="test")
    return Message(event=f, msg_key=f"in:{t}")


def sos(t: float) -> Message:
    s = Signal("victim-app-1", t, t, SignalKind.SOS, source="test")
    return Message(event=s, msg_key=f"sos:{t}")


def rules_stored(url: str) -> set[str]:
    db = open_engine(url)
    try:
        return {a.rule for a in list_alerts(db)}
    finally:
        db.dispose()


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("write", DECISION_WRITES)
async def test_decisions_refused_are_held_then_stored_before_anything_else(
    db_url: str, write: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        failing = Failing(monkeypatch, write)
        clock.t = T0 + 10
        # The fix is committed and acknowledged; its decisions cannot be stored.
        (out,) = await p.submit([inside(T0 + 10)])
        assert out.verdict is Verdict.ACCEPTED
        await until(lambda: failing.calls > 0 and not p.ready)
        # The live queue shows only what is stored, and nothing more is acknowledged.
        assert not p.open_alerts()
        with pytest.raises(StoreUnavailable):
            await p.submit([sos(T0 + 11)])
        assert "zone.exclusion" not in rules_stored(db_url)

        failing.heal()
        await until(lambda: p.ready)
        assert [a.rule for a in p.open_alerts()] == ["zone.exclusion"]
        clock.t = T0 + 12
        (later,) = await p.submit([sos(T0 + 12)])  # a later batch commits after it
        assert later.verdict is Verdict.ACCEPTED
        await p.settle()
    finally:
        await p.stop()
    assert rules_stored(db_url) == {"zone.exclusion", "panic"}

    # A restart rebuilds the same state and raises nothing twice.
    p2 = await started(db_url, Clock(T0 + 20))
    try:
        assert sorted(a.rule for a in p2.open_alerts()) == ["panic", "zone.exclusion"]
    finally:
        await p2.stop()
    db = open_engine(db_url)
    with db.connect() as conn:
        opened = conn.scalar(sa.text("SELECT count(*) FROM decisions WHERE kind = 'opened'"))
    db.dispose()
    assert opened == 2


async def test_decisions_never_stored_before_a_stop_are_recovered_by_replay(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses until the process ends: the restart finds the events whose
    decisions are missing and applies them."""
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        failing = Failing(monkeypatch, "append_decisions")
        clock.t = T0 + 10
        (out,) = await p.submit([inside(T0 + 10)])
        assert out.verdict is Verdict.ACCEPTED
        await until(lambda: failing.calls > 0)
    finally:
        await p.stop()
    monkeypatch.undo()
    assert "zone.exclusion" not in rules_stored(db_url)

    p2 = await started(db_url, Clock(T0 + 20))
    try:
        assert [a.rule for a in p2.open_alerts()] == ["zone.exclusion"]
    finally:
        await p2.stop()
    assert rules_stored(db_url) == {"zone.exclusion"}


@pytest.mark.parametrize("write", [*DECISION_WRITES, "audit_append"])
async def test_an_operator_action_the_store_refuses_changes_nothing(
    db_url: str, write: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        clock.t = T0 + 10
        await p.submit([inside(T0 + 10)])
        await p.settle()
        (zone,) = p.open_alerts()
        failing = Failing(monkeypatch, write)
        with pytest.raises(StoreUnavailable):
            await p.act(lambda book: book.acknowledge(zone.alert_key, "operator-1", T0 + 11))
        assert failing.calls == 1
        now = p.alert(zone.alert_key)
        assert now is not None and not now.acked  # the screen does not claim it
        assert p.ready  # a refused action holds nothing: devices are still served

        failing.heal()
        await p.act(lambda book: book.acknowledge(zone.alert_key, "operator-1", T0 + 12))
        acked = p.alert(zone.alert_key)
        assert acked is not None and acked.acked and acked.acked_at == T0 + 12
    finally:
        await p.stop()
    db = open_engine(db_url)
    kinds = [t.kind.value for t in transitions(db, zone.alert_key)]
    db.dispose()
    assert kinds == ["raised", "acknowledged"]


async def test_events_the_store_refuses_are_not_acknowledged(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        append = EventLog.append

        def full_disk(self: EventLog, conn: sa.Connection, items: Any) -> Any:
            raise sa.exc.OperationalError("INSERT", {}, OSError(28, "No space left on device"))

        monkeypatch.setattr(EventLog, "append", full_disk)
        clock.t = T0 + 10
        with pytest.raises(StoreUnavailable):
            await p.submit([inside(T0 + 10)])
        monkeypatch.setattr(EventLog, "append", append)
        await until(lambda: p.ready)
        (out,) = await p.submit([inside(T0 + 10)])  # the device sends it again
        assert out.verdict is Verdict.ACCEPTED
        await p.settle()
    finally:
        await p.stop()
    assert rules_stored(db_url) == {"zone.exclusion"}


async def test_far_fix_refused_then_healed_keeps_event_order(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decisions reach the store in event order with no gap: the held evaluation
    is written before the next batch's, so the stored sequence numbers ascend."""
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        failing = Failing(monkeypatch, "save_alert")
        clock.t = T0 + 10
        await p.submit([inside(T0 + 10)])
        await until(lambda: failing.calls > 0 and not p.ready)
        failing.heal()
        await until(lambda: p.ready)
        for i in range(4):  # then he leaves: the episode returns to normal
            clock.t = T0 + 40 + 30 * i  # walking pace: a jump would be set aside as implausible
            await p.submit([Message(Fix("bracelet-1", clock.t, clock.t, *north_of(HOME, 1000),
                                        10.0, source="test"), f"out:{i}")])  # fmt: skip
        await p.settle()
    finally:
        await p.stop()
    db = open_engine(db_url)
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT seq, kind FROM decisions WHERE rule = 'zone.exclusion' ORDER BY id")
        ).all()
    db.dispose()
    assert [k for _, k in rows] == ["opened", "cleared"]
    assert [s for s, _ in rows] == sorted(s for s, _ in rows)
