"""Temporary orders from the police and the centre's queue of monitoring requests.

A police duty officer (`orders.request`) issues a temporary protective order of
his districts, registering its persons if they are new, and asks the centre for
monitoring; the centre's supervisor (`orders.write`) answers in the queue:
fitted (a bracelet) or enrolled (the respondent app), monitoring started, or
refused with a reason. Each step is on the request and on the audit log under
the order, with its actor and time.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, in_scope, scope
from korgoo.api.responses import MonitoringRequestOut, TemporaryOrderOut
from korgoo.api.routers.orders import _detail, _publish, _zones
from korgoo.api.routers.persons import _contacts, check_district, visible_person
from korgoo.api.schemas import NewPartyIn, RefusalIn, TemporaryOrderIn, iso
from korgoo.domain.terms import OrderKind
from korgoo.domain.text import N_
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.orders import (
    DAY_S,
    create_order,
    get_order,
    latest_version,
    number_and_district,
    terms_at,
)
from korgoo.store.registry import PersonRole, create_person
from korgoo.store.requests import (
    MonitoringRequest,
    StepRefusedError,
    add_request,
    advance,
    get_request,
    list_requests,
)
from korgoo.store.users import User

router = APIRouter(tags=["requests"])
Police = Annotated[User, Depends(require(Capability.ORDERS_REQUEST))]
Reader = Annotated[User, Depends(require(Capability.ORDERS_READ))]
Centre = Annotated[User, Depends(require(Capability.ORDERS_WRITE))]


def request_json(api: Api, r: MonitoringRequest) -> dict[str, Any]:
    found = number_and_district(api.db, r.order_id)
    return {
        "id": r.id,
        "order_id": r.order_id,
        "order_number": "" if found is None else found[0],
        "district": r.district,
        "kind": r.kind,
        "status": r.status,
        "note": r.note,
        "requested_by": r.requested_by,
        "requested_at": iso(r.requested_at),
        "fitted_by": r.fitted_by,
        "fitted_at": None if r.fitted_at is None else iso(r.fitted_at),
        "started_by": r.started_by,
        "started_at": None if r.started_at is None else iso(r.started_at),
        "refused_by": r.refused_by,
        "refused_at": None if r.refused_at is None else iso(r.refused_at),
        "refusal_reason": r.refusal_reason,
    }


def _party(
    conn: sa.Connection,
    user: User,
    given: str | None,
    new: NewPartyIn | None,
    role: PersonRole,
    district: str,
    at: float,
) -> tuple[str, bool]:
    """(person id, whether registered now): a registered person, or the new one."""
    if (given is None) == (new is None):
        raise HTTPException(
            422, N_("Give either the {role}'s id or a new {role}.", role=role.value)
        )
    if given is not None:
        return given, False
    assert new is not None
    contacts = _contacts(new.model_dump(include=set(NewPartyIn.model_fields)))
    person = create_person(conn, role=role, district=district, at=at, **contacts)
    details = {"role": role.value, "district": district}
    audit_append(conn, user.username, "person.created", f"person:{person.id}", details, at=at)
    return person.id, True


def _check_given(api: Api, user: User, body: TemporaryOrderIn) -> None:
    """Registered persons named by id are of the user's districts and of their part."""
    for given, role in (
        (body.respondent_id, PersonRole.RESPONDENT),
        (body.protected_id, PersonRole.PROTECTED),
    ):
        if given is not None and visible_person(api, user, given).role is not role:
            raise HTTPException(
                422,
                N_("Person {given} is not registered as a {role}.", given=given, role=role.value),
            )


