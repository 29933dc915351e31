"""How records are shown in JSON: times as ISO-8601 UTC strings, positions as
objects, and the protected person's positions left out unless allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from korgoo.alerts.model import Alert, Transition
from korgoo.api.deps import OrderRef
from korgoo.api.permissions import capabilities
from korgoo.api.schemas import iso
from korgoo.domain.terms import OrderTerms, ZoneSpec
from korgoo.store.devices import Assignment, UnknownDevice
from korgoo.store.orders import Order, OrderVersion
from korgoo.store.registry import Person
from korgoo.store.users import User

# Evidence keys from which the protected person's position can be derived: her
# fix, and the distance to her (with his fix, a few such pairs locate her home),
# her accuracy radius, the time to reach her, and any bearing to her.
PROTECTED_POSITION_KEYS = frozenset(
    {
        "protected_fix",
        "distance_m",
        "protected_radius_m",
        "counterpart_age_s",
        "time_to_breach_s",
        "bearing",
        "bearing_deg",
    }
)


def user_json(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "districts": list(user.districts),
        "agency": user.agency,
        "language": user.language,
        "permissions": sorted(c.value for c in capabilities(user)),
        "totp": user.has_totp,
    }


def person_json(p: Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "role": p.role.value,
        "display_name": p.display_name,
        "district": p.district,
        "birth_date": p.birth_date,
        "language": p.language,
        "phones": msgspec.to_builtins(p.phones),
        "addresses": msgspec.to_builtins(p.addresses),
        "note": p.note,
        "has_photo": p.photo_path is not None,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def exceptions_json(z: ZoneSpec) -> list[dict[str, Any]]:
    """A zone's approved exceptions as the API takes them back (ISO times)."""
    return [
        {"from": iso(e.start), "to": iso(e.end), "reason": e.reason, "approved_by": e.approved_by}
        for e in z.exceptions
    ]


def zone_json(z: ZoneSpec) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(z)
    out.setdefault("radius_m", 0.0)
    out.setdefault("schedule", [])
    out["exceptions"] = exceptions_json(z)
    out["disclosed"] = z.disclosed_to_respondent
    return out


def zones_geojson(zones: Iterable[ZoneSpec]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": z.zone_id,
                "geometry": z.geometry,
                "properties": {
                    "zone_id": z.zone_id,
                    "name": z.name,
                    "kind": z.kind,
                    "radius_m": z.radius_m,
                    "schedule": msgspec.to_builtins(z.schedule),
                    "exceptions": exceptions_json(z),
                    "disclosed": z.disclosed_to_respondent,
                },
            }
            for z in zones
        ],
    }


def version_json(v: OrderVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "valid_from": iso(v.valid_from),
        "status": v.status.value,
        "starts_at": iso(v.starts_at),
        "ends_at": iso(v.ends_at),
        "min_distance_m": v.min_distance_m,
        "warning_distance_m": v.warning_distance_m,
        "checkins_per_day": v.checkins_per_day,
        "no_contact": v.no_contact,
        "reason": v.reason,
        "created_by": v.created_by,
        "zones": [zone_json(z) for z in v.zones],
        "respondent_id": v.respondent_id,
        "protected_ids": list(v.protected_ids),
    }


def order_json(order: Order, current: OrderVersion, state: str) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "kind": order.kind.value,
        "issuing_authority": order.issuing_authority,
        "legal_basis": order.legal_basis,
        "district": order.district,
        "created_at": iso(order.created_at),
        "created_by": order.created_by,
        "replaces_order_id": order.replaces_order_id,
        "state": state,
        "current": version_json(current),
    }


def terms_json(terms: OrderTerms) -> dict[str, Any]:
    def party(p: Any) -> dict[str, Any]:
        return {
            "person_id": p.person_id,
            "role": p.role,
            "devices": [{"device_id": d, "kind": k.value} for d, k in p.devices],
        }

    return {
        "order_id": terms.order_id,
        "version": terms.version,
        "kind": terms.kind.value,
        "status": terms.status.value,
        "starts_at": iso(terms.starts_at),
        "ends_at": iso(terms.ends_at),
        "district": terms.district,
        "respondent": party(terms.respondent),
        "protected": [party(p) for p in terms.protected],
        "min_distance_m": terms.min_distance_m,
        "warning_distance_m": terms.warning_distance_m,
        "zones": [zone_json(z) for z in terms.zones],
        "checkins_per_day": terms.checkins_per_day,
        "no_contact": terms.no_contact,
    }


