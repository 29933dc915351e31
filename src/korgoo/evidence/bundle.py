"""The evidence bundle: one selection (an alert, or an order over a time range)
as a signed zip that a third party can check without trusting the centre.

What replay needs decides what goes in. The engine holds state per order
(episodes, hysteresis, device silence), built from everything the order saw
since its first version; so the bundle holds every event of the order from its
first version up to the end of the selection (its versions, check-in and
warning events, the fixes and signals of every device named in a version), not
only the selected range, and a fresh engine replays them. `replay_until` is the
engine time the replay runs to: the later of the last bundled event and the
last stored decision, so timers the live engine had fired are fired again and
none that it had not yet.

Files (JSON Lines unless named otherwise):
- `events.jsonl`: the events, one `korgoo.domain.events.Event` per line, in log
  order (`korgoo replay events.jsonl --json` runs them too);
- `decisions.jsonl`: the decisions stored about the order up to `replay_until`,
  byte for byte as stored;
- `order.json`, `order_versions.jsonl`: the order and every version of its terms;
- `alerts.jsonl`: the selected alerts, each with its timeline (who did what, when);
- `rules.jsonl`: the rule catalogue with versions and the parameters each reads;
- `public_key.pem`: the centre's Ed25519 public key;
- `manifest.json`: SHA-256 and size of each file above, the selection, the
  software version, rule versions, parameters, the audit-chain head before this
  export, who exported and why; `manifest.sig`: the Ed25519 signature of the
  exact bytes of `manifest.json`, hex.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from korgoo import __version__
from korgoo.alerts.model import Alert, Transition
from korgoo.domain.events import Event
from korgoo.domain.rules import CATALOGUE
from korgoo.domain.text import N_
from korgoo.engine.params import RuleParams
from korgoo.evidence.keys import fingerprint, public_pem
from korgoo.store.alerts import get_alert, list_alerts, transitions
from korgoo.store.audit import audit_append, audit_head
from korgoo.store.db import begin_write
from korgoo.store.evidence import order_decisions, order_events
from korgoo.store.orders import Order, OrderVersion, get_order, versions
from korgoo.store.registry import Person, get_person

FORMAT = "korgoo-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
# How much before an alert's first evidence the selection of an alert starts.
ALERT_LEAD_S = 900.0

_event_json = msgspec.json.Encoder().encode


class SelectionError(LookupError):
    """The selection names nothing that can be exported."""


@dataclass(frozen=True)
class Selection:
    order_id: str
    from_at: float
    to_at: float
    alert_key: str | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything about one selection, read once; the bundle and the report both
    come from it."""

    selection: Selection
    order: Order
    versions: tuple[OrderVersion, ...]
    events: tuple[tuple[int, Event], ...]  # (log seq, event)
    decisions: tuple[bytes, ...]  # as stored
    alerts: tuple[tuple[Alert, tuple[Transition, ...]], ...]
    persons: tuple[Person, ...]
    params: RuleParams
    replay_until: float


def alert_selection(db: sa.Engine, alert_key: str, now: float) -> Selection:
    """An alert from a quarter of an hour before its evidence to its resolution
    (or `now` while it is open)."""
    alert = get_alert(db, alert_key)
    if alert is None:
        raise SelectionError(N_("no alert {alert_key}", alert_key=alert_key))
    start = min(alert.occurred_at, alert.opened_at) - ALERT_LEAD_S
    end = alert.resolved_at if alert.resolved_at is not None else now
    return Selection(alert.order_id, start, min(end, now), alert_key)


def collect(db: sa.Engine, selection: Selection, params: RuleParams) -> Evidence:
    order = get_order(db, selection.order_id)
    if order is None:
        raise SelectionError(N_("no order {order_id}", order_id=selection.order_id))
    if selection.to_at < selection.from_at:
        raise SelectionError(N_("the selection ends before it starts"))
    events = order_events(db, order.id, selection.to_at)
    if not events:
        raise SelectionError(
            N_("order {number} has no version in force by then", number=order.number)
        )
    stored = order_decisions(db, order.id, selection.to_at)
    last_decision = max((_decision_at(d) for d in stored), default=0.0)
    replay_until = max(events[-1][1].at, last_decision)
    all_versions = tuple(v for v in versions(db, order.id) if v.valid_from <= selection.to_at)
    if selection.alert_key is not None:
        found = get_alert(db, selection.alert_key)
        chosen = [] if found is None else [found]
    else:
        chosen = [
            a
            for a in list_alerts(db, order_id=order.id, limit=10_000)
            if a.opened_at <= selection.to_at
            and (a.resolved_at is None or a.resolved_at >= selection.from_at)
        ]
        chosen.sort(key=lambda a: (a.opened_at, a.alert_key))
    person_ids = dict.fromkeys(p for v in all_versions for p in (v.respondent_id, *v.protected_ids))
    persons = tuple(p for p in (get_person(db, pid) for pid in person_ids) if p is not None)
    return Evidence(
        selection=selection,
        order=order,
        versions=all_versions,
        events=tuple(events),
        decisions=tuple(stored),
        alerts=tuple((a, tuple(transitions(db, a.alert_key))) for a in chosen),
        persons=persons,
        params=params,
        replay_until=replay_until,
    )


