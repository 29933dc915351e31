"""Protective orders: create, vary (a new version), end; versions, terms in force
at a time, zones as GeoJSON.

Every change is stored first, then handed to the pipeline as the order's new
terms (`pipeline.order_changed`), so the engine monitors the new version at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, scope
from korgoo.api.responses import (
    OrderDetailOut,
    OrderOut,
    OrderVersionOut,
    TermsOut,
    ZoneCollectionOut,
)
from korgoo.api.routers.persons import check_district, visible_person
from korgoo.api.schemas import (
    LIST_MAX,
    ZONES_MAX,
    CodeQuery,
    EndIn,
    OrderIn,
    SearchQuery,
    TimeQuery,
    VariationIn,
    epoch,
    parse_time,
    zone_from_json,
)
from korgoo.api.search import orders_matching
from korgoo.api.views import order_json, terms_json, version_json, zones_geojson
from korgoo.apps.order_end import enqueue_end_notice
from korgoo.apps.service import Apps
from korgoo.domain.terms import OrderKind, OrderStatus, OrderTerms
from korgoo.domain.text import N_, said
from korgoo.notify.channels import enabled_channels
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.orders import (
    Order,
    OrderVersion,
    create_order,
    end_order,
    get_order,
    latest_version,
    terms_at,
    vary_order,
    versions,
)
from korgoo.store.registry import PersonRole, monitored_districts
from korgoo.store.requests import move_apps
from korgoo.store.users import User

router = APIRouter(tags=["orders"])
Reader = Annotated[User, Depends(require(Capability.ORDERS_READ))]
Writer = Annotated[User, Depends(require(Capability.ORDERS_WRITE))]
_TIMES = ("starts_at", "ends_at")


def visible_order(api: Api, user: User, order_id: str) -> Order:
    order = get_order(api.db, order_id)
    scoped = scope(user)
    if order is None or (scoped is not None and order.district not in scoped):
        raise not_found(N_("Order {order_id}", order_id=order_id))
    return order


def _check_parties(
    api: Api, user: User, kind: OrderKind, respondent_id: str, protected_ids: list[str]
) -> None:
    """A probation order is on a probation client and protects nobody; a
    protective order is on a respondent (a probation client's curfew is not a
    protective order)."""
    respondent = visible_person(api, user, respondent_id)
    wanted = PersonRole.PROBATION_CLIENT if kind is OrderKind.PROBATION else PersonRole.RESPONDENT
    if respondent.role is not wanted:
        raise HTTPException(
            422,
            N_(
                "Person {respondent_id} is a {role}, not a {wanted} ({kind} order).",
                respondent_id=respondent_id,
                role=respondent.role,
                wanted=wanted,
                kind=kind,
            ),
        )
    if kind is OrderKind.PROBATION and protected_ids:
        raise HTTPException(422, N_("A probation order has no protected persons."))
    for pid in protected_ids:
        if visible_person(api, user, pid).role is not PersonRole.PROTECTED:
            raise HTTPException(
                422, N_("Person {pid} is not registered as a protected person.", pid=pid)
            )


def _zones(raw: object) -> list[Any]:
    if not isinstance(raw, list):
        raise HTTPException(422, N_("zones must be a list of zones"))
    if len(raw) > ZONES_MAX:
        raise HTTPException(
            422, N_("'zones': an order may have at most {zones_max} zones", zones_max=ZONES_MAX)
        )
    try:
        return [zone_from_json(z) for z in raw]
    except ValueError as e:
        raise HTTPException(422, said(e)) from None


async def _publish(api: Api, order_id: str, at: float) -> OrderTerms:
    terms = await run_in_threadpool(terms_at, api.db, order_id, at)
    assert terms is not None  # a version valid from `at` was just stored
    await api.service.order_changed(terms)  # returns once the engine has it
    return terms


def _detail(api: Api, order: Order, current: OrderVersion) -> dict[str, Any]:
    out = order_json(order, current, api.service.order_state(order.id))
    terms = terms_at(api.db, order.id, api.now())
    out["terms"] = None if terms is None else terms_json(terms)
    return out


@router.get("/orders", response_model=list[OrderOut])
def orders(
    user: Reader,
    api: ApiDep,
    live: bool = False,
    number: SearchQuery = None,
    person: SearchQuery = None,
    district: CodeQuery = None,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Orders with their current version; `live=true` keeps draft and active ones.
    `number`: a part of the number; `person`: a person's id or a part of the name
    (respondent or protected person); `district`; `status` (repeatable)."""
    districts = scope(user)
    if district:
        districts = (district,) if districts is None or district in districts else ()
    found = orders_matching(api.db, districts, number=number, person=person)
    if live:
        found = [(o, v) for o, v in found if v.status in (OrderStatus.DRAFT, OrderStatus.ACTIVE)]
    if status:
        found = [(o, v) for o, v in found if v.status in status]
    state = api.service.order_state
    return [order_json(o, v, state(o.id)) for o, v in found]


