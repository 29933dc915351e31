"""The probation officer's caseload: the probation orders of his districts, each
client's compliance at a glance, alerts to review, next curfews, reporting
appointments, and requests to vary a curfew that a supervisor decides.

Every query here takes the probation orders of the user's districts
(`caseload_orders`); anything else answers 404, the same as what does not exist.
A supervisor decides a request from the case page (`orders.write`): approving it
is a variation of the order through the one variation path (`apply_variation`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, scope
from korgoo.api.responses import Out
from korgoo.api.routers.orders import apply_variation, visible_order
from korgoo.api.routers.police import offered_to
from korgoo.api.schemas import (
    ID_MAX,
    NAME_MAX,
    NOTE_MAX,
    REASON_MAX,
    Reason,
    epoch,
    iso,
)
from korgoo.domain.schedule import next_window, validate_exceptions
from korgoo.domain.terms import OrderKind, OrderStatus, ScheduleException, ZoneSpec
from korgoo.domain.text import N_, said
from korgoo.store.alerts import AlertStatus, get_alert, list_alerts
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.orders import Order, OrderVersion, latest_version, list_orders
from korgoo.store.probation import (
    Appointment,
    Outcome,
    RequestStatus,
    VariationRequest,
    add_appointment,
    add_request,
    add_review,
    appointments_of,
    decide_request,
    get_appointment,
    get_request,
    record_outcome,
    requests_of,
    reviews_of,
)
from korgoo.store.registry import get_person
from korgoo.store.users import User

router = APIRouter(tags=["caseload"])
Officer = Annotated[User, Depends(require(Capability.PROBATION_CASELOAD))]
Reader = Annotated[User, Depends(require(Capability.ORDERS_READ))]
Writer = Annotated[User, Depends(require(Capability.ORDERS_WRITE))]
RESOLVED_WINDOW_S = 30 * 86400.0  # resolved alerts stay on the caseload for review this long


class ExceptionIn(BaseModel):
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")
    reason: str = Field(min_length=1, max_length=300)


class RequestIn(BaseModel):
    zone_id: str = Field(min_length=1, max_length=ID_MAX)
    exceptions: list[ExceptionIn] = Field(min_length=1, max_length=10)
    reason: Reason


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=REASON_MAX)


class AppointmentIn(BaseModel):
    at: AwareDatetime
    place: str = Field(min_length=1, max_length=NAME_MAX)


class OutcomeIn(BaseModel):
    outcome: Outcome
    note: str = Field(default="", max_length=NOTE_MAX)


class ReviewIn(BaseModel):
    note: str = Field(min_length=1, max_length=NOTE_MAX)


class ExceptionOut(Out):
    start: str = Field(serialization_alias="from")
    end: str = Field(serialization_alias="to")
    reason: str


class CurfewOut(Out):
    zone_id: str
    zone_name: str
    start: str
    end: str
    exceptions: list[ExceptionOut]  # approved exceptions that fall in this window


class AppointmentOut(Out):
    id: str
    order_id: str
    at: str
    place: str
    created_by: str
    outcome: str | None
    outcome_note: str | None
    outcome_by: str | None


class RequestOut(Out):
    id: str
    order_id: str
    requested_by: str
    requested_at: str
    zone_id: str
    exceptions: list[ExceptionOut]
    reason: str
    status: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    version: int | None


class ReviewOut(Out):
    reviewed_by: str
    reviewed_at: str
    note: str


class ViolationOut(Out):
    alert_key: str
    order_id: str
    number: str
    client: str
    rule: str
    priority: str
    opened_at: str
    resolved: bool
    offered: bool  # offered to the probation unit of his districts when it opened
    reviews: list[ReviewOut]


class ZoneOut(Out):
    zone_id: str
    name: str
    kind: str


class ClientOut(Out):
    order_id: str
    number: str
    district: str
    status: str
    client_id: str
    client: str
    state: str  # the engine's live view: compliant, breach, no_signal, ...
    open_alerts: int
    zones: list[ZoneOut]
    next_curfew: CurfewOut | None
    next_appointment: AppointmentOut | None


class CaseloadOut(Out):
    clients: list[ClientOut]
    violations: list[ViolationOut]
    appointments: list[AppointmentOut]  # to come, and past ones not yet recorded
    requests: list[RequestOut]


def _at(t: float) -> str:
    at = iso(t)
    assert at is not None
    return at


def caseload_orders(api: Api, user: User) -> list[tuple[Order, OrderVersion]]:
    """The probation orders of the user's districts (draft and active)."""
    return list_orders(api.db, districts=scope(user), live_only=True, kinds=[OrderKind.PROBATION])


