"""The shift handover: what the next shift must know, on one page.

Open alerts with the last action taken on each, orders in breach, in pre-alert
or without signal, devices to fix (silent past their kind's threshold, or with a
low battery), and the notes the shift leaves. Everything comes from the live
book, the engine's order states and two queries, scoped to the user's districts.
No position or distance is in it: the handover names what to do, not where.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from korgoo.alerts.book import queue_order
from korgoo.alerts.model import Transition
from korgoo.api.deps import Api, ApiDep, require
from korgoo.api.permissions import Capability, in_scope, scope
from korgoo.api.responses import Out
from korgoo.api.routers.alerts import visible
from korgoo.api.routers.devices import SILENCE_S
from korgoo.api.schemas import NOTE_MAX, iso
from korgoo.domain.text import N_
from korgoo.engine.params import DEFAULT_PARAMS
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.devices import last_contacts, list_devices
from korgoo.store.handover import add_note, last_actions, notes_since
from korgoo.store.users import User

router = APIRouter(tags=["handover"])
# The handover is the centre's shift work: those who work the queue read it, not
# the agencies that only read alerts (its centre-wide notes are no district's).
Reader = Annotated[User, Depends(require(Capability.ALERTS_ACT))]
Writer = Annotated[User, Depends(require(Capability.ALERTS_ACT))]

# Notes of the last day reach the next shift (a shift is 8-12 hours; one day
# also covers a shift that started early).
NOTES_WINDOW_S: Final = 24 * 3600.0
# Order states the next shift must watch, most urgent first.
WATCH_STATES: Final = ("breach", "prealert", "no_signal", "low_battery")
# What of an action's details the handover repeats (never evidence).
_ACTION_FIELDS: Final = ("note", "party", "outcome", "stage", "reason")


class LastActionOut(Out):
    kind: str
    at: str | None
    actor: str
    details: dict[str, Any]


class HandoverAlertOut(Out):
    alert_key: str
    order_id: str
    order_number: str | None
    district: str | None
    rule: str
    priority: str
    acked: bool
    active: bool
    late: bool
    opened_at: str | None
    last_action: LastActionOut | None


class HandoverOrderOut(Out):
    order_id: str
    order_number: str
    district: str
    state: str
    last_fix_at: str | None


class HandoverDeviceOut(Out):
    device_id: str
    kind: str
    person_id: str | None
    district: str | None
    problem: str  # "silent", "never_heard" or "low_battery"
    last_contact: str | None
    battery: float | None


class ShiftNoteOut(Out):
    id: int
    at: str | None
    username: str
    district: str | None
    text: str


class HandoverOut(Out):
    at: str | None
    alerts: list[HandoverAlertOut]
    orders: list[HandoverOrderOut]
    devices: list[HandoverDeviceOut]
    notes: list[ShiftNoteOut]


class ShiftNoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=NOTE_MAX)
    district: str | None = Field(default=None, max_length=32)


def _action(t: Transition | None) -> dict[str, Any] | None:
    if t is None:
        return None
    details = {k: t.details[k] for k in _ACTION_FIELDS if k in t.details}
    return {"kind": t.kind.value, "at": iso(t.at), "actor": t.actor, "details": details}


def _alerts(api: Api, user: User) -> list[dict[str, Any]]:
    found = sorted((a for a in api.service.open_alerts() if visible(api, user, a)), key=queue_order)
    actions = last_actions(api.db, [a.alert_key for a in found])
    out = []
    for a in found:
        ref = api.orders.get(a.order_id)
        out.append(
            {
                "alert_key": a.alert_key,
                "order_id": a.order_id,
                "order_number": None if ref is None else ref.number,
                "district": None if ref is None else ref.district,
                "rule": a.rule,
                "priority": a.priority.value,
                "acked": a.acked,
                "active": a.active,
                "late": a.late,
                "opened_at": iso(a.opened_at),
                "last_action": _action(actions.get(a.alert_key)),
            }
        )
    return out


def _orders(api: Api, user: User) -> list[dict[str, Any]]:
    rank = {state: i for i, state in enumerate(WATCH_STATES)}
    out = []
    for order_id, live in api.service.live_orders().items():
        if live.state not in rank or not in_scope(user, live.terms.district):
            continue
        ref = api.orders.get(order_id)
        out.append(
            {
                "order_id": order_id,
                "order_number": order_id if ref is None else ref.number,
                "district": live.terms.district,
                "state": live.state,
                "last_fix_at": iso(live.t),
            }
        )
    return sorted(out, key=lambda o: (rank[o["state"]], o["order_number"]))


def _devices(api: Api, user: User) -> list[dict[str, Any]]:
    worn = [d for d in list_devices(api.db, districts=scope(user)) if d.person_id is not None]
    contacts = last_contacts(api.db, [d.id for d in worn])
    now = api.now()
    out = []
    for d in worn:
        seen = contacts.get(d.id)
        if seen is None:
            problem = "never_heard"
        elif now - seen.at > SILENCE_S.get(d.kind, 0.0):
            problem = "silent"
        elif seen.battery is not None and seen.battery < DEFAULT_PARAMS.battery_low_pct:
            problem = "low_battery"
        else:
            continue
        out.append(
            {
                "device_id": d.id,
                "kind": d.kind.value,
                "person_id": d.person_id,
                "district": d.district,
                "problem": problem,
                "last_contact": None if seen is None else iso(seen.at),
                "battery": None if seen is None else seen.battery,
            }
        )
    return sorted(out, key=lambda d: (d["problem"], d["device_id"]))


@router.get("/handover", response_model=HandoverOut)
def handover(user: Reader, api: ApiDep) -> dict[str, Any]:
    """What the next shift must know: open alerts (queue order) with their last
    action, orders to watch, devices to fix, and the notes of the last day."""
    now = api.now()
    notes = notes_since(api.db, now - NOTES_WINDOW_S, scope(user))
    return {
        "at": iso(now),
        "alerts": _alerts(api, user),
        "orders": _orders(api, user),
        "devices": _devices(api, user),
        "notes": [
            {
                "id": n.id,
                "at": iso(n.at),
                "username": n.username,
                "district": n.district,
                "text": n.text,
            }
            for n in notes
        ],
    }


@router.post("/handover/notes", status_code=201, response_model=ShiftNoteOut)
async def leave_note(body: ShiftNoteIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """A note for the next shift, for the whole centre or for one district."""
    text = body.text.strip()
    if not text:
        raise HTTPException(422, N_("the note is empty"))
    district = body.district
    if district is None and user.districts:
        # A district officer's note stays in the district (it may name a case).
        if len(user.districts) > 1:
            raise HTTPException(422, N_("name the district the note is for"))
        district = user.districts[0]
    if district is not None and not in_scope(user, district):
        raise HTTPException(403, N_("district {district} is not yours", district=district))
    at = api.now()

    def store() -> int:
        with begin_write(api.db) as conn:
            note_id = add_note(conn, at=at, username=user.username, district=district, text=text)
            audit_append(
                conn,
                at=at,
                actor=user.username,
                action="handover.note",
                subject=str(note_id),
                details={"district": district},
            )
        return note_id

    note_id = await run_in_threadpool(store)
    return {
        "id": note_id,
        "at": iso(at),
        "username": user.username,
        "district": district,
        "text": text,
    }
