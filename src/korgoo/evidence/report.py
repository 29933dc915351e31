"""The evidence report: one selection as a PDF a judge reads, in the reader's
language, drawn from the same `Evidence` as the bundle.

It holds the order and its version in force, the persons, the rule with its
parameters in plain words, a map drawn here (no tile service), the fixes that
decided it with device and receive times, each alert's timeline, and the
software and rule versions. The protected person's positions (her track, the
fixes of hers that decided a proximity breach) are in it only when
`protected_ok`; otherwise the report says they were left out.

The words are in the Jinja2 template `evidence_report.html`, which the caller
hands over with its translations installed (the console's environment).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from jinja2 import Environment
from markupsafe import Markup

from korgoo import __version__
from korgoo.domain.events import Fix, OrderChange
from korgoo.domain.rules import CATALOGUE, Rule, episode_key
from korgoo.evidence.bundle import Evidence, iso
from korgoo.evidence.svgmap import MapWords, Point, Track, draw_map
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.orders import OrderVersion

TEMPLATE = "evidence_report.html"
RESPONDENT_COLOUR = "#1565c0"
PROTECTED_COLOUR = "#6a1b9a"
_FIX_KEYS = ("respondent_fix", "protected_fix", "last_fix")
_DECIDING = frozenset({"opened", "updated", "cleared"})


@dataclass(frozen=True)
class FixRow:
    party: str  # respondent | protected
    device_id: str
    t: float  # device time
    at: float | None  # receive time (None: an averaged position, no single fix)
    lat: float
    lon: float
    acc: float
    rule: str
    kind: str  # the decision: opened, updated, cleared
    confidence: str
    distance_m: float | None


def version_in_force(versions: tuple[OrderVersion, ...], t: float) -> OrderVersion:
    """The latest version valid at `t` (the first one if `t` is before them all)."""
    chosen = versions[0]
    for v in versions:
        if v.valid_from <= t:
            chosen = v
    return chosen


def _devices(evidence: Evidence) -> dict[str, str]:
    """device id -> party (respondent | protected), from every version's terms."""
    out: dict[str, str] = {}
    for _, event in evidence.events:
        if isinstance(event, OrderChange):
            for party in (event.terms.respondent, *event.terms.protected):
                for device_id, _kind in party.devices:
                    out[device_id] = "respondent" if party.role == "respondent" else "protected"
    return out


def deciding_fixes(evidence: Evidence, *, protected_ok: bool) -> tuple[list[FixRow], bool]:
    """The fixes the selected alerts' decisions rest on, oldest first, and whether
    some of the protected person's were left out."""
    keys = {episode_key(a.alert_key) for a, _ in evidence.alerts}
    received: dict[tuple[float, float, float], Fix] = {}
    for _, event in evidence.events:
        if isinstance(event, Fix):
            received.setdefault((event.t, event.lat, event.lon), event)
    # A party with one device: an averaged position is still that device's.
    devices = _devices(evidence)
    only = {
        party: ids[0]
        for party in ("respondent", "protected")
        if len(ids := [d for d, p in devices.items() if p == party]) == 1
    }
    rows: dict[tuple[str, float, float, float], FixRow] = {}
    withheld = False
    respondent = version_in_force(evidence.versions, evidence.selection.to_at).respondent_id
    for body in evidence.decisions:
        d = orjson.loads(body)
        if d.get("alert_key") not in keys or d.get("kind") not in _DECIDING:
            continue
        ev: dict[str, Any] = d.get("evidence", {})
        for name in _FIX_KEYS:
            raw = ev.get(name)
            if not isinstance(raw, list) or len(raw) != 4:
                continue
            t, lat, lon, acc = (float(x) for x in raw)
            party = "protected" if name == "protected_fix" else "respondent"
            if name == "last_fix" and ev.get("person_id") != respondent:
                party = "protected"
            if party == "protected" and not protected_ok:
                withheld = True
                continue
            fix = received.get((t, lat, lon))
            distance = ev.get("distance_m", ev.get("signed_distance_m"))
            rows.setdefault(
                (party, t, lat, lon),
                FixRow(
                    party=party,
                    device_id=only.get(party, "") if fix is None else fix.device_id,
                    t=t,
                    at=None if fix is None else fix.at,
                    lat=lat,
                    lon=lon,
                    acc=acc,
                    rule=str(d.get("rule", "")),
                    kind=str(d.get("kind", "")),
                    confidence=str(d.get("confidence", "")),
                    distance_m=None if distance is None else float(distance),
                ),
            )
    return sorted(rows.values(), key=lambda r: (r.t, r.party)), withheld


