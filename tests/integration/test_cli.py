"""The command line as a user runs it: demo, replay, audit verify and checkpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from korgoo.cli import app
from korgoo.domain.decisions import Decision
from korgoo.engine import Engine
from korgoo.entry.app import create_app
from korgoo.entry.demo import seed_demo
from korgoo.service.health import Health
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings, get_settings
from korgoo.store.db import migrate, open_engine
from korgoo.store.orders import current_terms
from korgoo_lab.sim.population import PROBATION_ORDER
from korgoo_lab.sim.scenario import scenario_events

SCENARIOS = Path(__file__).parents[1] / "scenarios"
runner = CliRunner()


@pytest.fixture(autouse=True)
def audit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The audit log's key files and checkpoints of this test, as the environment says."""
    monkeypatch.setenv("KORGOO_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("KORGOO_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "keys" / "signing.key"))
    monkeypatch.setenv("KORGOO_AUDIT_CHECKPOINTS_FILE", str(tmp_path / "checkpoints.jsonl"))
    get_settings.cache_clear()
    yield tmp_path / "checkpoints.jsonl"
    get_settings.cache_clear()


def test_demo_without_live_view_prints_a_summary_and_keeps_the_record(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--minutes", "90", "--no-live", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Alerts raised, by rule" in result.output
    assert "Simulated 90 min" in result.output
    engine = open_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        orders = conn.scalar(sa.text("SELECT count(*) FROM orders"))
        fixes = conn.scalar(sa.text("SELECT count(*) FROM events WHERE kind = 'fix'"))
        alerts = conn.scalar(sa.text("SELECT count(*) FROM alerts"))
        devices = conn.execute(sa.text("SELECT kind, count(*) FROM devices GROUP BY kind")).all()
        police = conn.execute(
            sa.text("SELECT role, districts FROM users WHERE username = 'police-okt'")
        ).one()
        strap = conn.execute(
            sa.text("SELECT police_unit, police_district FROM alerts WHERE rule = 'device.strap'")
        ).all()
        probation = conn.execute(
            sa.text(
                "SELECT o.kind, o.district, p.role, v.zones, v.checkins_per_day, v.protected_ids"
                " FROM orders o JOIN order_versions v ON v.order_id = o.id"
                " JOIN persons p ON p.id = v.respondent_id WHERE o.kind = 'probation'"
            )
        ).all()
        officer = conn.execute(
            sa.text("SELECT role, districts FROM users WHERE username = 'probation-okt'")
        ).one()
        appointments = conn.scalar(sa.text("SELECT count(*) FROM probation_appointments"))
    # Oktyabrsky's duty officer can sign in; the strap removal went to its inspector.
    assert police[0] == "police_duty_officer" and "KG-GB-OKT" in str(police[1])
    assert strap and set(strap) == {("district_inspector", "KG-GB-OKT")}
    # The probation case: a probation client's order with a night curfew and
    # check-ins, protecting nobody, his appointment, and the district's officer.
    (kind, district, role, zones, checkins, protected) = probation[0]
    assert len(probation) == 1 and (kind, district, role) == (
        "probation",
        "KG-GB-OKT",
        "probation_client",
    )
    (curfew,) = json.loads(zones)
    assert curfew["kind"] == "inclusion" and curfew["schedule"]
    assert checkins == 2 and json.loads(protected) == []
    assert appointments == 1
    assert officer[0] == "probation_officer" and "KG-GB-OKT" in str(officer[1])
    assert orders == 19
    assert dict(devices) == {"bracelet": 6, "respondent_app": 13, "victim_app": 9}
    assert fixes > 2000
    assert alerts >= 3  # the scripted strap removal, battery and zone entry at least
    assert f"{fixes:,} fixes" in result.output
    # The demo audited the orders it created; the chain verifies.
    verify = runner.invoke(app, ["audit", "verify", "--database-url", f"sqlite:///{db}"])
    assert verify.exit_code == 0, verify.output
    assert "20 entries verified" in verify.output  # the orders and the appointment


async def test_the_demo_s_probation_officer_signs_in_and_sees_his_client(tmp_path: Path) -> None:
    """The demo's seed in a store, the API over it: `probation-okt` signs in with
    the password the terminal and the README give and finds the probation client
    on his caseload, with the curfew and the appointment; the police duty
    officer has no caseload."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate(url)
    db = open_engine(url)
    start = time.time() - 3600
    seed_demo(db, 1, start, time.time())
    pipeline = Pipeline(db, Settings(database_url=url), clock=lambda: start + 3600)
    await pipeline.start(tick_every=None)
    try:
        for terms in current_terms(db):
            await pipeline.order_changed(terms)
        app = create_app(pipeline, Health(pipeline), pipeline.settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://korgoo.test") as c:
            r = await c.post(
                "/api/v1/session", json={"username": "probation-okt", "password": "probation-demo"}
            )
            assert r.status_code == 200, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf"]
            load = (await c.get("/api/v1/caseload")).json()
            (client,) = load["clients"]
            assert client["order_id"] == PROBATION_ORDER
            assert client["client"] == "Клиент пробации 01"
            assert [z["kind"] for z in client["zones"]] == ["inclusion"]
            assert client["next_curfew"] is not None
            assert client["next_appointment"]["place"] == "Орган пробации Октябрьского района"
        async with httpx.AsyncClient(transport=transport, base_url="http://korgoo.test") as c:
            r = await c.post(
                "/api/v1/session", json={"username": "police-okt", "password": "police-demo"}
            )
            assert r.status_code == 200, r.text
            assert (await c.get("/api/v1/caseload")).status_code == 403
    finally:
        await pipeline.stop()
        db.dispose()


def test_audit_verify_detects_an_edit(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert (
        runner.invoke(app, ["demo", "--minutes", "5", "--no-live", "--db", str(db)]).exit_code == 0
    )
    url = f"sqlite:///{db}"
    with open_engine(url).begin() as conn:
        # The database refuses edits; someone with the file can drop the trigger first.
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone else' WHERE id = 7")
    result = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert result.exit_code == 1
    assert "broken at entry 7" in result.output


def test_checkpoint_then_verify_finds_deleted_newest_rows_and_an_edited_checkpoint(
    tmp_path: Path, audit_files: Path
) -> None:
    db = tmp_path / "demo.db"
    assert (
        runner.invoke(app, ["demo", "--minutes", "5", "--no-live", "--db", str(db)]).exit_code == 0
    )
    url = f"sqlite:///{db}"
    done = runner.invoke(app, ["audit", "checkpoint", "--database-url", url])
    assert done.exit_code == 0, done.output
    assert "checkpoint: entry 20" in done.output
    assert runner.invoke(app, ["audit", "verify", "--database-url", url]).exit_code == 0
    signed = audit_files.read_text()

    # The checkpoint edited to match a shorter log: its signature fails.
    line = json.loads(signed) | {"seq": 18}
    audit_files.write_text(json.dumps(line) + "\n")
    result = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert result.exit_code == 1 and "signature does not match" in result.output

    # The two newest rows deleted: the (intact) checkpoint saw more.
    audit_files.write_text(signed)
    with open_engine(url).begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id > 18")
    result = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert result.exit_code == 1
    assert "newest rows were deleted" in " ".join(result.output.split())
    # And no checkpoint is signed over the shortened log.
    again = runner.invoke(app, ["audit", "checkpoint", "--database-url", url])
    assert again.exit_code == 1 and "no checkpoint written" in again.output
    assert audit_files.read_text() == signed


def test_replay_prints_the_engines_decisions(tmp_path: Path) -> None:
    spec = json.loads((SCENARIOS / "approach_and_breach.json").read_text())
    events = scenario_events(spec)
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in events))
    result = runner.invoke(app, ["replay", str(log), "--json"])
    assert result.exit_code == 0, result.output
    printed = [msgspec.json.decode(line, type=Decision) for line in result.stdout.splitlines()]
    assert printed == Engine().apply_all(events)
    assert any(d.rule == "proximity.breach" for d in printed)


def test_replay_names_a_bad_line(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"type": "tick", "at": 1}\n{"type": "fix", "lat": "north"}\n')
    result = runner.invoke(app, ["replay", str(log)])
    assert result.exit_code == 2
    assert "line 2" in result.output
