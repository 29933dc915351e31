"""Retention: what is past its period goes, what an open case or an exported
bundle needs stays, each removal leaves a tombstone and an audit entry, the
append-only guards still refuse an ordinary DELETE, the audit chain still
verifies and what remains still replays. `RetentionContract` runs on SQLite here
and on PostgreSQL in tests/integration/test_store_postgres.py."""

from __future__ import annotations

from pathlib import Path

import msgspec
import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from korgoo.domain.decisions import Decision
from korgoo.domain.events import Event, Fix, OrderChange
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo.engine import Engine
from korgoo.settings import Settings, get_settings
from korgoo.store.audit import (
    AuditKeys,
    audit_append,
    audit_checkpoint,
    audit_entries,
    audit_keys,
    audit_verify,
)
from korgoo.store.db import open_engine
from korgoo.store.decisions import append_decisions
from korgoo.store.events import EventLog
from korgoo.store.evidence import order_events
from korgoo.store.orders import create_order, end_order
from korgoo.store.registry import PersonRole, create_person
from korgoo.store.retention import Periods, plan, run_retention, tombstones
from korgoo.store.schema import (
    alert_transitions,
    alerts,
    audit_log,
    checkins,
    decisions,
    events,
    notifications,
    probation_appointments,
    probation_reviews,
    variation_requests,
)
from tests.sqlite_files import copy_database

DAY = 86_400.0
T0 = 1_700_000_000.0  # the old order's time
NOW = T0 + 3 * 365 * DAY
HOME = (42.8600, 74.6200)
DISTRICT = "KG-GB"
PERIODS = Periods(
    events=365 * DAY,
    decisions=2 * 365 * DAY,
    alerts=2 * 365 * DAY,
    notifications=365 * DAY,
    checkin_photos=90 * DAY,
    audit_log=2 * 365 * DAY,
    export_hold=5 * 365 * DAY,
    probation=2 * 365 * DAY,
)
PROBATION = (probation_appointments, probation_reviews, variation_requests)
TABLES = (
    events,
    decisions,
    alerts,
    alert_transitions,
    notifications,
    checkins,
    *PROBATION,
    audit_log,
)


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> sa.Engine:
    copy_database(migrated_template, tmp_path / "korgoo.db")
    return open_engine(f"sqlite:///{tmp_path}/korgoo.db")


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(
        audit_key_file=str(tmp_path / "keys" / "audit.key"),
        audit_signing_key_file=str(tmp_path / "keys" / "audit-signing.key"),
        audit_checkpoints_file=str(tmp_path / "audit-checkpoints.jsonl"),
        **kw,  # type: ignore[arg-type]
    )


