"""The ONLY serializer for anything sent to a respondent's device.

Nothing a respondent's app receives may contain the protected person's position,
a distance to her, a direction, or anything from which they could be computed.
So every answer and stream frame for a respondent device is built here, from
whitelisted fields only: message codes, ids, times (ISO strings), the static
zones of the order he was served that the supervisor disclosed to him (names
and geometry), and his order's words. Decisions are read field by field; their
evidence is never looked at.

An undisclosed zone (by default every exclusion zone: her home, her work) is
never in any output, not its name, id, geometry, schedule, nor that it exists:
leaving it is "leave_area", the same words wherever such a zone is. This holds
whoever holds the phone's credential, so no one can read her places by
enrolling a respondent app.

`guard` walks any output a last time and refuses forbidden keys, so that a
mistake elsewhere fails loudly instead of leaking.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.terms import OrderTerms, ScheduleWindow, ZoneSpec

# The codes the engine may send a respondent (see engine.monitor._instruct).
INSTRUCTION_CODES = frozenset({"leave_now", "leave_zone", "clear"})
# What he is told instead of leave_zone when the zone is not disclosed to him.
LEAVE_AREA = "leave_area"
# Keys that never appear in respondent output, at any depth.
FORBIDDEN_KEYS = frozenset(
    {
        "lat",
        "lon",
        "latitude",
        "longitude",
        "acc",
        "accuracy",
        "distance",
        "distance_m",
        "bearing",
        "heading",
        "speed",
        "evidence",
        "position",
        "last_fix",
        "fix",
        "protected",
        "recipient",
        "warning_distance_m",
    }
)
_FORBIDDEN_WORDS = ("distance", "bearing", "protected")
T = TypeVar("T")


class Leak(ValueError):  # noqa: N818 (says what it caught)
    """Respondent output would carry something it must not."""


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def guard(value: T, path: str = "") -> T:
    """`value` unchanged if no key is forbidden (or names a distance or a bearing);
    raises Leak otherwise."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key).lower()
            if name in FORBIDDEN_KEYS or any(w in name for w in _FORBIDDEN_WORDS):
                raise Leak(f"respondent output must not carry '{path}{key}'")
            guard(item, f"{path}{key}.")
    elif isinstance(value, list | tuple):
        for item in value:
            guard(item, path)
    return value


def disclosed_zone_names(terms: OrderTerms | None) -> dict[str, str]:
    """Zone id -> name of the zones of `terms` he may be told of."""
    if terms is None:
        return {}
    return {z.zone_id: z.name for z in terms.zones if z.disclosed_to_respondent}


def instruction(
    decision: Decision, message_id: str, zone_names: Mapping[str, str]
) -> dict[str, Any] | None:
    """The `instruction` frame for an INSTRUCT decision; None for anything else.

    Only the message code, the disclosed zone's name (for leave_zone; see
    `disclosed_zone_names`) and the time are read; leaving any other zone is
    `leave_area`, with no name.
    """
    if decision.kind is not DecisionKind.INSTRUCT or decision.message not in INSTRUCTION_CODES:
        return None
    out: dict[str, Any] = {"id": message_id, "code": decision.message, "at": iso(decision.at)}
    if decision.message == "leave_zone":
        if decision.subject in zone_names:
            out["zone_name"] = zone_names[decision.subject]
        else:
            out["code"] = LEAVE_AREA
    return guard(out)


def resent(event: str, payload: Mapping[str, Any], zone_names: Mapping[str, str]) -> dict[str, Any]:
    """A stored message sent again (on reconnect) under today's disclosure: an
    instruction naming a zone no longer disclosed becomes `leave_area`."""
    out = dict(payload)
    name = out.get("zone_name")
    if event == "instruction" and name is not None and name not in zone_names.values():
        del out["zone_name"]
        out["code"] = LEAVE_AREA
    return guard(out)


def checkin(message_id: str, due_at: float) -> dict[str, Any]:
    return guard({"id": message_id, "due_at": iso(due_at)})


def revoked() -> dict[str, Any]:
    return {"message": "this phone is no longer enrolled"}


def _window(w: ScheduleWindow) -> dict[str, Any]:
    return {"days": list(w.days), "start_min": w.start, "end_min": w.end}


def _zone(z: ZoneSpec) -> dict[str, Any]:
    # The zone as the order states it: name, kind, geometry, schedule. Static by
    # definition (the terms hold no zone that follows a person).
    out: dict[str, Any] = {
        "id": z.zone_id,
        "name": z.name,
        "kind": z.kind,
        "geometry": z.geometry,
        "schedule": [_window(w) for w in z.schedule],
        # Approved absences (his night shift): when he need not be there.
        "exceptions": [
            {"from": iso(e.start), "to": iso(e.end), "reason": e.reason} for e in z.exceptions
        ],
    }
    if z.radius_m:
        out["radius_m"] = z.radius_m
    return out


def me(terms: OrderTerms, order_number: str, centre_phone: str) -> dict[str, Any]:
    """`GET /app/api/v1/me` for a respondent: his order's conditions in words,
    with the disclosed zones only."""
    shown = [z for z in terms.zones if z.disclosed_to_respondent]
    curfews = [_window(w) for z in shown if z.kind == "inclusion" for w in z.schedule]
    return guard(
        {
            "role": "respondent",
            "order_number": order_number,
            "order_kind": terms.kind.value,
            "status": terms.status.value,
            "ends_at": iso(terms.ends_at),
            "conditions": {
                # The minimum separation the court ordered, as the order states it.
                "keep_away_m": terms.min_distance_m,
                "zones": [_zone(z) for z in shown],
                "curfew": curfews,
                "checkins_per_day": terms.checkins_per_day,
                # The condition as the order states it; nothing of where she is.
                "no_contact": terms.no_contact,
            },
            "centre_phone": centre_phone,
        }
    )


def frame(event: str, data: Mapping[str, Any]) -> str:
    """One server-sent event for a respondent device."""
    return f"event: {event}\ndata: {json.dumps(guard(dict(data)), ensure_ascii=False)}\n\n"
