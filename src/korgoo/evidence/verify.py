"""Checking an evidence bundle without trusting the centre that made it.

In order: the signature of `manifest.json` (with the key given, else the one in
the bundle, whose fingerprint the checker compares with the centre's published
one); the SHA-256 of every file against the manifest, and no file the manifest
does not list; the rule versions of the bundle against this software's (a
different version decides differently, so the replay is refused rather than
failed); then the replay: the events through a fresh engine with the bundle's
parameters, the order's decisions compared with `decisions.jsonl` line by line,
byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from korgoo.domain.events import Event, Tick
from korgoo.engine import Engine
from korgoo.engine.params import RuleParams
from korgoo.evidence.bundle import MANIFEST, PUBLIC_KEY, SIGNATURE, rule_versions
from korgoo.evidence.keys import fingerprint, load_public_pem


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)
    fingerprint: str = ""  # of the key the signature was checked with
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok


def verify_bundle(data: bytes, public_key: Ed25519PublicKey | None = None) -> Verdict:
    verdict = Verdict()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            files = {name: z.read(name) for name in z.namelist()}
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        verdict.add("bundle", False, f"not a readable zip: {error}")
        return verdict
    manifest_bytes = files.get(MANIFEST)
    if manifest_bytes is None:
        verdict.add("manifest", False, f"{MANIFEST} is missing")
        return verdict
    signed = _signature(verdict, files, manifest_bytes, public_key)
    try:
        manifest = orjson.loads(manifest_bytes)
        listed: dict[str, dict[str, Any]] = manifest["files"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as error:
        verdict.add("manifest", False, f"{MANIFEST} is not a manifest: {error}")
        return verdict
    verdict.manifest = manifest
    intact = _hashes(verdict, files, listed)
    if not (signed and intact):
        verdict.add("replay", False, "not replayed: the bundle is not intact")
        return verdict
    theirs = manifest.get("rules", {})
    ours = rule_versions()
    if theirs != ours:
        differ = sorted(
            f"{r}: bundle v{theirs.get(r, '-')}, this software v{ours.get(r, '-')}"
            for r in set(theirs) | set(ours)
            if theirs.get(r) != ours.get(r)
        )
        software = manifest.get("software", {}).get("version", "?")
        verdict.add(
            "rule versions",
            False,
            "refused: the bundle was decided by other rule versions ("
            + "; ".join(differ)
            + f"); replay it with Korgoo {software}",
        )
        return verdict
    verdict.add("rule versions", True, f"{len(ours)} rules, the same versions as this software")
    _replay(verdict, files, manifest)
    return verdict


def _signature(
    verdict: Verdict, files: dict[str, bytes], manifest: bytes, given: Ed25519PublicKey | None
) -> bool:
    try:
        theirs = load_public_pem(files.get(PUBLIC_KEY, b""))
    except ValueError:
        theirs = None
    key = given or theirs
    if key is None:
        return verdict.add("signature", False, f"{PUBLIC_KEY} is missing or not a public key")
    verdict.fingerprint = fingerprint(key)
    if given is not None and (theirs is None or fingerprint(theirs) != verdict.fingerprint):
        return verdict.add(
            "signature", False, f"{PUBLIC_KEY} in the bundle is not the public key given"
        )
    try:
        key.verify(bytes.fromhex(files.get(SIGNATURE, b"").decode().strip()), manifest)
    except (InvalidSignature, ValueError, UnicodeDecodeError):
        return verdict.add(
            "signature",
            False,
            f"{SIGNATURE} does not match {MANIFEST}: the manifest was changed, "
            "or signed with another key",
        )
    origin = "the key given" if given is not None else f"the bundle's own key ({PUBLIC_KEY})"
    return verdict.add("signature", True, f"{MANIFEST} signed by {origin}")


def _hashes(verdict: Verdict, files: dict[str, bytes], listed: dict[str, Any]) -> bool:
    ok = True
    for name in sorted(listed):
        body = files.get(name)
        if body is None:
            ok = verdict.add(f"file {name}", False, "missing") and ok
            continue
        digest = hashlib.sha256(body).hexdigest()
        if digest != listed[name].get("sha256"):
            ok = verdict.add(f"file {name}", False, "SHA-256 does not match the manifest") and ok
        else:
            verdict.add(f"file {name}", True, f"SHA-256 {digest[:16]}…")
    for name in sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE}):
        ok = verdict.add(f"file {name}", False, "not listed in the manifest") and ok
    return ok


def _replay(verdict: Verdict, files: dict[str, bytes], manifest: dict[str, Any]) -> bool:
    order_id = manifest["selection"]["order_id"]
    until = float(manifest["replay"]["until"])
    try:
        params = msgspec.convert(manifest.get("params", {}), RuleParams)
    except msgspec.ValidationError as error:
        return verdict.add("replay", False, f"the parameters are not valid: {error}")
    decode = msgspec.json.Decoder(Event).decode
    encode = msgspec.json.Encoder().encode
    engine = Engine(params)
    produced: list[bytes] = []
    lines = files["events.jsonl"].splitlines()
    for n, line in enumerate(lines, 1):
        try:
            event = decode(line)
        except msgspec.DecodeError as error:
            return verdict.add("replay", False, f"events.jsonl line {n} is not an event: {error}")
        produced += [encode(d) for d in engine.apply(event) if d.order_id == order_id]
    produced += [encode(d) for d in engine.apply(Tick(at=until)) if d.order_id == order_id]
    stored = files["decisions.jsonl"].splitlines()
    for n, (mine, theirs) in enumerate(zip(produced, stored, strict=False), 1):
        if mine != theirs:
            return verdict.add(
                "replay",
                False,
                f"decision {n} differs: decisions.jsonl has {theirs.decode()}, "
                f"the engine decides {mine.decode()}",
            )
    if len(produced) != len(stored):
        return verdict.add(
            "replay",
            False,
            f"the engine makes {len(produced)} decisions, decisions.jsonl holds {len(stored)}",
        )
    return verdict.add(
        "replay",
        True,
        f"{len(lines)} events replayed; all {len(stored)} decisions the same, byte for byte",
    )
