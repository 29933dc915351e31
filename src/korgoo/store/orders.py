"""Protective orders and their versions. Versions are inserted, never updated.

An order's identity (number, kind, issuing authority, legal basis, district) is
fixed; everything a court or the police can vary lives in `order_versions`. A
variation, extension, revocation or end of monitoring inserts version n+1 with
`valid_from` = when it took effect, so what was ordered at any moment can be
shown later (`terms_at`). Two concurrent variations of one order cannot both
become version n+1: the primary key (order_id, version) refuses the second.

`OrderTerms` for the engine combine a version with the devices assigned to the
order's persons at the same moment.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo.settings import get_settings
from korgoo.store.schema import device_assignments, devices, order_versions, orders

DAY_S = 86_400.0
# What a variation may change; anything else is part of the order's identity.
VARIABLE = frozenset(
    {
        "status",
        "starts_at",
        "ends_at",
        "min_distance_m",
        "warning_distance_m",
        "checkins_per_day",
        "no_contact",
        "zones",
        "respondent_id",
        "protected_ids",
    }
)
_LIVE = (OrderStatus.DRAFT.value, OrderStatus.ACTIVE.value)


class Order(msgspec.Struct, frozen=True):
    id: str
    number: str
    kind: OrderKind
    issuing_authority: str
    legal_basis: str
    district: str
    created_at: float
    created_by: str
    replaces_order_id: str | None = None  # the temporary order this one took over from


class OrderVersion(msgspec.Struct, frozen=True):
    order_id: str
    version: int
    valid_from: float
    status: OrderStatus
    starts_at: float
    ends_at: float
    min_distance_m: float
    warning_distance_m: float
    checkins_per_day: int
    reason: str
    created_by: str
    zones: tuple[ZoneSpec, ...]
    respondent_id: str
    protected_ids: tuple[str, ...]
    no_contact: bool = False


def create_order(
    conn: sa.Connection,
    *,
    number: str,
    kind: OrderKind,
    issuing_authority: str,
    legal_basis: str,
    district: str,
    respondent_id: str,
    protected_ids: Sequence[str],
    starts_at: float,
    actor: str,
    ends_at: float | None = None,
    min_distance_m: float = 500.0,
    warning_distance_m: float = 1000.0,
    zones: Sequence[ZoneSpec] = (),
    checkins_per_day: int = 0,
    no_contact: bool = False,
    status: OrderStatus = OrderStatus.ACTIVE,
    reason: str = "issued",
    order_id: str | None = None,
    replaces_order_id: str | None = None,
    at: float | None = None,
) -> OrderVersion:
    """Register an order and its version 1. Without `ends_at`, monitoring ends
    `monitoring_max_days` after the start."""
    at = time.time() if at is None else at
    order = Order(
        id=order_id or uuid.uuid4().hex,
        number=number,
        kind=OrderKind(kind),
        issuing_authority=issuing_authority,
        legal_basis=legal_basis,
        district=district,
        created_at=at,
        created_by=actor,
        replaces_order_id=replaces_order_id,
    )
    conn.execute(sa.insert(orders).values(msgspec.to_builtins(order)))
    if ends_at is None:
        ends_at = starts_at + get_settings().monitoring_max_days * DAY_S
    first = OrderVersion(
        order_id=order.id,
        version=1,
        valid_from=at,
        status=OrderStatus(status),
        starts_at=starts_at,
        ends_at=ends_at,
        min_distance_m=min_distance_m,
        warning_distance_m=warning_distance_m,
        checkins_per_day=checkins_per_day,
        reason=reason,
        created_by=actor,
        zones=tuple(zones),
        respondent_id=respondent_id,
        protected_ids=tuple(protected_ids),
        no_contact=no_contact,
    )
    _insert_version(conn, first)
    return first


def vary_order(
    conn: sa.Connection,
    order_id: str,
    changes: Mapping[str, object],
    *,
    reason: str,
    actor: str,
    at: float | None = None,
) -> OrderVersion:
    """Insert the next version of an order with `changes` applied to the latest one."""
    unknown = set(changes) - VARIABLE
    if unknown:
        raise ValueError(f"cannot vary {sorted(unknown)}; variable: {sorted(VARIABLE)}")
    latest = latest_on(conn, order_id)
    if latest.status not in _LIVE:
        raise ValueError(f"order {order_id} is {latest.status.value}; it can no longer be varied")
    proposed = msgspec.structs.replace(
        latest,
        version=latest.version + 1,
        valid_from=time.time() if at is None else at,
        reason=reason,
        created_by=actor,
    )
    # Round-trip through builtins so changes of the wrong type are refused here.
    fields = msgspec.to_builtins(proposed)
    fields.update(msgspec.to_builtins(dict(changes)))
    new = msgspec.convert(fields, OrderVersion)
    _insert_version(conn, new)
    return new


def end_order(
    conn: sa.Connection,
    order_id: str,
    *,
    reason: str,
    actor: str,
    revoked: bool = False,
    at: float | None = None,
) -> OrderVersion:
    """End monitoring (or record a revocation) as a new version ending at `at`."""
    at = time.time() if at is None else at
    latest = latest_on(conn, order_id)
    status = OrderStatus.REVOKED if revoked else OrderStatus.ENDED
    changes = {"status": status, "ends_at": min(latest.ends_at, at)}
    return vary_order(conn, order_id, changes, reason=reason, actor=actor, at=at)


def number_and_district(engine: sa.Engine, order_id: str) -> tuple[str, str] | None:
    """An order's number and district (which never change), or None."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(orders.c.number, orders.c.district).where(orders.c.id == order_id)
        ).first()
    return None if row is None else (row.number, row.district)


