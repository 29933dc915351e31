"""The police view's API: the alerts offered to a police unit's districts, and
its response to them (accept, unit dispatched, on scene, outcome and note).

An alert is offered to the district where the respondent was when it opened
(docs/escalation.md), which may not be the order's district, so these routes
are scoped by the offer's district (`police_district`), not the order's. Each
step goes through the alert book like an operator's action: on the alert's
timeline, with its actor and time, and on the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from korgoo.alerts.machine import (
    POLICE_ACCEPTED,
    POLICE_DISPATCHED,
    POLICE_ON_SCENE,
    POLICE_REPORTED,
    AlertError,
)
from korgoo.alerts.model import Alert
from korgoo.alerts.policy import police_accept_due
from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, in_scope, police_unit
from korgoo.api.responses import Out
from korgoo.api.routers.alerts import Action, location_read, respondent_of
from korgoo.api.schemas import CODE_MAX, NOTE_MAX, iso
from korgoo.api.views import transition_json
from korgoo.domain.text import N_, said
from korgoo.store.alerts import get_alert, transitions
from korgoo.store.orders import latest_version
from korgoo.store.users import User

router = APIRouter(tags=["police"])
Police = Annotated[User, Depends(require(Capability.POLICE_RESPOND))]


class Position(Out):
    lat: float
    lon: float
    at: str | None = None
    accuracy_m: float | None = None


class TimelineItem(Out):
    kind: str
    at: str | None
    actor: str
    details: dict[str, Any] = {}


class PoliceAlertOut(Out):
    alert_key: str
    order_number: str | None
    no_contact: bool = False  # the order forbids him any contact with her
    rule: str
    priority: str
    opened_at: str | None
    resolved: bool
    unit: str | None
    district: str | None
    next_districts: list[str] = []  # the next districts' duty units it failed over to
    offered_at: str | None
    accept_due_at: str | None  # None once accepted, or passed to the supervisor
    accepted_by: str | None
    failed_over: bool
    stages: dict[str, str | None]
    respondent_position: Position | None = None
    protected_position: Position | None = None
    protected_location_withheld: bool = False
    timeline: list[TimelineItem] = []


class OutcomeIn(BaseModel):
    outcome: str = Field(max_length=CODE_MAX)
    note: str = Field(min_length=1, max_length=NOTE_MAX)


# The police's own steps, by the stage names of the alert (for the view).
STEP_STAGES = {
    "accepted": POLICE_ACCEPTED,
    "dispatched": POLICE_DISPATCHED,
    "on_scene": POLICE_ON_SCENE,
    "reported": POLICE_REPORTED,
}


def offered_to(user: User, alert: Alert) -> bool:
    """Offered to the user's unit in one of the user's districts: the first
    district's, or a next one's it failed over to (each may still accept)."""
    return (
        alert.police_offered_at is not None
        and alert.police_unit == police_unit(user)
        and any(in_scope(user, d) for d in (alert.police_district, *alert.police_next_districts))
    )


def _find(api: Api, user: User, key: str) -> Alert:
    alert = api.service.alert(key) or get_alert(api.db, key)
    if alert is None or not offered_to(user, alert):
        raise not_found(N_("Alert {key}", key=key))
    return alert


def _position(fix: object) -> Position | None:
    if isinstance(fix, list | tuple) and len(fix) >= 3:
        acc = fix[3] if len(fix) > 3 else None
        return Position(lat=float(fix[1]), lon=float(fix[2]), at=iso(float(fix[0])), accuracy_m=acc)
    return None


def _respondent_position(api: Api, alert: Alert) -> Position | None:
    """His live position if the engine has one, else the fix in the alert's evidence."""
    live = api.service.live_orders().get(alert.order_id)
    if live is not None and live.lat is not None and live.lon is not None:
        return Position(lat=live.lat, lon=live.lon, at=iso(live.t), accuracy_m=live.acc)
    return _position(alert.evidence.get("respondent_fix"))


def _protected_fix(alert: Alert, respondent_id: str | None) -> object:
    fix = alert.evidence.get("protected_fix")
    if fix is None and alert.evidence.get("person_id") not in (None, respondent_id):
        fix = alert.evidence.get("last_fix")  # her own panic: where she pressed it
    return fix


