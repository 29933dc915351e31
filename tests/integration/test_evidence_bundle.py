"""Evidence bundles from a real breach: a fresh export verifies; a byte flipped in
any file, a changed decision, a broken or foreign signature, other rule versions
each fail and say which; a bundle re-signed consistently around decisions the
engine does not make fails the replay. The CLI and the API export and verify."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from korgoo.cli import app
from korgoo.domain.rules import CATALOGUE, Rule
from korgoo.engine.params import DEFAULT_PARAMS
from korgoo.evidence.bundle import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    Selection,
    alert_selection,
    collect,
    export_bundle,
)
from korgoo.evidence.keys import fingerprint, public_pem, signing_key
from korgoo.evidence.verify import Verdict, verify_bundle
from korgoo.settings import get_settings
from korgoo.store.audit import audit_entries, audit_verify

from ..unit.engine.conftest import T0
from .api_world import World, iso, proximity_breach, world_fixture, zone_breach

__all__ = ["world_fixture"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def audit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KORGOO_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("KORGOO_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "keys" / "signing.key"))
    monkeypatch.setenv("KORGOO_AUDIT_CHECKPOINTS_FILE", str(tmp_path / "checkpoints.jsonl"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def centre_key() -> Ed25519PrivateKey:
    return signing_key(get_settings())


async def export_alert(w: World, key: str) -> bytes:
    evidence = collect(
        w.pipeline.db, alert_selection(w.pipeline.db, key, w.clock()), DEFAULT_PARAMS
    )
    done = export_bundle(
        w.pipeline.db,
        evidence,
        key=centre_key(),
        actor="supervisor",
        reason="court request 12/2026",
        now=w.clock(),
    )
    return done.data


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in files.items():
            z.writestr(name, body)
    return buf.getvalue()


def resign(files: dict[str, bytes], key: Ed25519PrivateKey, **manifest_changes: object) -> bytes:
    """The bundle made consistent again: hashes recomputed, the manifest signed."""
    manifest = orjson.loads(files[MANIFEST])
    manifest.update(manifest_changes)
    for name in manifest["files"]:
        body = files[name]
        manifest["files"][name] = {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
    raw = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    return rezip({**files, MANIFEST: raw, SIGNATURE: key.sign(raw).hex().encode()})


def failed(verdict: Verdict) -> dict[str, str]:
    return {c.name: c.detail for c in verdict.checks if not c.ok}


async def test_fresh_export_verifies_by_replay_and_is_audited(w: World) -> None:
    key = await zone_breach(w)
    data = await export_alert(w, key)
    verdict = verify_bundle(data, centre_key().public_key())
    assert verdict.ok, failed(verdict)
    replay = next(c for c in verdict.checks if c.name == "replay")
    assert "byte for byte" in replay.detail
    files = unzip(data)
    decisions = [orjson.loads(line) for line in files["decisions.jsonl"].splitlines()]
    assert any(d["alert_key"] == key and d["kind"] == "opened" for d in decisions)
    manifest = verdict.manifest
    assert manifest["selection"]["alert_key"] == key
    assert manifest["selection"]["order_number"] == "OKT-1"
    assert manifest["rules"]["zone.exclusion"] == CATALOGUE[Rule.ZONE_EXCLUSION].version
    assert manifest["audit_head"]["seq"] >= 0
    assert manifest["public_key_fingerprint"] == fingerprint(centre_key().public_key())
    assert set(manifest["files"]) == set(files) - {MANIFEST, SIGNATURE}
    # The events start at the order's first version.
    first = orjson.loads(files["events.jsonl"].splitlines()[0])
    assert first["type"] == "order" and first["terms"]["order_id"] == "order-okt"
    entry = audit_entries(w.pipeline.db, action="evidence.export")[0]
    assert entry.actor == "supervisor" and entry.subject == f"alert:{key}"
    assert entry.details["reason"] == "court request 12/2026"
    assert entry.details["manifest_sha256"] == hashlib.sha256(files[MANIFEST]).hexdigest()
    assert audit_verify(w.pipeline.db).ok


async def test_a_byte_flipped_in_any_file_fails_and_says_which(w: World) -> None:
    data = await export_alert(w, await proximity_breach(w))
    files = unzip(data)
    for name, body in files.items():
        i = len(body) // 2
        broken = {**files, name: body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]}
        verdict = verify_bundle(rezip(broken), centre_key().public_key())
        assert not verdict.ok, name
        problems = failed(verdict)
        if name in (MANIFEST, SIGNATURE, PUBLIC_KEY):
            assert "signature" in problems, (name, problems)
        if name not in (MANIFEST, SIGNATURE):
            assert problems.get(f"file {name}") == "SHA-256 does not match the manifest"


async def test_a_changed_decision_fails_its_hash(w: World) -> None:
    files = unzip(await export_alert(w, await zone_breach(w)))
    lines = files["decisions.jsonl"].splitlines()
    lines[0] = lines[0].replace(b'"P2"', b'"P4"')
    files["decisions.jsonl"] = b"\n".join(lines) + b"\n"
    verdict = verify_bundle(rezip(files), centre_key().public_key())
    assert failed(verdict) == {
        "file decisions.jsonl": "SHA-256 does not match the manifest",
        "replay": "not replayed: the bundle is not intact",
    }


async def test_a_broken_or_foreign_signature_fails(w: World) -> None:
    files = unzip(await export_alert(w, await zone_breach(w)))
    sig = bytearray(bytes.fromhex(files[SIGNATURE].decode()))
    sig[0] ^= 0xFF
    verdict = verify_bundle(rezip({**files, SIGNATURE: sig.hex().encode()}))
    assert "does not match manifest.json" in failed(verdict)["signature"]
    # Re-signed with another key that the bundle now carries: consistent in itself,
    # but not the centre's key.
    other = Ed25519PrivateKey.generate()
    forged = resign({**files, PUBLIC_KEY: public_pem(other.public_key())}, other)
    assert verify_bundle(forged).ok  # only the published key tells
    against_centre = verify_bundle(forged, centre_key().public_key())
    assert "not the public key given" in failed(against_centre)["signature"]


async def test_replay_really_replays_decisions_resigned_consistently(w: World) -> None:
    files = unzip(await export_alert(w, await zone_breach(w)))
    lines = files["decisions.jsonl"].splitlines()
    n = next(i for i, line in enumerate(lines) if b'"opened"' in line)
    lines[n] = lines[n].replace(b'"priority":"P2"', b'"priority":"P3"')
    assert lines[n] != files["decisions.jsonl"].splitlines()[n]
    tampered = resign({**files, "decisions.jsonl": b"\n".join(lines) + b"\n"}, centre_key())
    verdict = verify_bundle(tampered, centre_key().public_key())
    problems = failed(verdict)
    assert list(problems) == ["replay"], problems
    assert problems["replay"].startswith(f"decision {n + 1} differs")
    # One decision fewer: the count is what differs.
    fewer = files["decisions.jsonl"].splitlines()[:-1]
    shorter = resign({**files, "decisions.jsonl": b"\n".join(fewer) + b"\n"}, centre_key())
    assert "holds" in failed(verify_bundle(shorter))["replay"]


async def test_other_rule_versions_are_refused(w: World) -> None:
    files = unzip(await export_alert(w, await zone_breach(w)))
    manifest = orjson.loads(files[MANIFEST])
    other = CATALOGUE[Rule.ZONE_EXCLUSION].version + 1
    rules = {**manifest["rules"], "zone.exclusion": other}
    verdict = verify_bundle(resign(files, centre_key(), rules=rules))
    problems = failed(verdict)
    assert list(problems) == ["rule versions"]
    assert "refused" in problems["rule versions"]
    this = CATALOGUE[Rule.ZONE_EXCLUSION].version
    assert f"zone.exclusion: bundle v{other}, this software v{this}" in problems["rule versions"]


async def test_an_order_range_replays_from_the_order_start(w: World) -> None:
    await zone_breach(w)
    await proximity_breach(w)
    sel = Selection("order-okt", T0 + 60, w.clock())
    evidence = collect(w.pipeline.db, sel, DEFAULT_PARAMS)
    assert evidence.events[0][1].at < sel.from_at  # the lead-in replay needs
    assert {a.rule for a, _ in evidence.alerts} >= {"zone.exclusion", "proximity.breach"}
    done = export_bundle(
        w.pipeline.db, evidence, key=centre_key(), actor="cli", reason="audit", now=w.clock()
    )
    verdict = verify_bundle(done.data)
    assert verdict.ok, failed(verdict)
    # The other order's events are not in it.
    assert b"bracelet-len" not in unzip(done.data)["events.jsonl"]


async def test_cli_exports_and_verifies_and_prints_the_fingerprint(
    w: World, tmp_path: Path
) -> None:
    key = await zone_breach(w)
    out = tmp_path / "bundle.zip"
    pub = tmp_path / "centre.pem"
    exported = runner.invoke(
        app,
        [
            *("evidence", "export", "--alert", key, "--reason", "court", "-o", str(out)),
            *("--actor", "clerk", "--database-url", w.url),
        ],
    )
    assert exported.exit_code == 0, exported.output
    printed = fingerprint(centre_key().public_key())
    assert printed in exported.output
    published = runner.invoke(app, ["evidence", "key", "-o", str(pub)])
    assert published.exit_code == 0 and printed in published.output
    ok = runner.invoke(app, ["evidence", "verify", str(out), "--public-key", str(pub)])
    assert ok.exit_code == 0, ok.output
    assert "the bundle verifies" in ok.output and printed in ok.output
    files = unzip(out.read_bytes())
    files["events.jsonl"] = files["events.jsonl"].replace(b'"lat":', b'"lat": ', 1)
    out.write_bytes(rezip(files))
    bad = runner.invoke(app, ["evidence", "verify", str(out)])
    assert bad.exit_code == 1
    assert "FAIL file events.jsonl" in bad.output and "does NOT verify" in bad.output
    assert audit_entries(w.pipeline.db, action="evidence.export")[0].actor == "clerk"
    missing = runner.invoke(
        app, ["evidence", "export", "--order", "order-okt", "--reason", "x", "-o", str(out)]
    )
    assert missing.exit_code != 0


async def test_cli_exports_an_order_range_with_its_report(w: World, tmp_path: Path) -> None:
    await zone_breach(w)
    out, pdf = tmp_path / "order.zip", tmp_path / "order.pdf"
    args = ["evidence", "export", "--order", "order-okt", "--from", iso(T0 + 60)]
    args += ["--to", iso(w.clock()), "--reason", "court", "-o", str(out), "--pdf", str(pdf)]
    exported = runner.invoke(app, [*args, "--language", "en", "--database-url", w.url])
    assert exported.exit_code == 0, exported.output
    assert pdf.read_bytes().startswith(b"%PDF")
    verdict = verify_bundle(out.read_bytes())
    assert verdict.ok, failed(verdict)
    assert verdict.manifest["selection"]["alert_key"] is None
    assert verdict.manifest["selection"]["to"] == w.clock()
    whats = {e.details["what"] for e in audit_entries(w.pipeline.db, action="evidence.export")}
    assert whats == {"evidence bundle", "evidence report"}
    unknown = runner.invoke(
        app,
        [*args[:3], "no-such-order", *args[4:], "--database-url", w.url],
    )
    assert unknown.exit_code == 2 and "no order no-such-order" in unknown.output


async def test_api_exports_for_supervisors_with_a_reason(w: World) -> None:
    key = await zone_breach(w)
    url = f"/api/v1/alerts/{quote(key, safe='')}/evidence.zip"
    sup = await w.login("supervisor")
    refused = await sup.get(url)
    assert refused.status_code == 422
    r = await sup.get(url, params={"reason": "court request"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert "OKT-1" in r.headers["content-disposition"]
    assert verify_bundle(r.content, centre_key().public_key()).ok
    assert audit_entries(w.pipeline.db, action="evidence.export")[0].actor == "supervisor"
    op = await w.login("operator")
    assert (await op.get(url, params={"reason": "x"})).status_code == 403
    other = await w.login("supervisor-len")
    assert (await other.get(url, params={"reason": "x"})).status_code == 404