def _tracks(evidence: Evidence, *, protected_ok: bool) -> list[Track]:
    devices = _devices(evidence)
    sel = evidence.selection
    by_party: dict[str, list[Fix]] = {"respondent": [], "protected": []}
    for _, event in evidence.events:
        if isinstance(event, Fix) and sel.from_at <= event.t <= sel.to_at:
            party = devices.get(event.device_id)
            if party is not None:
                by_party[party].append(event)
    out = []
    for party, colour in (("respondent", RESPONDENT_COLOUR), ("protected", PROTECTED_COLOUR)):
        if party == "protected" and not protected_ok:
            continue
        fixes = sorted(by_party[party], key=lambda f: f.t)
        points = tuple(Point(f.lat, f.lon, f.acc) for f in fixes)
        out.append(Track(points, colour, circles=len(points) <= 300))
    return out


def context(
    evidence: Evidence,
    *,
    protected_ok: bool,
    exported_by: str,
    reason: str,
    now: float,
) -> dict[str, Any]:
    sel = evidence.selection
    moment = min((a.opened_at for a, _ in evidence.alerts), default=sel.to_at)
    version = version_in_force(evidence.versions, moment)
    persons = {p.id: p for p in evidence.persons}
    fixes, withheld = deciding_fixes(evidence, protected_ok=protected_ok)
    breaches = [Point(r.lat, r.lon, r.acc) for r in fixes if r.kind != "cleared"]
    tracks = _tracks(evidence, protected_ok=protected_ok)
    # The minimum distance around the protected person where a proximity rule decided.
    rings = [
        Point(r.lat, r.lon, version.min_distance_m)
        for r in fixes
        if r.party == "protected" and r.rule.startswith("proximity") and r.kind != "cleared"
    ][:1]
    rules = sorted({a.rule for a, _ in evidence.alerts})
    values = evidence.params
    specs = [CATALOGUE[Rule(r)] for r in rules if r in {x.value for x in Rule}]
    return {
        "order": evidence.order,
        "version": version,
        "versions": evidence.versions,
        "respondent": persons.get(version.respondent_id),
        "respondent_id": version.respondent_id,
        "protected": [(pid, persons.get(pid)) for pid in version.protected_ids],
        "devices": _devices(evidence),
        "selection": sel,
        "alerts": evidence.alerts,
        "rules": [
            {
                "id": s.rule.value,
                "version": s.version,
                "label": s.label,
                "params": [(p, f"{getattr(values, p):g}") for p in s.params],
            }
            for s in specs
        ],
        "params_revision": values.revision,
        # Called by the template with its words for the north arrow and the scale.
        "draw_map": lambda north, metres, kilometres: Markup(
            draw_map(
                tracks,
                version.zones,
                breaches,
                MapWords(north=north, metres=metres, kilometres=kilometres),
                rings=rings,
            )
        ),
        "fixes": fixes,
        "protected_withheld": withheld or not protected_ok,
        "rule_labels": {s.rule.value: s.label for s in CATALOGUE.values()},
        "software_version": __version__,
        "rule_versions": sorted((s.rule.value, s.version) for s in CATALOGUE.values()),
        "exported_by": exported_by,
        "reason": reason,
        "now": now,
    }


def render_html(
    evidence: Evidence,
    env: Environment,
    *,
    language: str,
    protected_ok: bool,
    exported_by: str,
    reason: str,
    now: float,
) -> str:
    template = env.get_template(TEMPLATE)
    ctx = context(
        evidence, protected_ok=protected_ok, exported_by=exported_by, reason=reason, now=now
    )
    return template.render(language=language, **ctx)


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def export_report(
    db: sa.Engine,
    evidence: Evidence,
    env: Environment,
    *,
    language: str,
    protected_ok: bool,
    actor: str,
    reason: str,
    now: float,
) -> bytes:
    """The report as a PDF; the export goes on the audit log with who and why."""
    if not reason.strip():
        raise ValueError("an export needs a reason")
    html = render_html(
        evidence,
        env,
        language=language,
        protected_ok=protected_ok,
        exported_by=actor,
        reason=reason,
        now=now,
    )
    pdf = render_pdf(html)
    sel = evidence.selection
    subject = f"alert:{sel.alert_key}" if sel.alert_key else f"order:{sel.order_id}"
    details = {
        "what": "evidence report",
        "order_id": sel.order_id,
        "alert_key": sel.alert_key,
        "from": iso(sel.from_at),
        "to": iso(sel.to_at),
        "language": language,
        "protected_positions": protected_ok,
        "reason": reason.strip(),
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
    }
    with begin_write(db) as conn:
        audit_append(conn, actor, "evidence.export", subject, details, at=now)
    return pdf
