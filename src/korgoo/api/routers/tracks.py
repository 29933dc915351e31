"""Positions: a device's track over a time range, and the live map of respondents.

A protected person's track needs `locations.protected.read` and a reason, and
the read goes on the audit log (who, whose, why). The live map shows
respondents only, from the engine's memory: no query per respondent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, can, in_scope
from korgoo.api.responses import LivePositionOut, TrackOut
from korgoo.api.schemas import ReasonQuery, TimeQuery, iso, parse_time
from korgoo.domain.terms import OrderStatus
from korgoo.domain.text import N_, said
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.devices import assignments
from korgoo.store.events import EventLog
from korgoo.store.registry import Person, PersonRole, get_person
from korgoo.store.users import User

_LOG = EventLog()  # holds only its codecs: one for every request
router = APIRouter(tags=["tracks"])
Reader = Annotated[User, Depends(require(Capability.TRACKS_READ))]
DEFAULT_SPAN_S = 3600.0
MAX_SPAN_S = 31 * 86400.0


def wearers(api: Api, device_id: str, t0: float, t1: float) -> list[Person]:
    """The persons who wore the device at some time in [t0, t1]."""
    out: list[Person] = []
    for a in assignments(api.db, device_id=device_id):
        if a.from_at <= t1 and (a.to_at is None or a.to_at > t0):
            person = get_person(api.db, a.person_id)
            if person is not None and person not in out:
                out.append(person)
    return out


@router.get("/tracks/{device_id}", response_model=TrackOut)
def track(
    device_id: str,
    user: Reader,
    api: ApiDep,
    since: TimeQuery = None,
    until: TimeQuery = None,
    reason: ReasonQuery = None,
) -> dict[str, Any]:
    """The device's fixes with device time in [since, until] (ISO-8601; default
    the last hour), each with its accuracy radius in metres."""
    try:
        t1 = api.now() if until is None else parse_time(until, "until")
        t0 = t1 - DEFAULT_SPAN_S if since is None else parse_time(since, "since")
    except ValueError as e:
        raise HTTPException(422, said(e)) from None
    if not 0 <= t1 - t0 <= MAX_SPAN_S:
        raise HTTPException(422, N_("'since' must come before 'until', at most 31 days earlier."))
    people = wearers(api, device_id, t0, t1)
    # Nobody wore it then: only users who see every district may read it.
    districts: list[str | None] = [p.district for p in people] or [None]
    if not any(in_scope(user, d) for d in districts):
        raise not_found(N_("A track of device {device_id}", device_id=device_id))
    protected = [p.id for p in people if p.role is PersonRole.PROTECTED]
    if protected:
        if not can(user, Capability.LOCATIONS_PROTECTED_READ):
            raise HTTPException(
                403,
                N_(
                    "This device belongs to a protected person; your role may not see"
                    " their positions."
                ),
            )
        if not (reason and reason.strip()):
            raise HTTPException(
                422,
                N_(
                    "This device belongs to a protected person: say why you need their "
                    "positions (the 'reason' parameter); the read is recorded."
                ),
            )
        details = {
            "what": "track",
            "device_id": device_id,
            "persons": protected,
            "since": iso(t0),
            "until": iso(t1),
            "reason": reason.strip(),
        }
        with begin_write(api.db) as conn:
            audit_append(
                conn, user.username, "location.read", f"device:{device_id}", details, at=api.now()
            )
    fixes = _LOG.track(api.db, device_id, t0, t1)
    return {
        "device_id": device_id,
        "persons": [{"id": p.id, "role": p.role.value} for p in people],
        "since": iso(t0),
        "until": iso(t1),
        "fixes": [
            {
                "t": iso(f.t),
                "received_at": iso(f.at),
                "lat": f.lat,
                "lon": f.lon,
                "acc": f.acc,
                "speed": f.speed,
                "heading": f.heading,
                "battery": f.battery,
            }
            for f in fixes
        ],
    }


def live_positions(api: Api, user: User) -> list[dict[str, Any]]:
    """Every active order's respondent in the user's districts, from the engine."""
    out = []
    for order_id, live in api.service.live_orders().items():
        terms = live.terms
        if terms.status is not OrderStatus.ACTIVE or not in_scope(user, terms.district):
            continue
        ref = api.orders.get(order_id)
        out.append(
            {
                "order_id": order_id,
                "order_number": None if ref is None else ref.number,
                "district": terms.district,
                "respondent_id": terms.respondent.person_id,
                "state": live.state,
                "t": None if live.t is None else iso(live.t),
                "lat": live.lat,
                "lon": live.lon,
                "acc": live.acc,
            }
        )
    return out


@router.get("/live", response_model=list[LivePositionOut])
def live(user: Reader, api: ApiDep) -> list[dict[str, Any]]:
    """Every monitored respondent: last position and accuracy, and the state
    (breach, prealert, switched_off, no_signal, low_battery, compliant: the gravest
    condition open on the respondent's devices or the order)."""
    return live_positions(api, user)