def _out(alert: Alert, **extra: Any) -> PoliceAlertOut:
    return PoliceAlertOut(
        alert_key=alert.alert_key,
        order_number=extra.pop("order_number", None),
        rule=alert.rule,
        priority=alert.priority.value,
        opened_at=iso(alert.opened_at),
        resolved=alert.resolved,
        unit=alert.police_unit,
        district=alert.police_district,
        next_districts=list(alert.police_next_districts),
        offered_at=iso(alert.police_offered_at),
        accept_due_at=iso(police_accept_due(alert)),
        accepted_by=alert.police_accepted_by,
        failed_over=alert.police_failed_over,
        stages={step: iso(alert.stages.get(stage)) for step, stage in STEP_STAGES.items()},
        **extra,
    )


def _number(api: Api, alert: Alert) -> str | None:
    ref = api.orders.get(alert.order_id)
    return None if ref is None else ref.number


def _no_contact(api: Api, alert: Alert) -> bool:
    terms = api.service.order_terms(alert.order_id)
    return terms is not None and terms.no_contact


@router.get("/police/alerts", response_model=list[PoliceAlertOut])
def offered(user: Police, api: ApiDep) -> list[PoliceAlertOut]:
    """The open alerts offered to the user's districts, most urgent first."""
    found = [a for a in api.service.open_alerts() if offered_to(user, a)]
    return [
        _out(
            a,
            order_number=_number(api, a),
            no_contact=_no_contact(api, a),
            respondent_position=_respondent_position(api, a),
        )
        for a in found
    ]


@router.get("/police/alerts/{key:path}", response_model=PoliceAlertOut)
def one(key: str, user: Police, api: ApiDep, reason: str | None = None) -> PoliceAlertOut:
    """One offered alert with the respondent's position and its timeline. The
    protected person's position is shown only to a user with
    `locations.protected.read` who gives a `reason` (the read is audited)."""
    alert = _find(api, user, key)
    respondent = respondent_of(api, alert.order_id)
    fix = _protected_fix(alert, respondent)
    shown = False
    if fix is not None and reason:
        version = latest_version(api.db, alert.order_id)
        details = {
            "what": "police view",
            "alert_key": alert.alert_key,
            "order_id": alert.order_id,
            "persons": [] if version is None else list(version.protected_ids),
        }
        shown = location_read(api, user, reason, f"alert:{alert.alert_key}", details)
    timeline = [
        TimelineItem(**{k: v for k, v in item.items() if k in TimelineItem.model_fields})
        for item in (
            transition_json(t, respondent_id=respondent, protected_ok=shown)
            for t in transitions(api.db, key)
        )
    ]
    return _out(
        alert,
        order_number=_number(api, alert),
        no_contact=_no_contact(api, alert),
        respondent_position=_respondent_position(api, alert),
        protected_position=_position(fix) if shown else None,
        protected_location_withheld=fix is not None and not shown,
        timeline=timeline,
    )


async def _act(api: Api, user: User, key: str, action: Action) -> PoliceAlertOut:
    await run_in_threadpool(_find, api, user, key)
    at = api.now()
    try:
        await api.service.act(lambda book: action(book, at))
    except AlertError as e:
        raise HTTPException(409, said(e)) from None
    return await run_in_threadpool(one, key, user, api)


@router.post("/police/alerts/{key:path}/accept", response_model=PoliceAlertOut)
async def accept(key: str, user: Police, api: ApiDep) -> PoliceAlertOut:
    return await _act(api, user, key, lambda b, at: b.police_accept(key, user.username, at))


@router.post("/police/alerts/{key:path}/dispatched", response_model=PoliceAlertOut)
async def dispatched(key: str, user: Police, api: ApiDep) -> PoliceAlertOut:
    return await _act(
        api, user, key, lambda b, at: b.police_stage(key, user.username, at, POLICE_DISPATCHED)
    )


@router.post("/police/alerts/{key:path}/on-scene", response_model=PoliceAlertOut)
async def on_scene(key: str, user: Police, api: ApiDep) -> PoliceAlertOut:
    return await _act(
        api, user, key, lambda b, at: b.police_stage(key, user.username, at, POLICE_ON_SCENE)
    )


@router.post("/police/alerts/{key:path}/outcome", response_model=PoliceAlertOut)
async def outcome(key: str, body: OutcomeIn, user: Police, api: ApiDep) -> PoliceAlertOut:
    """The outcome (respondent_detained, respondent_removed, respondent_not_found,
    no_breach, other) and a note. The centre resolves the alert."""
    return await _act(
        api,
        user,
        key,
        lambda b, at: b.police_report(key, user.username, at, body.outcome, body.note),
    )