def _own_order(api: Api, user: User, order_id: str) -> Order:
    order = visible_order(api, user, order_id)
    if order.kind is not OrderKind.PROBATION:
        raise not_found(N_("Order {order_id}", order_id=order_id))
    return order


def _exception(e: ScheduleException) -> ExceptionOut:
    return ExceptionOut(start=_at(e.start), end=_at(e.end), reason=e.reason)


def _appointment(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.id,
        order_id=a.order_id,
        at=_at(a.at),
        place=a.place,
        created_by=a.created_by,
        outcome=None if a.outcome is None else a.outcome.value,
        outcome_note=a.outcome_note,
        outcome_by=a.outcome_by,
    )


def _request(r: VariationRequest) -> RequestOut:
    return RequestOut(
        id=r.id,
        order_id=r.order_id,
        requested_by=r.requested_by,
        requested_at=_at(r.requested_at),
        zone_id=r.zone_id,
        exceptions=[_exception(e) for e in r.exceptions],
        reason=r.reason,
        status=r.status.value,
        decided_by=r.decided_by,
        decided_at=iso(r.decided_at),
        decision_note=r.decision_note,
        version=r.version,
    )


def next_curfew(zones: tuple[ZoneSpec, ...], now: float, tz: str) -> CurfewOut | None:
    """The soonest window of the order's scheduled inclusion zones (a curfew),
    with the approved exceptions that fall in it."""
    found: list[tuple[float, float, ZoneSpec]] = []
    for z in zones:
        if z.kind == "inclusion" and z.schedule:
            window = next_window(z.schedule, now, tz)
            if window is not None:
                found.append((*window, z))
    if not found:
        return None
    start, end, zone = min(found, key=lambda f: f[:2])
    return CurfewOut(
        zone_id=zone.zone_id,
        zone_name=zone.name,
        start=_at(start),
        end=_at(end),
        exceptions=[_exception(e) for e in zone.exceptions if e.start < end and e.end > start],
    )


def _caseload(api: Api, user: User) -> CaseloadOut:
    now = api.now()
    found = caseload_orders(api, user)
    ids = [o.id for o, _ in found]
    by_id = {o.id: (o, v) for o, v in found}
    names = {v.respondent_id: _name(api, v.respondent_id) for _, v in found}
    open_alerts = [a for a in api.service.open_alerts() if a.order_id in by_id]
    resolved = list_alerts(
        api.db, status=AlertStatus.RESOLVED, order_ids=ids, since=now - RESOLVED_WINDOW_S
    )
    reviews = reviews_of(api.db, ids)
    appointments = appointments_of(api.db, ids)
    clients = []
    for order, version in found:
        upcoming = [a for a in appointments if a.order_id == order.id and a.at >= now]
        clients.append(
            ClientOut(
                order_id=order.id,
                number=order.number,
                district=order.district,
                status=version.status.value,
                client_id=version.respondent_id,
                client=names[version.respondent_id],
                state=api.service.order_state(order.id),
                open_alerts=sum(1 for a in open_alerts if a.order_id == order.id),
                zones=[ZoneOut(zone_id=z.zone_id, name=z.name, kind=z.kind) for z in version.zones],
                next_curfew=next_curfew(version.zones, now, api.settings.timezone),
                next_appointment=_appointment(upcoming[0]) if upcoming else None,
            )
        )
    violations = []
    for alert in sorted((*open_alerts, *resolved), key=lambda a: -a.opened_at):
        order, version = by_id[alert.order_id]
        violations.append(
            ViolationOut(
                alert_key=alert.alert_key,
                order_id=order.id,
                number=order.number,
                client=names[version.respondent_id],
                rule=alert.rule,
                priority=alert.priority.value,
                opened_at=_at(alert.opened_at),
                resolved=alert.resolved,
                offered=offered_to(user, alert),
                reviews=[
                    ReviewOut(
                        reviewed_by=r.reviewed_by, reviewed_at=_at(r.reviewed_at), note=r.note
                    )
                    for r in reviews.get(alert.alert_key, ())
                ],
            )
        )
    return CaseloadOut(
        clients=clients,
        violations=violations,
        appointments=[_appointment(a) for a in appointments if a.at >= now or a.outcome is None],
        requests=[_request(r) for r in requests_of(api.db, ids)],
    )