@router.post("/orders", status_code=201, response_model=OrderDetailOut)
async def create(body: OrderIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """Enter an order. With `replaces_order_id` (a court order taking over from a
    temporary one): the temporary order ends at the instant this one is stored,
    in the same transaction, and its enrolled apps pass to this one; the devices
    stay assigned to the persons, so monitoring has no gap."""
    check_district(user, body.district)
    if body.district not in await run_in_threadpool(monitored_districts, api.db):
        raise HTTPException(
            409,
            f"Monitoring has not been rolled out in {body.district} yet: an order cannot be "
            "entered there. The administrator switches it on (Administration, jurisdictions).",
        )
    await run_in_threadpool(
        _check_parties, api, user, body.kind, body.respondent_id, body.protected_ids
    )
    zones = _zones(body.zones)
    at = api.now()
    replaced = None
    if body.replaces_order_id is not None:
        replaced = await run_in_threadpool(
            _replaceable, api, user, body.replaces_order_id, body, at
        )

    def store() -> OrderVersion:
        with begin_write(api.db) as conn:
            if replaced is not None:
                ended = end_order(
                    conn,
                    replaced.id,
                    reason=f"replaced by order {body.number}",
                    actor=user.username,
                    at=at,
                )
                audit_append(
                    conn,
                    user.username,
                    "order.replaced",
                    replaced.id,
                    {"version": ended.version, "replaced_by": body.number},
                    at=at,
                )
            first = create_order(
                conn,
                number=body.number,
                kind=body.kind,
                issuing_authority=body.issuing_authority,
                legal_basis=body.legal_basis,
                district=body.district,
                respondent_id=body.respondent_id,
                protected_ids=body.protected_ids,
                starts_at=epoch(body.starts_at),
                ends_at=None if body.ends_at is None else epoch(body.ends_at),
                min_distance_m=body.min_distance_m,
                warning_distance_m=body.warning_distance_m,
                zones=zones,
                checkins_per_day=body.checkins_per_day,
                no_contact=body.no_contact,
                status=OrderStatus(body.status),
                reason=body.reason,
                actor=user.username,
                replaces_order_id=None if replaced is None else replaced.id,
                at=at,
            )
            details: dict[str, object] = {"number": body.number, "district": body.district}
            if replaced is not None:
                details["replaces"] = replaced.number
                details["apps_moved"] = move_apps(conn, replaced.id, first.order_id)
            audit_append(conn, user.username, "order.created", first.order_id, details, at=at)
            return first

    try:
        first = await run_in_threadpool(store)
    except sa.exc.IntegrityError:
        raise HTTPException(
            409, N_("An order numbered {number} already exists.", number=repr(body.number))
        ) from None
    except ValueError as e:  # the replaced order ended meanwhile
        raise HTTPException(409, str(e)) from None
    if replaced is not None:
        await _publish(api, replaced.id, at)
    await _publish(api, first.order_id, at)
    order = await run_in_threadpool(get_order, api.db, first.order_id)
    assert order is not None
    return await run_in_threadpool(_detail, api, order, first)


def _replaceable(api: Api, user: User, order_id: str, body: OrderIn, at: float) -> Order:
    """The live temporary order a court order may take over from (same persons
    and district), or 404 / 422 / 409."""
    order = visible_order(api, user, order_id)
    current = latest_version(api.db, order_id)
    assert current is not None
    if order.kind is not OrderKind.TEMPORARY or body.kind is not OrderKind.COURT:
        raise HTTPException(422, N_("Only a court order replaces a temporary order."))
    if current.status not in (OrderStatus.DRAFT, OrderStatus.ACTIVE) or current.ends_at <= at:
        raise HTTPException(409, N_("Order {number} has already ended.", number=order.number))
    if order.district != body.district or current.respondent_id != body.respondent_id:
        raise HTTPException(422, N_("A replacing order has the same district and respondent."))
    if epoch(body.starts_at) > at:
        # A later start would leave the time between unmonitored.
        raise HTTPException(422, N_("A replacing order starts when it is entered, not later."))
    return order


@router.get("/orders/{order_id}", response_model=OrderDetailOut)
def order(order_id: str, user: Reader, api: ApiDep) -> dict[str, Any]:
    found = visible_order(api, user, order_id)
    current = latest_version(api.db, order_id)
    assert current is not None  # every order has version 1
    return _detail(api, found, current)


def _changes(raw: dict[str, Any]) -> dict[str, object]:
    changes: dict[str, object] = dict(raw)
    for name in _TIMES:
        if name in changes:
            value = changes[name]
            if not isinstance(value, str):
                raise HTTPException(422, N_("'{name}' must be an ISO-8601 time", name=name))
            try:
                changes[name] = parse_time(value, name)
            except ValueError as e:
                raise HTTPException(422, said(e)) from None
    if "zones" in changes:
        changes["zones"] = _zones(changes["zones"])
    return changes


@router.post("/orders/{order_id}/variations", status_code=201, response_model=OrderVersionOut)
async def vary(order_id: str, body: VariationIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """A new version with `changes` applied to the current one (e.g. `zones`,
    `min_distance_m`, `ends_at`); the earlier versions stay as they were."""
    found = await run_in_threadpool(visible_order, api, user, order_id)
    changes = _changes(body.changes)
    current = await run_in_threadpool(latest_version, api.db, order_id)
    assert current is not None
    respondent = changes.get("respondent_id", current.respondent_id)
    protected = changes.get("protected_ids", list(current.protected_ids))
    if not isinstance(respondent, str) or not isinstance(protected, list):
        raise HTTPException(
            422, N_("respondent_id must be a person id, protected_ids a list of them")
        )
    if len(protected) > LIST_MAX:
        raise HTTPException(
            422, N_("'protected_ids' may have at most {list_max} persons", list_max=LIST_MAX)
        )
    if "respondent_id" in changes or "protected_ids" in changes:
        await run_in_threadpool(_check_parties, api, user, found.kind, respondent, protected)
    return version_json(await apply_variation(api, user, order_id, changes, body.reason))


async def apply_variation(
    api: Api,
    user: User,
    order_id: str,
    changes: dict[str, object],
    reason: str,
    also: Callable[[sa.Connection, OrderVersion], None] | None = None,
) -> OrderVersion:
    """Store a new version with `changes` (and what `also` records in the same
    transaction, e.g. the approved request it came from), then hand it to the
    engine: the one variation path."""
    at = api.now()

    def store() -> OrderVersion:
        with begin_write(api.db) as conn:
            new = vary_order(conn, order_id, changes, reason=reason, actor=user.username, at=at)
            details = {"version": new.version, "changed": sorted(changes), "reason": reason}
            audit_append(conn, user.username, "order.varied", order_id, details, at=at)
            if also is not None:
                also(conn, new)
            return new

    new = await _store_version(store)
    await _publish(api, order_id, at)
    return new


@router.post("/orders/{order_id}/end", status_code=201, response_model=OrderVersionOut)
async def end(
    order_id: str, body: EndIn, user: Writer, api: ApiDep, request: Request
) -> dict[str, Any]:
    """End monitoring (or record that the order was revoked) as a new version,
    and tell the device holders: the apps a message, a protected person without
    the app an SMS (or e-mail) from the outbox, written with the new version;
    each says ended or revoked, and when (apps/order_end.py)."""
    await run_in_threadpool(visible_order, api, user, order_id)
    at = api.now()

    def store() -> OrderVersion:
        with begin_write(api.db) as conn:
            new = end_order(
                conn, order_id, reason=body.reason, actor=user.username, revoked=body.revoked, at=at
            )
            told = enqueue_end_notice(conn, new, at, enabled_channels(api.settings))
            details = {
                "version": new.version,
                "status": new.status.value,
                "reason": body.reason,
                "notifications": len(told),
            }
            audit_append(conn, user.username, "order.ended", order_id, details, at=at)
            return new

    new = await _store_version(store)
    await _publish(api, order_id, at)
    apps: Apps = request.app.state.apps
    await apps.notifier.tell_order_end(new)
    return version_json(new)


async def _store_version(store: Any) -> OrderVersion:
    try:
        version: OrderVersion = await run_in_threadpool(store)
    except sa.exc.IntegrityError:
        raise HTTPException(
            409, N_("The order was changed by someone else at the same time. Reload and try again.")
        ) from None
    except (ValueError, msgspec.ValidationError) as e:
        raise HTTPException(422, said(e)) from None
    return version


@router.get("/orders/{order_id}/versions", response_model=list[OrderVersionOut])
def order_versions(order_id: str, user: Reader, api: ApiDep) -> list[dict[str, Any]]:
    visible_order(api, user, order_id)
    return [version_json(v) for v in versions(api.db, order_id)]


@router.get("/orders/{order_id}/terms", response_model=TermsOut)
def terms(order_id: str, user: Reader, api: ApiDep, at: TimeQuery = None) -> dict[str, Any]:
    """What was in force at `at` (ISO-8601; default now), with the devices assigned then."""
    visible_order(api, user, order_id)
    try:
        t = api.now() if at is None else parse_time(at, "at")
    except ValueError as e:
        raise HTTPException(422, said(e)) from None
    found = terms_at(api.db, order_id, t)
    if found is None:
        raise HTTPException(
            404,
            N_("No version of order {order_id} was in force at {at}.", order_id=order_id, at=at),
        )
    return terms_json(found)


@router.get("/orders/{order_id}/zones", response_model=ZoneCollectionOut)
def zones(order_id: str, user: Reader, api: ApiDep) -> dict[str, Any]:
    """The current version's zones as a GeoJSON FeatureCollection (a circle is a
    Point with `radius_m` in its properties)."""
    visible_order(api, user, order_id)
    current = latest_version(api.db, order_id)
    assert current is not None
    return zones_geojson(current.zones)
