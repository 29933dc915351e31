"""The command line as a user runs it: demo, replay, audit verify and checkpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from korgoo.cli import app
from korgoo.domain.decisions import Decision
from korgoo.engine import Engine
from korgoo.settings import get_settings
from korgoo.store.db import open_engine
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
    # Oktyabrsky's duty officer can sign in; the strap removal went to its inspector.
    assert police[0] == "police_duty_officer" and "KG-GB-OKT" in str(police[1])
    assert strap and set(strap) == {("district_inspector", "KG-GB-OKT")}
    assert orders == 18
    assert dict(devices) == {"bracelet": 6, "respondent_app": 12, "victim_app": 9}
    assert fixes > 2000
    assert alerts >= 3  # the scripted strap removal, battery and zone entry at least
    assert f"{fixes:,} fixes" in result.output
    # The demo audited the orders it created; the chain verifies.
    verify = runner.invoke(app, ["audit", "verify", "--database-url", f"sqlite:///{db}"])
    assert verify.exit_code == 0, verify.output
    assert "18 entries verified" in verify.output


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
    assert "checkpoint: entry 18" in done.output
    assert runner.invoke(app, ["audit", "verify", "--database-url", url]).exit_code == 0
    signed = audit_files.read_text()

    # The checkpoint edited to match a shorter log: its signature fails.
    line = json.loads(signed) | {"seq": 16}
    audit_files.write_text(json.dumps(line) + "\n")
    result = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert result.exit_code == 1 and "signature does not match" in result.output

    # The two newest rows deleted: the (intact) checkpoint saw more.
    audit_files.write_text(signed)
    with open_engine(url).begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id > 16")
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