def _name(api: Api, person_id: str) -> str:
    person = get_person(api.db, person_id)
    return person_id if person is None else person.display_name


@router.get("/caseload", response_model=CaseloadOut, response_model_by_alias=True)
def caseload(user: Officer, api: ApiDep) -> CaseloadOut:
    return _caseload(api, user)


@router.post(
    "/caseload/orders/{order_id}/appointments", status_code=201, response_model=AppointmentOut
)
def appointment(order_id: str, body: AppointmentIn, user: Officer, api: ApiDep) -> AppointmentOut:
    """A reporting appointment for the client (when, where)."""
    _own_order(api, user, order_id)
    now = api.now()
    with begin_write(api.db) as conn:
        found = add_appointment(
            conn,
            order_id=order_id,
            at=epoch(body.at),
            place=body.place,
            actor=user.username,
            now=now,
        )
        details = {"appointment": found.id, "at": _at(found.at), "place": found.place}
        audit_append(conn, user.username, "probation.appointment", order_id, details, at=now)
    return _appointment(found)


@router.post("/caseload/appointments/{appointment_id}/outcome", response_model=AppointmentOut)
def outcome(appointment_id: str, body: OutcomeIn, user: Officer, api: ApiDep) -> AppointmentOut:
    """He came, or he missed it: recorded once by the officer."""
    found = get_appointment(api.db, appointment_id)
    if found is None:
        raise not_found(N_("Appointment {appointment_id}", appointment_id=appointment_id))
    _own_order(api, user, found.order_id)
    now = api.now()
    with begin_write(api.db) as conn:
        if not record_outcome(
            conn, appointment_id, body.outcome, body.note, actor=user.username, at=now
        ):
            raise HTTPException(409, N_("This appointment's outcome is already recorded."))
        details = {"appointment": appointment_id, "outcome": body.outcome.value, "note": body.note}
        audit_append(conn, user.username, "probation.outcome", found.order_id, details, at=now)
    done = get_appointment(api.db, appointment_id)
    assert done is not None
    return _appointment(done)


@router.post("/caseload/alerts/{key:path}/reviews", status_code=201, response_model=ReviewOut)
def review(key: str, body: ReviewIn, user: Officer, api: ApiDep) -> ReviewOut:
    """The officer's review of a client's alert (what he made of it)."""
    ids = {o.id for o, _ in caseload_orders(api, user)}
    alert = api.service.alert(key) or get_alert(api.db, key)
    if alert is None or alert.order_id not in ids:
        raise not_found(N_("Alert {key}", key=key))
    now = api.now()
    with begin_write(api.db) as conn:
        add_review(
            conn,
            alert_key=key,
            order_id=alert.order_id,
            actor=user.username,
            at=now,
            note=body.note,
        )
        audit_append(conn, user.username, "probation.review", key, {"note": body.note}, at=now)
    return ReviewOut(reviewed_by=user.username, reviewed_at=_at(now), note=body.note)