@router.post("/police/orders", status_code=201, response_model=TemporaryOrderOut)
async def temporary_order(body: TemporaryOrderIn, user: Police, api: ApiDep) -> dict[str, Any]:
    """A temporary protective order of the officer's district, running
    `temporary_order_days` from now, and the request to the centre to monitor it."""
    check_district(user, body.district)
    await run_in_threadpool(_check_given, api, user, body)
    zones = _zones(body.zones)
    at = api.now()
    ends_at = at + api.settings.temporary_order_days * DAY_S

    def store() -> tuple[str, MonitoringRequest]:
        with begin_write(api.db) as conn:
            respondent, _ = _party(
                conn,
                user,
                body.respondent_id,
                body.respondent,
                PersonRole.RESPONDENT,
                body.district,
                at,
            )
            protected, _ = _party(
                conn,
                user,
                body.protected_id,
                body.protected,
                PersonRole.PROTECTED,
                body.district,
                at,
            )
            first = create_order(
                conn,
                number=body.number,
                kind=OrderKind.TEMPORARY,
                issuing_authority=body.issuing_authority,
                legal_basis=body.legal_basis,
                district=body.district,
                respondent_id=respondent,
                protected_ids=[protected],
                starts_at=at,
                ends_at=ends_at,
                min_distance_m=body.min_distance_m,
                warning_distance_m=body.warning_distance_m,
                zones=zones,
                no_contact=body.no_contact,
                reason="temporary order issued by the police",
                actor=user.username,
                at=at,
            )
            details = {"number": body.number, "district": body.district, "kind": "temporary"}
            audit_append(conn, user.username, "order.created", first.order_id, details, at=at)
            request = add_request(
                conn,
                order_id=first.order_id,
                district=body.district,
                kind=body.monitoring,
                note=body.note,
                actor=user.username,
                at=at,
            )
            audit_append(
                conn,
                user.username,
                "monitoring.requested",
                first.order_id,
                {"request": request.id, "kind": body.monitoring},
                at=at,
            )
            return first.order_id, request

    try:
        order_id, request = await run_in_threadpool(store)
    except sa.exc.IntegrityError:
        raise HTTPException(
            409, N_("An order numbered {number} already exists.", number=repr(body.number))
        ) from None
    await _publish(api, order_id, at)
    order = await run_in_threadpool(get_order, api.db, order_id)
    assert order is not None
    current = await run_in_threadpool(latest_version, api.db, order_id)
    assert current is not None
    return {
        "order": await run_in_threadpool(_detail, api, order, current),
        "request": await run_in_threadpool(request_json, api, request),
    }


def _visible_request(api: Api, user: User, request_id: str) -> MonitoringRequest:
    found = get_request(api.db, request_id)
    if found is None or not in_scope(user, found.district):
        raise not_found(N_("Request {request_id}", request_id=request_id))
    return found


@router.get("/requests", response_model=list[MonitoringRequestOut])
def requests(user: Reader, api: ApiDep, all: bool = False) -> list[dict[str, Any]]:
    """The monitoring requests of the user's districts, oldest first; the open
    ones (requested, fitted, enrolled) unless `all=true`."""
    found = list_requests(api.db, scope(user), open_only=not all)
    return [request_json(api, r) for r in found]


@router.get("/requests/{request_id}", response_model=MonitoringRequestOut)
def request(request_id: str, user: Reader, api: ApiDep) -> dict[str, Any]:
    return request_json(api, _visible_request(api, user, request_id))


def _step(api: Api, user: User, request_id: str, status: str, reason: str = "") -> dict[str, Any]:
    current = _visible_request(api, user, request_id)
    at = api.now()
    if status == "fitted" and current.kind != "bracelet":
        status = "enrolled"  # the respondent app is enrolled, not fitted
    if status == "started":
        terms = terms_at(api.db, current.order_id, at)
        if terms is None or not terms.respondent.devices:
            raise HTTPException(
                409, "The respondent holds no device yet: fit or enrol one before starting."
            )
    with begin_write(api.db) as conn:
        try:
            done = advance(conn, request_id, status, actor=user.username, at=at, reason=reason)
        except StepRefusedError as e:
            raise HTTPException(409, str(e)) from None
        details = {"request": request_id, "kind": done.kind}
        if reason:
            details["reason"] = reason
        audit_append(conn, user.username, f"monitoring.{status}", done.order_id, details, at=at)
    return request_json(api, done)


@router.post("/requests/{request_id}/fitted", response_model=MonitoringRequestOut)
def fitted(request_id: str, user: Centre, api: ApiDep) -> dict[str, Any]:
    """The device is on: a bracelet fitted, or the respondent app enrolled (the
    existing device and enrolment flows did it)."""
    return _step(api, user, request_id, "fitted")


@router.post("/requests/{request_id}/started", response_model=MonitoringRequestOut)
def started(request_id: str, user: Centre, api: ApiDep) -> dict[str, Any]:
    """Monitoring started: the respondent holds a device of the order."""
    return _step(api, user, request_id, "started")


@router.post("/requests/{request_id}/refused", response_model=MonitoringRequestOut)
def refused(request_id: str, body: RefusalIn, user: Centre, api: ApiDep) -> dict[str, Any]:
    return _step(api, user, request_id, "refused", body.reason)