class World:
    # A plain class: the PostgreSQL run loads this module without registering it,
    # which dataclasses cannot handle.
    def __init__(self, engine: sa.Engine, keys: AuditKeys, photos: Path) -> None:
        self.engine, self.keys, self.photos = engine, keys, photos
        self.log, self.machine = EventLog(), Engine()

    def append(self, event: Event) -> int:
        with self.engine.begin() as conn:
            (seq,) = self.log.append(conn, [(event, None)])
            assert seq is not None
            append_decisions(conn, [(seq, d) for d in self.machine.apply(event)])
        return seq

    def order(self, name: str, t: float, *, ends_at: float, resolved: bool = True) -> None:
        """An order from `t`: registered, its first version and a zone breach in the
        log (with the engine's decisions), an alert, a notification, a check-in photo."""
        bracelet = f"bracelet-{name}"
        with self.engine.begin() as conn:
            for role in ("respondent", "protected"):
                create_person(
                    conn,
                    role=PersonRole(role),
                    display_name=f"{role} {name}",
                    district=DISTRICT,
                    person_id=f"{role}-{name}",
                    at=t,
                )
            create_order(
                conn,
                number=f"N-{name}",
                kind=OrderKind.COURT,
                issuing_authority="court",
                legal_basis="law",
                district=DISTRICT,
                respondent_id=f"respondent-{name}",
                protected_ids=[f"protected-{name}"],
                starts_at=t,
                ends_at=max(ends_at, t + 30 * DAY),
                actor="supervisor",
                order_id=name,
                at=t,
            )
            if ends_at < t + 30 * DAY:
                end_order(conn, name, reason="ended", actor="supervisor", at=ends_at)
            audit_append(conn, "supervisor", "order.created", name, {}, at=t, key=self.keys.chain)
        terms = OrderTerms(
            order_id=name,
            version=1,
            kind=OrderKind.COURT,
            status=OrderStatus.ACTIVE,
            starts_at=t,
            ends_at=max(ends_at, t + 30 * DAY),
            district=DISTRICT,
            respondent=Party(
                f"respondent-{name}", "respondent", ((bracelet, DeviceKind.BRACELET),)
            ),
            protected=(Party(f"protected-{name}", "protected", ()),),
            min_distance_m=500.0,
            warning_distance_m=1000.0,
            zones=(
                ZoneSpec(
                    zone_id="home",
                    name="Home",
                    kind="exclusion",
                    geometry={"type": "Point", "coordinates": [HOME[1], HOME[0]]},
                    radius_m=200.0,
                ),
            ),
        )
        self.append(OrderChange(at=t, terms=terms))
        for i in range(1, 6):
            self.append(Fix(bracelet, t + 60 * i, t + 60 * i, HOME[0], HOME[1], 10.0))
        key = f"{name}:zone"
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(alerts).values(
                    alert_key=key,
                    order_id=name,
                    rule="zone.exclusion",
                    subject="home",
                    district=DISTRICT,
                    priority="P1",
                    pages=True,
                    opened_at=t + 60,
                    occurred_at=t + 60,
                    active=not resolved,
                    acked=True,
                    resolved=resolved,
                    late=False,
                    resolved_at=t + 3600 if resolved else None,
                    escalations_done=0,
                    policy={},
                    stages=[],
                    evidence={},
                )
            )
            for kind, at in (("opened", t + 60), ("resolved", t + 3600)):
                conn.execute(
                    sa.insert(alert_transitions).values(
                        alert_key=key,
                        kind=kind,
                        at=at,
                        actor="operator",
                        active=False,
                        acked=True,
                        resolved=kind == "resolved",
                        details={},
                    )
                )
            conn.execute(
                sa.insert(notifications).values(
                    id=f"n-{name}",
                    created_at=t + 60,
                    order_id=name,
                    alert_key=key,
                    person_id=f"protected-{name}",
                    recipient="protected",
                    template="alert",
                    language="ru",
                    route=[["sms", "+996555000000"]],
                    step=0,
                    attempts=0,
                    status="delivered",
                )
            )
            photo = self.photos / f"{name}.jpg"
            photo.write_bytes(b"\xff\xd8photo")
            conn.execute(
                sa.insert(checkins).values(
                    id=f"c-{name}",
                    order_id=name,
                    day="2023-11-14",
                    send_at=t + 600,
                    sent_at=t + 600,
                    photo_path=str(photo),
                    photo_at=t + 700,
                )
            )
        self.probation(name, t + DAY, f"{name}-1")

    def probation(self, name: str, t: float, ref: str) -> None:
        """The order's probation records written at `t`: a reporting appointment
        with its outcome, the officer's review of the alert, a variation request
        decided."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(probation_appointments).values(
                    id=f"a-{ref}",
                    order_id=name,
                    at=t - 3600,
                    place="office",
                    created_by="probation",
                    created_at=t - 7 * DAY,
                    outcome="attended",
                    outcome_by="probation",
                    outcome_at=t,
                )
            )
            conn.execute(
                sa.insert(probation_reviews).values(
                    alert_key=f"{name}:zone",
                    order_id=name,
                    reviewed_by="probation",
                    reviewed_at=t,
                    note=f"review {ref}",
                )
            )
            conn.execute(
                sa.insert(variation_requests).values(
                    id=f"v-{ref}",
                    order_id=name,
                    requested_by="probation",
                    requested_at=t - DAY,
                    zone_id="home",
                    exceptions=[],
                    reason="work shift",
                    status="refused",
                    decided_by="supervisor",
                    decided_at=t,
                )
            )

    def export(self, name: str, at: float) -> None:
        with self.engine.begin() as conn:
            details = {"what": "evidence bundle", "order_id": name, "reason": "court"}
            audit_append(
                conn,
                "supervisor",
                "evidence.export",
                f"order:{name}",
                details,
                at=at,
                key=self.keys.chain,
            )


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0 for t in TABLES}


def what_of(engine: sa.Engine, order_id: str) -> dict[str, int]:
    """How many records of each kind the order still has."""
    with engine.connect() as conn:
        n = {
            "order_events": conn.scalar(
                sa.select(sa.func.count()).where(events.c.order_id == order_id)
            ),
            "fixes": conn.scalar(
                sa.select(sa.func.count()).where(events.c.device_id == f"bracelet-{order_id}")
            ),
            "decisions": conn.scalar(
                sa.select(sa.func.count()).where(decisions.c.order_id == order_id)
            ),
            "alerts": conn.scalar(sa.select(sa.func.count()).where(alerts.c.order_id == order_id)),
            "notifications": conn.scalar(
                sa.select(sa.func.count()).where(notifications.c.order_id == order_id)
            ),
            "photos": conn.scalar(
                sa.select(sa.func.count()).where(
                    checkins.c.order_id == order_id, checkins.c.photo_path.is_not(None)
                )
            ),
        } | {
            table.name: conn.scalar(sa.select(sa.func.count()).where(table.c.order_id == order_id))
            for table in PROBATION
        }
    return {k: int(v or 0) for k, v in n.items()}


def replayed(engine: sa.Engine, order_id: str) -> list[bytes]:
    machine = Engine()
    encode = msgspec.json.Encoder().encode
    return [
        encode(d)
        for _, e in order_events(engine, order_id, NOW)
        for d in machine.apply(e)
        if isinstance(d, Decision) and d.order_id == order_id
    ]


class RetentionContract:
    @pytest.fixture
    def keys(self, tmp_path: Path) -> AuditKeys:
        return audit_keys(_settings(tmp_path))

    @pytest.fixture
    def world(self, engine: sa.Engine, keys: AuditKeys, tmp_path: Path) -> World:
        photos = tmp_path / "photos"
        photos.mkdir()
        w = World(engine, keys, photos)
        w.order("old", T0, ends_at=T0 + 10 * DAY)
        return w

    @pytest.mark.parametrize("hold", ["in_force", "open_alert", "exported"])
    def test_past_period_records_go_and_a_held_order_s_stay(
        self, world: World, hold: str, tmp_path: Path
    ) -> None:
        t = T0 + 5 * DAY  # as old as the old order: only the hold keeps it
        if hold == "in_force":
            world.order("held", t, ends_at=NOW + 30 * DAY)
        elif hold == "open_alert":
            world.order("held", t, ends_at=t + 10 * DAY, resolved=False)
        else:
            world.order("held", t, ends_at=t + 10 * DAY)
            world.export("held", NOW - 30 * DAY)
        held_before = what_of(world.engine, "held")
        decisions_before = replayed(world.engine, "held")
        assert held_before["fixes"] == 5 and held_before["decisions"] > 0 and decisions_before

        removed = run_retention(world.engine, PERIODS, NOW, world.keys)

        assert what_of(world.engine, "old") == dict.fromkeys(held_before, 0)
        assert not (tmp_path / "photos" / "old.jpg").exists()
        assert what_of(world.engine, "held") == held_before
        assert (tmp_path / "photos" / "held.jpg").exists()
        assert {r.kind for r in removed} >= {
            "events",
            "decisions",
            "alerts",
            "notifications",
            "checkin_photos",
            "probation_appointments",
            "probation_reviews",
            "variation_requests",
            "audit_log",
        }
        # Replay of what remains still reaches the held order's decisions.
        assert replayed(world.engine, "held") == decisions_before

    def test_probation_records_go_past_their_period_and_recent_ones_stay(
        self, world: World
    ) -> None:
        # The old order's records written a month ago (an officer's late review):
        # within the period, they stay while those of three years ago go.
        world.probation("old", NOW - 30 * DAY, "old-2")
        before = what_of(world.engine, "old")
        assert [before[t.name] for t in PROBATION] == [2, 2, 2]

        run_retention(world.engine, PERIODS, NOW, world.keys)

        with world.engine.connect() as conn:
            kept = {
                "appointments": list(conn.scalars(sa.select(probation_appointments.c.id))),
                "reviews": list(conn.scalars(sa.select(probation_reviews.c.note))),
                "variations": list(conn.scalars(sa.select(variation_requests.c.id))),
            }
        assert kept == {
            "appointments": ["a-old-2"],
            "reviews": ["review old-2"],
            "variations": ["v-old-2"],
        }
        stones = {s.kind: s for s in tombstones(world.engine)}
        assert stones["probation_appointments"].details["ids"] == ["a-old-1"]
        assert stones["variation_requests"].details["ids"] == ["v-old-1"]
        assert stones["probation_reviews"].count == 1

    def test_each_removal_leaves_a_tombstone_and_an_audit_entry(self, world: World) -> None:
        removed = run_retention(world.engine, PERIODS, NOW, world.keys)
        stones = tombstones(world.engine)
        assert sorted((s.kind, s.count) for s in stones) == sorted(
            (r.kind, r.count) for r in removed
        )
        alerts_stone = next(s for s in stones if s.kind == "alerts")
        assert alerts_stone.details["ids"] == ["old:zone"] and alerts_stone.details["actions"] == 2
        events_stone = next(s for s in stones if s.kind == "events")
        assert (events_stone.first_id, events_stone.count) == ("1", 6)
        entries = audit_entries(world.engine, action="retention.removed")
        assert sorted(e.subject for e in entries) == sorted(f"retention:{r.kind}" for r in removed)
        audit_stone = next(s for s in stones if s.kind == "audit_log")
        assert audit_stone.details["audit_log"]["kept_from"] == int(audit_stone.last_id or 0) + 1

    def test_the_audit_log_still_verifies_after_retention(self, world: World) -> None:
        world.order("new", NOW - DAY, ends_at=NOW + 30 * DAY)
        audit_checkpoint(world.engine, world.keys, at=NOW - 1)
        run_retention(world.engine, PERIODS, NOW, world.keys)
        with world.engine.connect() as conn:
            first = conn.scalar(sa.select(sa.func.min(audit_log.c.id)))
        assert first is not None and first > 1  # the old entries did go
        result = audit_verify(world.engine, world.keys)
        assert result.ok, result.reason
        audit_checkpoint(world.engine, world.keys, at=NOW + 1)
        assert audit_verify(world.engine, world.keys).ok
        # A second run later cuts again, and the chain still verifies.
        run_retention(world.engine, PERIODS, NOW + 400 * DAY, world.keys)
        assert audit_verify(world.engine, world.keys).ok

    def test_a_cut_without_its_retention_entry_is_found(self, world: World) -> None:
        world.order("new", NOW - DAY, ends_at=NOW + 30 * DAY)
        run_retention(world.engine, PERIODS, NOW, world.keys)
        with world.engine.begin() as conn:  # an intruder drops the guards and the vouching entry
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            else:
                conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
            first = conn.scalar(sa.select(sa.func.min(audit_log.c.id)))
            conn.execute(sa.delete(audit_log).where(audit_log.c.id == first))
        result = audit_verify(world.engine, world.keys)
        assert not result.ok and "retention" in result.reason

    def test_an_ordinary_delete_is_still_refused(self, world: World) -> None:
        run_retention(world.engine, PERIODS, NOW, world.keys)
        world.order("new", NOW - DAY, ends_at=NOW + 30 * DAY)
        for table in ("events", "decisions", "alert_transitions", "audit_log"):
            with (
                pytest.raises(sa.exc.DBAPIError, match="append-only"),
                world.engine.begin() as conn,
            ):
                conn.exec_driver_sql(f"DELETE FROM {table}")
            with (
                pytest.raises(sa.exc.DBAPIError, match="append-only"),
                world.engine.begin() as conn,
            ):
                conn.exec_driver_sql(f"UPDATE {table} SET at = 0")

    def test_a_lease_allows_only_rows_older_than_its_cutoff(self, world: World) -> None:
        world.order("new", NOW - DAY, ends_at=NOW + 30 * DAY)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), world.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO retention_lease (tbl, before_at) VALUES ('events', %s)" % (T0 + DAY)
            )
            conn.exec_driver_sql("DELETE FROM events")  # the new order's events are newer

    def test_a_dry_run_changes_nothing(self, world: World) -> None:
        world.order("new", NOW - DAY, ends_at=NOW + 30 * DAY)
        before = counts(world.engine)
        planned = {r.kind: r.count for r in plan(world.engine, PERIODS, NOW)}
        assert counts(world.engine) == before
        assert tombstones(world.engine) == []
        removed = {r.kind: r.count for r in run_retention(world.engine, PERIODS, NOW, world.keys)}
        assert {k: n for k, n in planned.items() if n} == removed

    def test_a_dry_run_agrees_with_a_later_second_run(self, world: World) -> None:
        world.order("new", NOW - DAY, ends_at=NOW + 30 * DAY)
        run_retention(world.engine, PERIODS, NOW, world.keys)
        later = NOW + 3 * 365 * DAY  # the new order is past every period too
        planned = {r.kind: r.count for r in plan(world.engine, PERIODS, later) if r.count}
        removed = {r.kind: r.count for r in run_retention(world.engine, PERIODS, later, world.keys)}
        assert planned.pop("decisions") == removed.pop("decisions") > 0
        # The run's own audit entries are newer than the plan saw: compare the rest.
        planned.pop("audit_log", None), removed.pop("audit_log", None)
        assert planned == removed and removed["events"] == 6
        assert what_of(world.engine, "new") == dict.fromkeys(what_of(world.engine, "old"), 0)
        assert audit_verify(world.engine, world.keys).ok


class TestRetentionSqlite(RetentionContract):
    async def test_a_restart_replays_what_remains(self, world: World) -> None:
        from korgoo.service.pipeline import Pipeline

        world.order("held", T0 + 5 * DAY, ends_at=NOW + 30 * DAY)
        run_retention(world.engine, PERIODS, NOW, world.keys)
        before = counts(world.engine)
        p = Pipeline(world.engine, Settings(batch_wait_ms=1.0), clock=lambda: NOW)
        await p.start(tick_every=None)
        try:
            assert p.order_terms("held") is not None  # monitored again from its first version
            assert p.order_terms("old") is None
        finally:
            await p.stop()
        # Nothing removed is made again, nothing kept is doubled.
        assert counts(world.engine) == before

    def test_the_cli_dry_run_prints_counts_and_changes_nothing(
        self, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from korgoo.cli import app

        url = str(world.engine.url)
        monkeypatch.setenv("KORGOO_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
        monkeypatch.setenv(
            "KORGOO_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "keys" / "audit-signing.key")
        )
        monkeypatch.setenv("KORGOO_AUDIT_CHECKPOINTS_FILE", str(tmp_path / "cp.jsonl"))
        # The world is three years old: everything of the old order is past its period.
        monkeypatch.setenv("KORGOO_RETENTION_POSITIONS_DAYS", "1")
        get_settings.cache_clear()
        before = counts(world.engine)
        runner = CliRunner()
        dry = runner.invoke(app, ["retention", "--dry-run", "--database-url", url])
        assert dry.exit_code == 0, dry.output
        assert "events" in dry.output and "nothing changed" in dry.output
        assert counts(world.engine) == before
        done = runner.invoke(app, ["retention", "--database-url", url])
        assert done.exit_code == 0, done.output
        assert counts(world.engine)["events"] < before["events"]
        verify = runner.invoke(app, ["audit", "verify", "--database-url", url])
        assert verify.exit_code == 0, verify.output
        get_settings.cache_clear()


def test_details_of_the_audit_cut_are_canonical_json(engine: sa.Engine, tmp_path: Path) -> None:
    keys = audit_keys(_settings(tmp_path))
    for i in range(3):
        with engine.begin() as conn:
            audit_append(conn, "a", "x", "s", {}, at=T0 + i, key=keys.chain)
    run_retention(engine, PERIODS, NOW, keys)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(audit_log).where(audit_log.c.action == "retention.removed")
        ).one()
    cut = orjson.loads(row.details)["audit_log"]
    assert cut["kept_from"] == 3 and len(cut["prev_hash"]) == 64  # the newest entry stays


async def test_serve_runs_retention_on_its_schedule(engine: sa.Engine, tmp_path: Path) -> None:
    import asyncio

    from korgoo.entry.retention import retain_periodically

    settings = _settings(tmp_path, retention_positions_days=1.0, retention_every_s=3600.0)
    photos = tmp_path / "photos"
    photos.mkdir()
    World(engine, audit_keys(settings), photos).order("old", T0, ends_at=T0 + 10 * DAY)
    stop = asyncio.Event()
    task = asyncio.create_task(retain_periodically(engine, settings, stop, first_after_s=0.01))
    for _ in range(200):
        if tombstones(engine):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert "events" in {s.kind for s in tombstones(engine)}
    assert audit_verify(engine, audit_keys(settings)).ok


def test_a_lease_left_committed_stops_the_run(engine: sa.Engine, tmp_path: Path) -> None:
    from korgoo.store.retention import LeftLeaseError

    keys = audit_keys(_settings(tmp_path))
    with engine.begin() as conn:  # SQLite cannot refuse to commit one; the job notices
        conn.exec_driver_sql("INSERT INTO retention_lease (tbl, before_at) VALUES ('events', 1)")
    with pytest.raises(LeftLeaseError, match="events"):
        run_retention(engine, PERIODS, NOW, keys)
