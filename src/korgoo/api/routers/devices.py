"""Devices: enrolment (also of unknown senders), assignment to persons, last contact.

An assignment changes the devices of every live order the person is in, so the
engine is given those orders' terms again at once (same version, new devices).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Annotated, Any, Final, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, scope
from korgoo.api.responses import (
    AssignedDeviceOut,
    DeviceDetailOut,
    DeviceListOut,
    EnrolledDeviceOut,
    UnknownDeviceOut,
)
from korgoo.api.routers.persons import visible_person
from korgoo.api.schemas import AssignIn, DeviceIn, EnrolUnknownIn, SearchQuery, UnassignIn, iso
from korgoo.api.views import assignment_json, unknown_device_json
from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.domain.text import N_
from korgoo.engine.params import DEFAULT_PARAMS
from korgoo.gateways.admission import IDENTITY_PROTOCOLS
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.devices import (
    Contact,
    DeviceRecord,
    assign_device,
    assignments,
    enrol_device,
    last_contacts,
    list_devices,
    list_unknown_devices,
    unassign_device,
)
from korgoo.store.orders import current_terms
from korgoo.store.users import User

router = APIRouter(tags=["devices"])
Reader = Annotated[User, Depends(require(Capability.DEVICES_READ))]
Writer = Annotated[User, Depends(require(Capability.DEVICES_WRITE))]
# Phones authenticate with a per-device secret; bracelets by their protocol identity.
_APP_KINDS = frozenset({DeviceKind.RESPONDENT_APP, DeviceKind.VICTIM_APP})


def device_json(d: DeviceRecord, contact: Contact | None) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind.value,
        "model": d.model,
        "tz_offset_min": d.tz_offset_min,
        "enrolled_at": iso(d.enrolled_at),
        "has_secret": d.has_secret,
        "protocol": d.protocol,
        "person_id": d.person_id,
        "person_role": d.person_role,
        "district": d.district,
        "last_contact": None if contact is None else iso(contact.at),
        "battery": None if contact is None else contact.battery,
    }


def visible_device(api: Api, user: User, device_id: str) -> DeviceRecord:
    found = list_devices(api.db, districts=scope(user), device_id=device_id)
    if not found:
        raise not_found(N_("Device {device_id}", device_id=device_id))
    return found[0]


async def republish(api: Api, person_ids: Iterable[str]) -> list[str]:
    """Give the engine the current terms of every live order naming these persons
    (their devices changed); returns the order ids."""
    wanted = set(person_ids)
    changed = []
    for terms in await run_in_threadpool(current_terms, api.db):
        names = {terms.respondent.person_id, *(p.person_id for p in terms.protected)}
        if names & wanted:
            await api.service.order_changed(terms)
            changed.append(terms.order_id)
    return changed


# A device is stale when it has been silent longer than its kind's no-signal
# threshold (the rule's default parameters), or has never been heard from.
SILENCE_S: Final = {
    DeviceKind.BRACELET: DEFAULT_PARAMS.no_signal_bracelet_s,
    DeviceKind.RESPONDENT_APP: DEFAULT_PARAMS.no_signal_respondent_app_s,
    DeviceKind.VICTIM_APP: DEFAULT_PARAMS.no_signal_victim_app_s,
}


@router.get("/devices", response_model=list[DeviceListOut])
def devices(
    user: Reader,
    api: ApiDep,
    q: SearchQuery = None,
    kind: Annotated[list[DeviceKind] | None, Query()] = None,
    state: Literal["assigned", "unassigned"] | None = None,
    contact: Literal["recent", "stale", "never"] | None = None,
) -> list[dict[str, Any]]:
    """Enrolled devices in the user's districts (and unassigned ones), with the
    wearer, last contact and last reported battery, and whether the device is
    stale (silent longer than its kind's no-signal threshold, or never heard).
    Filters: `q` a part of the id; `kind` (repeatable); `state` assigned or
    unassigned; `contact` recent, stale (never heard included) or never."""
    found = list_devices(api.db, districts=scope(user))
    if q:
        found = [d for d in found if q.casefold() in d.id.casefold()]
    if kind:
        found = [d for d in found if d.kind in kind]
    if state is not None:
        found = [d for d in found if (d.person_id is not None) == (state == "assigned")]
    contacts = last_contacts(api.db, [d.id for d in found])
    now = api.now()
    out = []
    for d in found:
        seen = contacts.get(d.id)
        stale = seen is None or now - seen.at > SILENCE_S.get(d.kind, 0.0)
        wanted = {
            None: True,
            "recent": not stale,
            "stale": stale,
            "never": seen is None,
        }[contact]
        if wanted:
            out.append(device_json(d, seen) | {"stale": stale})
    return out


def _protocol(kind: DeviceKind, protocol: str | None) -> str | None:
    """A bracelet's protocol must be named and known; an app must have none."""
    if kind in _APP_KINDS:
        if protocol is not None:
            raise HTTPException(422, N_("An app authenticates with its secret: give no protocol."))
        return None
    if protocol not in IDENTITY_PROTOCOLS:
        raise HTTPException(
            422,
            N_(
                "A bracelet needs its protocol: one of {identity_protocols}.",
                identity_protocols=list(IDENTITY_PROTOCOLS),
            ),
        )
    return protocol


def _enrol(
    api: Api,
    user: User,
    body: EnrolUnknownIn,
    device_id: str,
    source: str,
    protocol: str | None,
) -> str | None:
    protocol = _protocol(body.kind, protocol)
    secret = secrets.token_urlsafe(24) if body.kind in _APP_KINDS else None
    at = api.now()
    try:
        with begin_write(api.db) as conn:
            enrol_device(
                conn,
                device_id,
                body.kind,
                model=body.model,
                tz_offset_min=body.tz_offset_min,
                secret=secret,
                protocol=protocol,
                at=at,
            )
            details = {"kind": body.kind.value, "source": source, "protocol": protocol}
            audit_append(
                conn, user.username, "device.enrolled", f"device:{device_id}", details, at=at
            )
    except sa.exc.IntegrityError:
        raise HTTPException(
            409, N_("Device {device_id} is already enrolled.", device_id=device_id)
        ) from None
    # The gateways accept it from now on, without a restart.
    api.service.device_enrolled(DeviceInfo(device_id, body.kind, body.tz_offset_min, protocol))
    return secret


def _enrolled(api: Api, user: User, device_id: str, secret: str | None) -> dict[str, Any]:
    out = device_json(visible_device(api, user, device_id), None)
    # Shown once: only its digest is stored.
    out["secret"] = secret
    return out


@router.post("/devices", status_code=201, response_model=EnrolledDeviceOut)
def enrol(body: DeviceIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """Enrol a device. A phone app gets a secret, returned here once."""
    spec = EnrolUnknownIn(kind=body.kind, model=body.model, tz_offset_min=body.tz_offset_min)
    secret = _enrol(api, user, spec, body.device_id, "manual", body.protocol)
    return _enrolled(api, user, body.device_id, secret)


@router.get("/devices/unknown", response_model=list[UnknownDeviceOut])
def unknown(_: Reader, api: ApiDep) -> list[dict[str, Any]]:
    """Senders that are not enrolled, most recently seen first."""
    return [unknown_device_json(u) for u in list_unknown_devices(api.db)]


@router.post(
    "/devices/unknown/{protocol}/{ident}/enrol",
    status_code=201,
    response_model=EnrolledDeviceOut,
)
def enrol_unknown(
    protocol: str, ident: str, body: EnrolUnknownIn, user: Writer, api: ApiDep
) -> dict[str, Any]:
    if not any(u.protocol == protocol and u.ident == ident for u in list_unknown_devices(api.db)):
        raise not_found(N_("Unknown {protocol} device {ident}", protocol=protocol, ident=ident))
    # The protocol it was heard on is the one it speaks.
    secret = _enrol(api, user, body, ident, f"unknown:{protocol}", protocol)
    return _enrolled(api, user, ident, secret)


@router.get("/devices/{device_id}", response_model=DeviceDetailOut)
def device(device_id: str, user: Reader, api: ApiDep) -> dict[str, Any]:
    found = visible_device(api, user, device_id)
    out = device_json(found, last_contacts(api.db, [device_id]).get(device_id))
    out["assignments"] = [assignment_json(a) for a in assignments(api.db, device_id=device_id)]
    return out


def orders_naming(api: Api, person_ids: Iterable[str]) -> list[str]:
    """The live orders naming any of these persons (whose record a change of
    their devices goes on)."""
    wanted = set(person_ids)
    return [
        terms.order_id
        for terms in current_terms(api.db)
        if {terms.respondent.person_id, *(p.person_id for p in terms.protected)} & wanted
    ]


def _audit_assignment(
    conn: sa.Connection,
    user: User,
    action: str,
    device_id: str,
    details: dict[str, Any],
    orders: list[str],
    at: float,
) -> None:
    """On the device's record and on the record of every order it served or serves."""
    audit_append(conn, user.username, action, f"device:{device_id}", details, at=at)
    for order_id in orders:
        order_details = {"device_id": device_id, **details}
        audit_append(conn, user.username, action, f"order:{order_id}", order_details, at=at)


@router.post("/devices/{device_id}/assignment", response_model=AssignedDeviceOut)
async def assign(device_id: str, body: AssignIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """Make the person the device's wearer from now (closing any earlier
    assignment), for the reason given; it goes on the audit log of the device
    and of the orders concerned."""
    before = await run_in_threadpool(visible_device, api, user, device_id)
    await run_in_threadpool(visible_person, api, user, body.person_id)
    people = [body.person_id] + ([before.person_id] if before.person_id else [])
    concerned = await run_in_threadpool(orders_naming, api, people)
    reason = body.reason
    at = api.now()

    def store() -> None:
        with begin_write(api.db) as conn:
            assign_device(
                conn, device_id, body.person_id, actor=user.username, at=at, reason=reason
            )
            details = {"person_id": body.person_id, "previous": before.person_id, "reason": reason}
            _audit_assignment(conn, user, "device.assigned", device_id, details, concerned, at)

    await run_in_threadpool(store)
    orders = await republish(api, people)
    out = device_json(await run_in_threadpool(visible_device, api, user, device_id), None)
    out["orders_updated"] = orders
    return out


@router.delete("/devices/{device_id}/assignment", response_model=AssignedDeviceOut)
async def unassign(device_id: str, body: UnassignIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """End the device's assignment, for the reason given (audit log of the device
    and of the orders concerned)."""
    before = await run_in_threadpool(visible_device, api, user, device_id)
    if before.person_id is None:
        raise HTTPException(
            409, N_("Device {device_id} is not assigned to anyone.", device_id=device_id)
        )
    concerned = await run_in_threadpool(orders_naming, api, [before.person_id])
    reason = body.reason
    at = api.now()

    def store() -> None:
        with begin_write(api.db) as conn:
            unassign_device(conn, device_id, at=at, actor=user.username, reason=reason)
            details = {"person_id": before.person_id, "reason": reason}
            _audit_assignment(conn, user, "device.unassigned", device_id, details, concerned, at)

    await run_in_threadpool(store)
    orders = await republish(api, [before.person_id])
    out = device_json((await run_in_threadpool(list_devices, api.db, device_id=device_id))[0], None)
    out["orders_updated"] = orders
    return out
