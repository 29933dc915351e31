"""The event log: batched append with dedupe, replay in seq order, track queries."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from korgoo.domain.events import (
    CheckinDue,
    DeliveryDue,
    DeliveryReceipt,
    Event,
    Fix,
    OrderChange,
    Signal,
    SignalKind,
    Tick,
)
from korgoo.domain.terms import (
    DeviceKind,
    OrderKind,
    OrderStatus,
    OrderTerms,
    Party,
    ScheduleWindow,
    ZoneSpec,
)
from korgoo.store.db import open_engine
from korgoo.store.events import EventLog
from tests.sqlite_files import copy_database

T0 = 1_760_000_000.0


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> sa.Engine:
    copy_database(migrated_template, tmp_path / "korgoo.db")
    return open_engine(f"sqlite:///{tmp_path}/korgoo.db")


def fix(i: int, device: str = "860000000000001", **kw: float) -> Fix:
    return Fix(
        device_id=device,
        t=T0 + i,
        at=T0 + i + 0.5,
        lat=42.87 + i * 1e-5,
        lon=74.59 + i * 1e-5,
        acc=8.0,
        speed=1.25,
        battery=81.0,
        source="osmand",
        **kw,
    )


def every_kind_of_event() -> list[Event]:
    terms = OrderTerms(
        order_id="o1",
        version=2,
        kind=OrderKind.COURT,
        status=OrderStatus.ACTIVE,
        starts_at=T0,
        ends_at=T0 + 86400,
        district="KG-GB-LEN",
        respondent=Party("r1", "respondent", (("860000000000001", DeviceKind.BRACELET),)),
        protected=(Party("p1", "protected", (("app-1", DeviceKind.VICTIM_APP),)),),
        zones=(
            ZoneSpec(
                zone_id="home",
                name="home",
                kind="exclusion",
                geometry={"type": "Point", "coordinates": [74.6, 42.87]},
                radius_m=300.0,
                schedule=(ScheduleWindow(days=(0, 1), start=1320, end=360),),
            ),
        ),
    )
    return [
        fix(0),
        Signal(device_id="860000000000001", t=T0 + 1, at=T0 + 2, kind=SignalKind.STRAP_OPEN),
        Signal(device_id="app-1", t=T0 + 3, at=T0 + 3, kind=SignalKind.LOW_BATTERY, value=9.0),
        OrderChange(at=T0 + 4, terms=terms),
        CheckinDue(order_id="o1", at=T0 + 5, due=T0 + 905),
        Tick(at=T0 + 6),
        fix(7, mock=True),
        DeliveryDue(
            order_id="o1",
            at=T0 + 8,
            due=T0 + 68,
            message_id="m1",
            person_id="p1",
            device_id="app-1",
            level="alert",
            code="alert",
            created_at=T0 + 7.5,
            sent_at=T0 + 7.6,
            channel="stream",
            cause="o1:proximity.breach:p1:1",
        ),
        DeliveryReceipt(order_id="o1", message_id="m1", at=T0 + 9),
    ]


def append(engine: sa.Engine, items: list[tuple[Event, str | None]]) -> list[int | None]:
    with engine.begin() as conn:
        return EventLog().append(conn, items)


class EventLogContract:
    def test_every_kind_of_event_round_trips_in_seq_order(self, engine: sa.Engine) -> None:
        events = every_kind_of_event()
        seqs = append(engine, [(e, f"k{i}") for i, e in enumerate(events)])
        assert seqs == sorted(seqs)
        assert None not in seqs
        replayed = list(EventLog().iter_events(engine))
        assert replayed == list(zip(seqs, events, strict=True))

    def test_duplicates_within_a_batch_are_stored_once(self, engine: sa.Engine) -> None:
        a, b = fix(1), fix(2)
        seqs = append(engine, [(a, "x"), (b, "y"), (a, "x"), (b, None), (b, None)])
        assert seqs[2] is None
        assert None not in (seqs[0], seqs[1], seqs[3], seqs[4])
        assert len({seqs[0], seqs[1], seqs[3], seqs[4]}) == 4
        assert [e for _, e in EventLog().iter_events(engine)] == [a, b, b, b]

    def test_duplicates_across_batches_are_stored_once(self, engine: sa.Engine) -> None:
        first = append(engine, [(fix(1), "a"), (fix(2), "b")])
        second = append(engine, [(fix(3), "c"), (fix(2), "b"), (fix(4), None), (fix(1), "a")])
        assert second[1] is None
        assert second[3] is None
        assert second[0] is not None
        assert second[2] is not None
        assert second[0] > max(s for s in first if s is not None)
        assert second[2] > second[0]
        log = EventLog()
        stored = dict(log.iter_events(engine))
        assert stored[second[0]] == fix(3)
        assert stored[second[2]] == fix(4)
        assert len(stored) == 4
        assert log.max_seq(engine) == second[2]

    def test_a_batch_of_only_duplicates_stores_nothing(self, engine: sa.Engine) -> None:
        append(engine, [(fix(1), "a")])
        assert append(engine, [(fix(1), "a"), (fix(1), "a")]) == [None, None]
        assert len(list(EventLog().iter_events(engine))) == 1

    def test_a_rolled_back_batch_leaves_nothing(self, engine: sa.Engine) -> None:
        with engine.connect() as conn:
            EventLog().append(conn, [(fix(1), "a")])
            conn.rollback()
        assert EventLog().max_seq(engine) == 0
        assert append(engine, [(fix(1), "a")])[0] is not None

    def test_iter_events_pages_through_chunks_and_resumes_after_seq(
        self, engine: sa.Engine
    ) -> None:
        seqs = append(engine, [(fix(i), f"k{i}") for i in range(25)])
        log = EventLog()
        assert [s for s, _ in log.iter_events(engine, chunk=7)] == seqs
        after = seqs[9]
        assert after is not None
        resumed = list(log.iter_events(engine, after_seq=after, chunk=4))
        assert [e for _, e in resumed] == [fix(i) for i in range(10, 25)]

    def test_track_returns_one_devices_fixes_in_time_order(self, engine: sa.Engine) -> None:
        other = "860000000000002"
        items: list[tuple[Event, str | None]] = [(fix(i), None) for i in (5, 1, 3, 9)]
        items += [(fix(4, device=other), None)]
        sos = Signal(device_id="860000000000001", t=T0 + 4, at=T0 + 4, kind=SignalKind.SOS)
        items += [(sos, None)]
        append(engine, items)
        track = EventLog().track(engine, "860000000000001", T0 + 1, T0 + 5)
        assert track == [fix(1), fix(3), fix(5)]
        assert EventLog().track(engine, other, T0, T0 + 100) == [fix(4, device=other)]
        assert EventLog().track(engine, "nobody", T0, T0 + 100) == []

    def test_empty_batch_and_empty_log(self, engine: sa.Engine) -> None:
        assert append(engine, []) == []
        assert EventLog().max_seq(engine) == 0
        assert list(EventLog().iter_events(engine)) == []

    def test_query_columns_match_the_event(self, engine: sa.Engine) -> None:
        append(engine, [(e, None) for e in every_kind_of_event()])
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT kind, device_id, order_id, t, lat FROM events ORDER BY seq")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("fix", "860000000000001", None, T0, 42.87),
            ("signal", "860000000000001", None, T0 + 1, None),
            ("signal", "app-1", None, T0 + 3, None),
            ("order", None, "o1", T0 + 4, None),
            ("checkin_due", None, "o1", T0 + 5, None),
            ("tick", None, None, T0 + 6, None),
            ("fix", "860000000000001", None, T0 + 7, pytest.approx(42.87 + 7e-5)),
            ("delivery_due", "app-1", "o1", T0 + 8, None),
            ("delivery_receipt", None, "o1", T0 + 9, None),
        ]


class TestEventLogSqlite(EventLogContract):
    pass
