"""The alert queue, one alert with its timeline, and the operator's actions.

Open alerts come from the pipeline's live book (no query); resolved ones from
the store. Actions go through `pipeline.act`, which stores the transitions and
writes the audit log; a refused action (machine.AlertError) is a 409 whose
message says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from korgoo.alerts.book import AlertBook, queue_order
from korgoo.alerts.machine import AlertError
from korgoo.alerts.model import Alert, Transition
from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, can, in_scope, scope
from korgoo.api.responses import AlertActionOut, AlertDetailOut, AlertOut, TransitionOut
from korgoo.api.schemas import (
    CallIn,
    CodeQuery,
    ErrorOut,
    EscalateIn,
    IdQuery,
    NoteIn,
    ReasonQuery,
    ResolveIn,
    SearchQuery,
    StageIn,
    TimeQuery,
    parse_time,
)
from korgoo.api.search import orders_matching
from korgoo.api.views import alert_json, holds_protected_positions, transition_json
from korgoo.domain.decisions import Priority
from korgoo.domain.text import N_, said
from korgoo.store.alerts import AlertStatus, get_alert, list_alerts, transitions
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.orders import latest_version
from korgoo.store.users import User

router = APIRouter(tags=["alerts"])
Reader = Annotated[User, Depends(require(Capability.ALERTS_READ))]
Actor = Annotated[User, Depends(require(Capability.ALERTS_ACT))]
Resolver = Annotated[User, Depends(require(Capability.ALERTS_RESOLVE))]
Status = Literal["open", "active", "unacknowledged", "acknowledged", "resolved"]
Action = Callable[[AlertBook, float], list[Transition]]
# An action the alert's state does not allow: 409, saying why.
REFUSED: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}}


def respondent_of(api: Api, order_id: str) -> str | None:
    """The order's respondent: from the engine's live terms, else the store."""
    terms = api.service.order_terms(order_id)
    if terms is not None:
        return terms.respondent.person_id
    version = latest_version(api.db, order_id)
    return None if version is None else version.respondent_id


def visible(api: Api, user: User, alert: Alert) -> bool:
    ref = api.orders.get(alert.order_id)
    return in_scope(user, None if ref is None else ref.district)


def shown(api: Api, alert: Alert, *, protected_ok: bool = False) -> dict[str, Any]:
    return alert_json(
        alert,
        api.orders.get(alert.order_id),
        respondent_id=respondent_of(api, alert.order_id),
        protected_ok=protected_ok,
    )


def _matches(api: Api, alert: Alert, status: Status, f: dict[str, Any]) -> bool:
    if status == "active" and not alert.active:
        return False
    if status == "unacknowledged" and alert.acked:
        return False
    if status == "acknowledged" and not alert.acked:
        return False
    if f["priority"] and alert.priority not in f["priority"]:
        return False
    if f["rule"] is not None and alert.rule != f["rule"]:
        return False
    if f["order_id"] is not None and alert.order_id != f["order_id"]:
        return False
    if f["order_ids"] is not None and alert.order_id not in f["order_ids"]:
        return False
    if f["since"] is not None and alert.opened_at < f["since"]:
        return False
    if f["until"] is not None and alert.opened_at >= f["until"]:
        return False
    ref = api.orders.get(alert.order_id)
    district = None if ref is None else ref.district
    return f["districts"] is None or district in f["districts"]


@router.get("/alerts", response_model=list[AlertOut])
def alerts(
    user: Reader,
    api: ApiDep,
    status: Status = "open",
    priority: Annotated[list[Priority] | None, Query()] = None,
    rule: CodeQuery = None,
    district: CodeQuery = None,
    order_id: IdQuery = None,
    order: SearchQuery = None,
    person: SearchQuery = None,
    since: TimeQuery = None,
    until: TimeQuery = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """The queue: most urgent priority first, then oldest first. `status`: open
    (not resolved, the default), active (condition still active), unacknowledged,
    acknowledged, resolved. `since`/`until` bound the opening time (ISO-8601).
    `order`: a part of the order's number; `person`: a person's id or a part of
    the name (respondent or protected person) of the order."""
    try:
        t0 = None if since is None else parse_time(since, "since")
        t1 = None if until is None else parse_time(until, "until")
    except ValueError as e:
        raise HTTPException(422, said(e)) from None
    districts = scope(user)
    if district:
        districts = (district,) if districts is None or district in districts else ()
    order_ids = None
    if order or person:
        matching = orders_matching(api.db, districts, number=order, person=person)
        order_ids = {o.id for o, _ in matching}
    rule = rule or None
    if status == "resolved":
        found = list_alerts(
            api.db,
            status=AlertStatus.RESOLVED,
            priority=priority,
            rule=rule,
            order_id=order_id,
            order_ids=order_ids,
            districts=districts,
            since=t0,
            until=t1,
            limit=limit,
        )
    else:
        f = {
            "priority": set(priority or ()),
            "rule": rule,
            "order_id": order_id,
            "order_ids": order_ids,
            "since": t0,
            "until": t1,
            "districts": districts,
        }
        found = [a for a in api.service.open_alerts() if _matches(api, a, status, f)][:limit]
    return [shown(api, a) for a in sorted(found, key=queue_order)]


def find_alert(api: Api, user: User, key: str) -> Alert:
    alert = api.service.alert(key) or get_alert(api.db, key)
    if alert is None or not visible(api, user, alert):
        raise not_found(N_("Alert {key}", key=key))
    return alert


def location_read(
    api: Api, user: User, reason: str | None, subject: str, details: dict[str, Any]
) -> bool:
    """Whether the protected person's position (and what it can be derived from)
    may be shown: only to a user with `locations.protected.read` who gave a
    reason. The read goes on the audit log, with `details` and the reason."""
    why = (reason or "").strip()
    if not why or not can(user, Capability.LOCATIONS_PROTECTED_READ):
        return False
    with begin_write(api.db) as conn:
        audit_append(
            conn,
            user.username,
            "location.read",
            subject,
            details | {"reason": why},
            at=api.now(),
        )
    return True


def _alert_read(api: Api, user: User, alert: Alert, reason: str | None, what: str) -> bool:
    version = latest_version(api.db, alert.order_id)
    details = {
        "what": what,
        "alert_key": alert.alert_key,
        "order_id": alert.order_id,
        "persons": [] if version is None else list(version.protected_ids),
    }
    return location_read(api, user, reason, f"alert:{alert.alert_key}", details)


@router.get("/alerts/{key:path}/timeline", response_model=list[TransitionOut])
def timeline(
    key: str, user: Reader, api: ApiDep, reason: ReasonQuery = None
) -> list[dict[str, Any]]:
    """The alert's transitions in the order they were stored. What the protected
    person's position can be derived from (her fix, the distance to her) is
    shown only to a user with `locations.protected.read` who gives a `reason`;
    the read is written to the audit log."""
    alert = find_alert(api, user, key)
    respondent = respondent_of(api, alert.order_id)
    history = transitions(api.db, key)
    withheld = holds_protected_positions(alert, history, respondent_id=respondent)
    protected_ok = withheld and _alert_read(api, user, alert, reason, "alert timeline")
    return [
        transition_json(t, respondent_id=respondent, protected_ok=protected_ok) for t in history
    ]


@router.get("/alerts/{key:path}", response_model=AlertDetailOut)
def alert(key: str, user: Reader, api: ApiDep, reason: ReasonQuery = None) -> dict[str, Any]:
    """The alert, its evidence and its timeline. The protected person's positions
    and what they can be derived from (the distance to her) are shown only to a
    user with `locations.protected.read` who gives a `reason`; the read is
    written to the audit log."""
    found = find_alert(api, user, key)
    respondent = respondent_of(api, found.order_id)
    history = transitions(api.db, key)
    withheld = holds_protected_positions(found, history, respondent_id=respondent)
    protected_ok = withheld and _alert_read(api, user, found, reason, "alert evidence")
    out = shown(api, found, protected_ok=protected_ok)
    out["protected_location_withheld"] = withheld and not protected_ok
    out["timeline"] = [
        transition_json(t, respondent_id=respondent, protected_ok=protected_ok) for t in history
    ]
    return out


async def _act(api: Api, user: User, key: str, action: Action) -> dict[str, Any]:
    await run_in_threadpool(find_alert, api, user, key)
    at = api.now()
    try:
        effects = await api.service.act(lambda book: action(book, at))
    except AlertError as e:
        raise HTTPException(409, said(e)) from None
    after = await run_in_threadpool(find_alert, api, user, key)
    respondent = respondent_of(api, after.order_id)
    return {
        "alert": await run_in_threadpool(shown, api, after),
        "transitions": [
            transition_json(t, respondent_id=respondent, protected_ok=False)
            for t in effects.transitions
        ],
    }


@router.post("/alerts/{key:path}/acknowledge", response_model=AlertActionOut, responses=REFUSED)
async def acknowledge(key: str, user: Actor, api: ApiDep) -> dict[str, Any]:
    return await _act(api, user, key, lambda b, at: b.acknowledge(key, user.username, at))


@router.post("/alerts/{key:path}/notes", response_model=AlertActionOut, responses=REFUSED)
async def note(key: str, body: NoteIn, user: Actor, api: ApiDep) -> dict[str, Any]:
    return await _act(api, user, key, lambda b, at: b.add_note(key, user.username, at, body.text))


@router.post("/alerts/{key:path}/calls", response_model=AlertActionOut, responses=REFUSED)
async def call(key: str, body: CallIn, user: Actor, api: ApiDep) -> dict[str, Any]:
    """A phone call about the alert: `party` respondent, protected, police,
    probation or other; `outcome` how it went (answered, no answer, ...)."""
    return await _act(
        api,
        user,
        key,
        lambda b, at: b.log_call(
            key, user.username, at, party=body.party, outcome=body.outcome, note=body.note
        ),
    )


@router.post("/alerts/{key:path}/stages", response_model=AlertActionOut, responses=REFUSED)
async def stage(key: str, body: StageIn, user: Actor, api: ApiDep) -> dict[str, Any]:
    """A response stage: victim_warned, respondent_instructed, police_notified,
    police_on_scene (the first record of each counts)."""
    return await _act(
        api, user, key, lambda b, at: b.record_stage(key, body.stage, at, user.username)
    )


@router.post("/alerts/{key:path}/escalate", response_model=AlertActionOut, responses=REFUSED)
async def escalate(key: str, body: EscalateIn, user: Actor, api: ApiDep) -> dict[str, Any]:
    return await _act(api, user, key, lambda b, at: b.escalate(key, user.username, at, body.reason))


@router.post("/alerts/{key:path}/resolve", response_model=AlertActionOut, responses=REFUSED)
async def resolve(key: str, body: ResolveIn, user: Resolver, api: ApiDep) -> dict[str, Any]:
    """Close the alert with an outcome code and a note. While the condition is
    still active only a false-alarm outcome is accepted (409 says which)."""
    return await _act(
        api,
        user,
        key,
        lambda b, at: b.resolve(key, user.username, at, body.outcome, body.note),
    )