@router.post(
    "/caseload/orders/{order_id}/variation-requests", status_code=201, response_model=RequestOut
)
def request_variation(order_id: str, body: RequestIn, user: Officer, api: ApiDep) -> RequestOut:
    """Ask for exceptions to a zone's schedule (a night shift, a hospital visit);
    a supervisor approves it as a new order version, or refuses it."""
    _own_order(api, user, order_id)
    current = latest_version(api.db, order_id)
    assert current is not None
    if current.status not in (OrderStatus.DRAFT, OrderStatus.ACTIVE):
        raise HTTPException(409, N_("The order is no longer in force."))
    if body.zone_id not in {z.zone_id for z in current.zones}:
        raise HTTPException(422, N_("The order has no zone {zone_id}.", zone_id=repr(body.zone_id)))
    exceptions = tuple(
        ScheduleException(epoch(e.start), epoch(e.end), e.reason.strip()) for e in body.exceptions
    )
    try:
        validate_exceptions(exceptions)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    now = api.now()
    with begin_write(api.db) as conn:
        found = add_request(
            conn,
            order_id=order_id,
            zone_id=body.zone_id,
            exceptions=exceptions,
            reason=body.reason,
            actor=user.username,
            at=now,
        )
        details = {"request": found.id, "zone_id": body.zone_id, "reason": body.reason}
        audit_append(
            conn, user.username, "probation.variation_requested", order_id, details, at=now
        )
    return _request(found)


@router.get("/orders/{order_id}/variation-requests", response_model=list[RequestOut])
def order_requests(order_id: str, user: Reader, api: ApiDep) -> list[RequestOut]:
    """The probation officer's requests on an order, newest first (the case page)."""
    visible_order(api, user, order_id)
    return [_request(r) for r in requests_of(api.db, [order_id])]


def _open_request(api: Api, user: User, request_id: str) -> VariationRequest:
    found = get_request(api.db, request_id)
    if found is None:
        raise not_found(N_("Variation request {request_id}", request_id=request_id))
    visible_order(api, user, found.order_id)
    if found.status is not RequestStatus.REQUESTED:
        raise HTTPException(
            409, N_("This request was already {status}.", status=found.status.value)
        )
    return found


@router.post("/variation-requests/{request_id}/approve", response_model=RequestOut)
async def approve(request_id: str, body: DecisionIn, user: Writer, api: ApiDep) -> RequestOut:
    """The request's exceptions join its zone in a new version of the order."""
    found = await run_in_threadpool(_open_request, api, user, request_id)
    current = await run_in_threadpool(latest_version, api.db, found.order_id)
    assert current is not None
    if found.zone_id not in {z.zone_id for z in current.zones}:
        raise HTTPException(
            409, N_("The order no longer has zone {zone_id}.", zone_id=repr(found.zone_id))
        )
    approved = tuple(
        ScheduleException(e.start, e.end, e.reason, user.username) for e in found.exceptions
    )
    zones = [z if z.zone_id != found.zone_id else _with(z, approved) for z in current.zones]
    now = api.now()

    def decided(conn: Any, version: OrderVersion) -> None:
        if not decide_request(
            conn,
            request_id,
            RequestStatus.APPROVED,
            actor=user.username,
            at=now,
            note=body.note,
            version=version.version,
        ):
            raise ValueError("The request was decided by someone else meanwhile.")

    reason = f"variation request {request_id}: {found.reason}"[:REASON_MAX]
    await apply_variation(api, user, found.order_id, {"zones": zones}, reason, also=decided)
    done = await run_in_threadpool(get_request, api.db, request_id)
    assert done is not None
    return _request(done)


def _with(zone: ZoneSpec, added: tuple[ScheduleException, ...]) -> ZoneSpec:
    exceptions = (*zone.exceptions, *added)
    try:
        validate_exceptions(exceptions)
    except ValueError as e:
        raise HTTPException(
            422, N_("zone {zone_id}: {problem}", zone_id=repr(zone.zone_id), problem=said(e))
        ) from None
    return msgspec.structs.replace(zone, exceptions=exceptions)


@router.post("/variation-requests/{request_id}/refuse", response_model=RequestOut)
def refuse(request_id: str, body: DecisionIn, user: Writer, api: ApiDep) -> RequestOut:
    found = _open_request(api, user, request_id)
    if not body.note.strip():
        raise HTTPException(422, N_("Say why the request is refused."))
    now = api.now()
    with begin_write(api.db) as conn:
        if not decide_request(
            conn, request_id, RequestStatus.REFUSED, actor=user.username, at=now, note=body.note
        ):
            raise HTTPException(409, N_("The request was decided by someone else meanwhile."))
        details = {"request": request_id, "note": body.note}
        audit_append(
            conn, user.username, "probation.variation_refused", found.order_id, details, at=now
        )
    done = get_request(api.db, request_id)
    assert done is not None
    return _request(done)