def fix_json(raw: object) -> object:
    """An engine position [t, lat, lon, acc] as an object; anything else unchanged."""
    if isinstance(raw, list | tuple) and len(raw) == 4:
        t, lat, lon, acc = raw
        return {"t": iso(float(t)), "lat": lat, "lon": lon, "acc": acc}
    return raw


def evidence_json(
    evidence: Mapping[str, object], *, respondent_id: str | None, protected_ok: bool
) -> tuple[dict[str, Any], bool]:
    """Evidence for display, and whether a protected person's position was left out.

    `last_fix` (a panic alert) is the respondent's only when the evidence says so;
    otherwise it is the protected person's and counts as theirs.
    """
    out: dict[str, Any] = {}
    withheld = False
    for key, value in evidence.items():
        protected = key in PROTECTED_POSITION_KEYS or (
            key == "last_fix" and evidence.get("person_id") != respondent_id
        )
        if protected and not protected_ok:
            withheld = True
            continue
        out[key] = fix_json(value) if key.endswith("_fix") else value
    return out, withheld


def holds_protected_positions(
    alert: Alert, history: Iterable[Transition], *, respondent_id: str | None
) -> bool:
    """Whether the alert's evidence or timeline holds a protected person's position."""
    found: list[Mapping[str, object]] = [alert.evidence]
    for t in history:
        evidence = t.details.get("evidence")
        if isinstance(evidence, dict):
            found.append(evidence)
    return any(evidence_json(e, respondent_id=respondent_id, protected_ok=False)[1] for e in found)


def alert_json(
    alert: Alert, ref: OrderRef | None, *, respondent_id: str | None, protected_ok: bool
) -> dict[str, Any]:
    evidence, withheld = evidence_json(
        alert.evidence, respondent_id=respondent_id, protected_ok=protected_ok
    )
    if alert.resolved:
        status = "resolved"
    elif alert.acked:
        status = "acknowledged"
    else:
        status = "unacknowledged"
    return {
        "alert_key": alert.alert_key,
        "order_id": alert.order_id,
        "order_number": None if ref is None else ref.number,
        "district": None if ref is None else ref.district,
        "rule": alert.rule,
        "subject": alert.subject,
        "priority": alert.priority.value,
        "confidence": None if alert.confidence is None else alert.confidence.value,
        "pages": alert.pages,
        "status": status,
        "active": alert.active,
        "acked": alert.acked,
        "resolved": alert.resolved,
        "late": alert.late,
        "opened_at": iso(alert.opened_at),
        "occurred_at": iso(alert.occurred_at),
        # Shown but not paged (a possible breach): no one is due to acknowledge it.
        "ack_due_at": iso(alert.opened_at + alert.policy.ack_sla_s) if alert.pages else None,
        "acked_at": iso(alert.acked_at),
        "acked_by": alert.acked_by,
        "returned_at": iso(alert.returned_at),
        "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by,
        "outcome": None if alert.outcome is None else alert.outcome.value,
        "note": alert.note,
        "escalations_done": alert.escalations_done,
        "police": None
        if alert.police_offered_at is None
        else {
            "unit": alert.police_unit,
            "district": alert.police_district,
            "offered_at": iso(alert.police_offered_at),
            "accepted_by": alert.police_accepted_by,
            "failed_over": alert.police_failed_over,
        },
        "stages": {k: iso(v) for k, v in alert.stages.items()},
        "evidence": evidence,
        "protected_location_withheld": withheld,
    }


def transition_json(
    t: Transition, *, respondent_id: str | None, protected_ok: bool
) -> dict[str, Any]:
    details = dict(t.details)
    raw = details.get("evidence")
    if isinstance(raw, dict):
        details["evidence"], _ = evidence_json(
            raw, respondent_id=respondent_id, protected_ok=protected_ok
        )
    return {
        "kind": t.kind.value,
        "at": iso(t.at),
        "actor": t.actor,
        "active": t.active,
        "acked": t.acked,
        "resolved": t.resolved,
        "priority": None if t.priority is None else t.priority.value,
        "details": msgspec.to_builtins(details),
    }


def assignment_json(a: Assignment) -> dict[str, Any]:
    return {
        "device_id": a.device_id,
        "person_id": a.person_id,
        "from_at": iso(a.from_at),
        "to_at": iso(a.to_at),
        "assigned_by": a.assigned_by,
        "reason": a.reason,
        "ended_by": a.ended_by,
        "end_reason": a.end_reason,
    }


def unknown_device_json(u: UnknownDevice) -> dict[str, Any]:
    return {
        "protocol": u.protocol,
        "ident": u.ident,
        "first_seen": iso(u.first_seen),
        "last_seen": iso(u.last_seen),
        "count": u.count,
        "remote": u.remote,
        "sample": u.sample,
    }