def get_order(engine: sa.Engine, order_id: str) -> Order | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).first()
    return None if row is None else msgspec.convert(row, Order, from_attributes=True)


def versions(engine: sa.Engine, order_id: str) -> list[OrderVersion]:
    """Every version of an order, oldest first."""
    query = (
        sa.select(order_versions)
        .where(order_versions.c.order_id == order_id)
        .order_by(order_versions.c.version)
    )
    with engine.connect() as conn:
        return [_version(r) for r in conn.execute(query)]


def terms_at(engine: sa.Engine, order_id: str, t: float) -> OrderTerms | None:
    """The order's terms in force at time `t`, with the devices assigned then;
    None before its first version took effect."""
    query = (
        sa.select(order_versions)
        .where(order_versions.c.order_id == order_id, order_versions.c.valid_from <= t)
        .order_by(order_versions.c.valid_from.desc(), order_versions.c.version.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        version = _version(row)
        order = conn.execute(sa.select(orders).where(orders.c.id == order_id)).one()
        held = _devices_of(conn, [version.respondent_id, *version.protected_ids], at=t)
    return _terms(msgspec.convert(order, Order, from_attributes=True), version, held)


def latest_numbers() -> sa.Subquery:
    """Each order's latest version number (`order_id`, `v`), to join versions on."""
    v = order_versions
    numbers = sa.select(v.c.order_id, sa.func.max(v.c.version).label("v"))
    return numbers.group_by(v.c.order_id).subquery()


def is_latest(latest: sa.Subquery) -> sa.ColumnElement[bool]:
    """The join condition of a version row on `latest_numbers()`."""
    v = order_versions
    return (v.c.order_id == latest.c.order_id) & (v.c.version == latest.c.v)


def current_terms(engine: sa.Engine) -> list[OrderTerms]:
    """The latest version of every order still draft or active, with the devices
    assigned now: what the engine starts from."""
    latest = latest_numbers()
    query = (
        sa.select(order_versions)
        .join(latest, is_latest(latest))
        .where(order_versions.c.status.in_(_LIVE))
        .order_by(order_versions.c.order_id)
    )
    with engine.connect() as conn:
        live = [_version(r) for r in conn.execute(query)]
        ids = [v.order_id for v in live]
        order_rows = conn.execute(sa.select(orders).where(orders.c.id.in_(ids)))
        by_id = {r.id: msgspec.convert(r, Order, from_attributes=True) for r in order_rows}
        persons = {p for v in live for p in (v.respondent_id, *v.protected_ids)}
        held = _devices_of(conn, persons, at=None)
    return [_terms(by_id[v.order_id], v, held) for v in live]


def _insert_version(conn: sa.Connection, version: OrderVersion) -> None:
    conn.execute(sa.insert(order_versions).values(msgspec.to_builtins(version)))


def latest_on(conn: sa.Connection, order_id: str) -> OrderVersion:
    """The order's latest version, read in `conn`'s transaction (LookupError if none)."""
    query = (
        sa.select(order_versions)
        .where(order_versions.c.order_id == order_id)
        .order_by(order_versions.c.version.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    if row is None:
        raise LookupError(f"no order {order_id}")
    return _version(row)


def _version(row: sa.Row[Any]) -> OrderVersion:
    return msgspec.convert(row, OrderVersion, from_attributes=True)


def _devices_of(
    conn: sa.Connection, person_ids: Iterable[str], *, at: float | None
) -> dict[str, tuple[tuple[str, DeviceKind], ...]]:
    """Devices assigned to each person at `at` (None: now, i.e. open assignments)."""
    a = device_assignments
    query = (
        sa.select(a.c.person_id, a.c.device_id, devices.c.kind)
        .join(devices, devices.c.id == a.c.device_id)
        .where(a.c.person_id.in_(list(person_ids)))
        .order_by(a.c.person_id, a.c.device_id)
    )
    if at is None:
        query = query.where(a.c.to_at.is_(None))
    else:
        query = query.where(a.c.from_at <= at, a.c.to_at.is_(None) | (a.c.to_at > at))
    held: dict[str, list[tuple[str, DeviceKind]]] = {}
    for person_id, device_id, kind in conn.execute(query):
        held.setdefault(person_id, []).append((device_id, DeviceKind(kind)))
    return {p: tuple(d) for p, d in held.items()}


def _terms(
    order: Order, v: OrderVersion, held: Mapping[str, tuple[tuple[str, DeviceKind], ...]]
) -> OrderTerms:
    return OrderTerms(
        order_id=order.id,
        version=v.version,
        kind=order.kind,
        status=v.status,
        starts_at=v.starts_at,
        ends_at=v.ends_at,
        district=order.district,
        respondent=Party(v.respondent_id, "respondent", held.get(v.respondent_id, ())),
        protected=tuple(Party(p, "protected", held.get(p, ())) for p in v.protected_ids),
        min_distance_m=v.min_distance_m,
        warning_distance_m=v.warning_distance_m,
        zones=v.zones,
        checkins_per_day=v.checkins_per_day,
        no_contact=v.no_contact,
    )


def list_orders(
    engine: sa.Engine,
    *,
    districts: Collection[str] | None = None,
    live_only: bool = False,
    kinds: Collection[OrderKind] | None = None,
) -> list[tuple[Order, OrderVersion]]:
    """Every order with its latest version, newest first; `districts` scopes to
    jurisdictions (None: all), `live_only` keeps draft and active ones, `kinds`
    keeps orders of those kinds (a probation officer's: probation)."""
    latest = latest_numbers()
    v = order_versions
    query = (
        sa.select(orders, *[c.label(f"v_{c.name}") for c in v.c])
        .join(latest, latest.c.order_id == orders.c.id)
        .join(v, is_latest(latest))
        .order_by(orders.c.created_at.desc(), orders.c.id)
    )
    if districts is not None:
        query = query.where(orders.c.district.in_(list(districts)))
    if live_only:
        query = query.where(v.c.status.in_(_LIVE))
    if kinds is not None:
        query = query.where(orders.c.kind.in_([OrderKind(k).value for k in kinds]))
    out: list[tuple[Order, OrderVersion]] = []
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            # str(): column names are quoted_name, a str subclass msgspec refuses as keys.
            order = msgspec.convert({str(c.name): row[c.name] for c in orders.c}, Order)
            version = msgspec.convert({str(c.name): row[f"v_{c.name}"] for c in v.c}, OrderVersion)
            out.append((order, version))
    return out


def expired_orders(engine: sa.Engine, now: float) -> list[str]:
    """Orders whose latest version is active and whose end time has passed."""
    latest = latest_numbers()
    v = order_versions
    query = (
        sa.select(v.c.order_id)
        .join(latest, is_latest(latest))
        .where(v.c.status == OrderStatus.ACTIVE.value, v.c.ends_at <= now)
        .order_by(v.c.ends_at, v.c.order_id)
    )
    with engine.connect() as conn:
        return list(conn.scalars(query))


def latest_version(engine: sa.Engine, order_id: str) -> OrderVersion | None:
    with engine.connect() as conn:
        try:
            return latest_on(conn, order_id)
        except LookupError:
            return None


def order_ids_in(engine: sa.Engine, districts: Iterable[str]) -> list[str]:
    """The ids of every order of these districts."""
    query = sa.select(orders.c.id).where(orders.c.district.in_(list(districts)))
    with engine.connect() as conn:
        return list(conn.scalars(query))
