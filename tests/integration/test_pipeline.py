"""The embedded pipeline end to end on a real SQLite file: ack after commit,
duplicates stored once, alerts raised and stored, restart without doubling."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from korgoo.domain.decisions import DecisionKind
from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import Message, StoreUnavailable, Verdict
from korgoo.domain.terms import DeviceKind
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.alerts import list_alerts, transitions
from korgoo.store.db import open_engine
from korgoo.store.devices import enrol_device
from korgoo.store.events import EventLog
from tests.sqlite_files import copy_database

from ..unit.engine.conftest import HOME, T0, home_zone, make_terms, north_of


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def db_url(tmp_path: Path, migrated_template: Path) -> str:
    url = f"sqlite:///{tmp_path / 'korgoo.db'}"
    copy_database(migrated_template, tmp_path / "korgoo.db")
    db = open_engine(url)
    with db.begin() as conn:
        enrol_device(conn, "bracelet-1", DeviceKind.BRACELET, at=T0)
        enrol_device(conn, "victim-app-1", DeviceKind.VICTIM_APP, secret="s3cret", at=T0)
    db.dispose()
    return url


async def started(url: str, clock: Clock) -> Pipeline:
    p = Pipeline(open_engine(url), Settings(batch_wait_ms=1.0), clock=clock)
    await p.start(tick_every=None)
    return p


def fix(t: float, pos: tuple[float, float], device: str = "bracelet-1") -> Message:
    f = Fix(device, t, t, pos[0], pos[1], 10.0, speed=1.5, source="test")  # walking
    return Message(event=f, msg_key=f"{device}:{t}:{pos}")


async def test_ack_after_commit_duplicates_and_rejections(db_url: str) -> None:
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        bad = Message(event=Fix("bracelet-1", T0 + 1, T0 + 1, 95.0, 74.6, 10.0), msg_key="bad")
        out = await p.submit([fix(T0 + 1, north_of(HOME, 3000)), bad, fix(T0 + 1, HOME)])
        assert [o.verdict for o in out] == [Verdict.ACCEPTED, Verdict.REJECTED, Verdict.ACCEPTED]
        assert out[1].reason == "coordinates_out_of_range"
        assert out[0].seq < out[2].seq
        # Once acknowledged, it is in the database: read it back on a new connection.
        with open_engine(db_url).connect() as conn:
            stored = conn.scalar(sa.text("SELECT count(*) FROM events WHERE kind = 'fix'"))
        assert stored == 2
        again = await p.submit([fix(T0 + 1, north_of(HOME, 3000))])
        assert again[0].verdict is Verdict.DUPLICATE
    finally:
        await p.stop()


async def test_zone_entry_raises_one_alert_that_survives_restart(db_url: str) -> None:
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms(zones=(home_zone(),)))
        for i in range(3):
            clock.t = T0 + 10 + i
            await p.submit([fix(clock.t, HOME)])
        await p.submit(
            [
                Message(
                    event=Signal("bracelet-1", T0 + 20, T0 + 20, SignalKind.STRAP_OPEN),
                    msg_key="strap",
                )
            ]
        )
    finally:
        await p.stop()
    db = open_engine(db_url)
    alerts = {a.rule: a for a in list_alerts(db)}
    assert set(alerts) == {"zone.exclusion", "device.strap"}
    zone = alerts["zone.exclusion"]
    assert zone.active and not zone.acked
    assert [t.kind.value for t in transitions(db, zone.alert_key)] == ["raised"]

    # Restart: the engine is rebuilt by replay; nothing is raised twice.
    p2 = await started(db_url, Clock(T0 + 30))
    try:
        assert p2.order_state("order-1") == "breach"
        await p2.act(lambda book: book.acknowledge(zone.alert_key, "operator-1", T0 + 31))
        # The strap closed again (an open strap's fixes are no evidence of where
        # he is), he leaves; the live engine clears the same alert (no new one).
        closed = Signal("bracelet-1", T0 + 35, T0 + 35, SignalKind.STRAP_CLOSED)
        await p2.submit([Message(event=closed, msg_key="strap-closed")])
        for i in range(12):  # walking away at 1.5 m/s, a fix every 30 s
            t = T0 + 40 + 30 * i
            await p2.submit([fix(t, north_of(HOME, 45 * (i + 1)))])
    finally:
        await p2.stop()
    alerts2 = list_alerts(db)
    assert len(alerts2) == 2
    kinds = [t.kind.value for t in transitions(db, zone.alert_key)]
    assert kinds == ["raised", "acknowledged", "returned_to_normal"]
    with db.connect() as conn:
        opened = conn.scalar(sa.text("SELECT count(*) FROM decisions WHERE kind = 'opened'"))
    assert opened == 2


async def test_store_down_acknowledges_nothing(db_url: str, tmp_path: Path) -> None:
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms())
        with open_engine(db_url).begin() as conn:
            conn.exec_driver_sql("DROP TABLE events")  # the store can no longer commit
        with pytest.raises(StoreUnavailable):
            await p.submit([fix(T0 + 5, HOME)])
    finally:
        await p.stop()


async def test_device_secret_is_checked_and_cached(db_url: str) -> None:
    p = await started(db_url, Clock(T0))
    try:
        assert p.authenticate("victim-app-1", "s3cret")
        assert not p.authenticate("victim-app-1", "wrong")
        assert not p.authenticate("bracelet-1", "anything")  # no secret: never passes
        assert not p.authenticate("nobody", "s3cret")
        assert p.lookup_device("bracelet-1") is not None
        assert p.lookup_device("nobody") is None
    finally:
        await p.stop()


def test_decision_kinds_are_complete() -> None:
    assert {k.value for k in DecisionKind} >= {"opened", "updated", "cleared"}


async def test_recovery_does_not_store_a_timer_decision_again(db_url: str) -> None:
    """Live, a timer's decision is stored when the clock fires it, under the last
    evaluated event; a replay makes it when it applies the next event. If that
    event was committed but its decisions were not (the process died), recovery
    must not store the timer's decision a second time."""
    clock = Clock(T0)
    p = await started(db_url, clock)
    try:
        await p.order_changed(make_terms())
        await p.submit([fix(T0 + 1, north_of(HOME, 3000))])
        clock.t = T0 + 3600  # silent for an hour: the no-signal timer fires
        effects = await p.advance()
        assert "device.no_signal" in [d.rule for d in effects.decisions]
    finally:
        await p.stop()
    db = open_engine(db_url)
    back = Fix("bracelet-1", T0 + 3601, T0 + 3601, *north_of(HOME, 3000), 10.0, source="test")
    with db.begin() as conn:  # committed; the process died before its decisions were stored
        EventLog().append(conn, [(back, "back")])
    p = await started(db_url, Clock(T0 + 3602))
    await p.stop()
    with db.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT alert_key, kind, count(*) FROM decisions GROUP BY alert_key, kind")
        ).all()
    assert {n for *_, n in stored} == {1}  # no decision twice
    bracelet = "order-1:device.no_signal:bracelet-1:1"
    assert {(key, kind) for key, kind, _ in stored} >= {(bracelet, "opened"), (bracelet, "cleared")}
    kinds = [t.kind.value for t in transitions(db, bracelet)]
    assert kinds.count("raised") == 1 and kinds[-1] == "returned_to_normal"
    db.dispose()