def _decision_at(body: bytes) -> float:
    at = orjson.loads(body)["at"]
    return float(at)


def _canonical(value: Any) -> bytes:
    return orjson.dumps(msgspec.to_builtins(value), option=orjson.OPT_SORT_KEYS)


def _lines(items: list[bytes]) -> bytes:
    return b"".join(item + b"\n" for item in items)


def rule_lines(params: RuleParams) -> bytes:
    """The catalogue as the bundle states it: id, version, default priority and
    the parameters each rule reads, with their values."""
    values = msgspec.to_builtins(params)
    defaults = msgspec.to_builtins(RuleParams())
    return _lines(
        [
            _canonical(
                {
                    "rule": spec.rule.value,
                    "version": spec.version,
                    "default_priority": spec.priority.value,
                    "label": spec.label,
                    "params_revision": params.revision,
                    "parameters": {p: values.get(p, defaults.get(p)) for p in spec.params},
                }
            )
            for spec in CATALOGUE.values()
        ]
    )


def rule_versions() -> dict[str, int]:
    """This software's rule versions."""
    return {spec.rule.value: spec.version for spec in CATALOGUE.values()}


def bundle_files(evidence: Evidence, public: bytes) -> dict[str, bytes]:
    """Every file of the bundle but the manifest and its signature."""
    timelines = [
        _canonical({"alert": alert, "timeline": list(history)})
        for alert, history in evidence.alerts
    ]
    return {
        "events.jsonl": _lines([_event_json(e) for _, e in evidence.events]),
        "decisions.jsonl": _lines(list(evidence.decisions)),
        "order.json": _canonical(evidence.order) + b"\n",
        "order_versions.jsonl": _lines([_canonical(v) for v in evidence.versions]),
        "alerts.jsonl": _lines(timelines),
        "rules.jsonl": rule_lines(evidence.params),
        PUBLIC_KEY: public,
    }


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Exported:
    data: bytes  # the zip
    manifest: dict[str, Any]
    fingerprint: str


def export_bundle(
    db: sa.Engine,
    evidence: Evidence,
    *,
    key: Ed25519PrivateKey,
    actor: str,
    reason: str,
    now: float,
    chain_key: bytes | None = None,
) -> Exported:
    """The signed zip of `evidence`; the export goes on the audit log (who, why,
    the manifest's digest) in the same step."""
    if not reason.strip():
        raise ValueError(N_("an export needs a reason"))
    public = key.public_key()
    files = bundle_files(evidence, public_pem(public))
    head_seq, head_hash = audit_head(db)
    sel = evidence.selection
    events = evidence.events
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": iso(now),
        "exported_by": actor,
        "reason": reason.strip(),
        "selection": {
            "order_id": sel.order_id,
            "order_number": evidence.order.number,
            "alert_key": sel.alert_key,
            "from": sel.from_at,
            "to": sel.to_at,
            "from_iso": iso(sel.from_at),
            "to_iso": iso(sel.to_at),
        },
        "replay": {
            "window": "every event of the order from its first version up to `until`, "
            "replayed through a fresh engine; decisions compared are the order's up to `until`",
            "first_seq": events[0][0],
            "last_seq": events[-1][0],
            "events": len(events),
            "decisions": len(evidence.decisions),
            "until": evidence.replay_until,
        },
        "software": {"name": "korgoo", "version": __version__},
        "rules": rule_versions(),
        "params": msgspec.to_builtins(evidence.params),
        "params_revision": evidence.params.revision,
        "audit_head": {"seq": head_seq, "hash": head_hash},
        "public_key_fingerprint": fingerprint(public),
        "files": {
            name: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
            for name, body in sorted(files.items())
        },
    }
    manifest_bytes = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    signature = key.sign(manifest_bytes).hex().encode() + b"\n"
    data = _zip({**files, MANIFEST: manifest_bytes, SIGNATURE: signature}, now)
    subject = f"alert:{sel.alert_key}" if sel.alert_key else f"order:{sel.order_id}"
    details = {
        "what": "evidence bundle",
        "order_id": sel.order_id,
        "alert_key": sel.alert_key,
        "from": iso(sel.from_at),
        "to": iso(sel.to_at),
        "reason": reason.strip(),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
    }
    with begin_write(db) as conn:
        audit_append(conn, actor, "evidence.export", subject, details, at=now, key=chain_key)
    return Exported(data, manifest, fingerprint(public))


def _zip(files: dict[str, bytes], now: float) -> bytes:
    stamp = datetime.fromtimestamp(now, UTC).timetuple()[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=stamp), body, zipfile.ZIP_DEFLATED)
    return buf.getvalue()
