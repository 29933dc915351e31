"""Devices: enrolment, per-device secrets, assignment to persons, unknown senders.

A device reports for one person at a time. Assigning it again closes the open
assignment (its `to_at` is set) and opens a new one, so the history of who wore
which device when is kept; a partial unique index in the database refuses two
open assignments of one device.

Device secrets are machine-made random tokens (192 bits), not passwords: there is
no dictionary to search, so a SHA-256 of device id and secret protects them as
well as a slow hash would, and checking one costs microseconds instead of the
0.45 s of argon2 — which matters when thousands of phones reconnect after a
restart. (People's passwords, in `store.users`, stay argon2.)
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Collection, Iterable

import msgspec
import sqlalchemy as sa

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.store.dialect import greatest, insert
from korgoo.store.schema import device_assignments, devices, events, persons, unknown_devices

SAMPLE_BYTES = 256  # how much of an unknown device's message is kept for operators
MAX_UNKNOWN_ROWS = 1000  # unknown senders kept; the least recently seen go first


def secret_digest(device_id: str, secret: str) -> str:
    return "sha256$" + hashlib.sha256(f"{device_id}\0{secret}".encode()).hexdigest()


class Assignment(msgspec.Struct, frozen=True):
    device_id: str
    person_id: str
    from_at: float
    to_at: float | None
    assigned_by: str
    reason: str | None = None  # why it was made
    ended_by: str | None = None
    end_reason: str | None = None  # why it was ended


class DeviceRecord(msgspec.Struct, frozen=True):
    """An enrolled device and who wears it now (person and district None: unassigned)."""

    id: str
    kind: DeviceKind
    model: str
    tz_offset_min: int
    enrolled_at: float
    has_secret: bool
    protocol: str | None
    person_id: str | None
    person_role: str | None
    district: str | None


class Contact(msgspec.Struct, frozen=True):
    """A device's newest message: when it came, and the battery level it reported."""

    at: float
    battery: float | None


class UnknownDevice(msgspec.Struct, frozen=True):
    protocol: str
    ident: str
    first_seen: float
    last_seen: float
    count: int
    remote: str
    sample: str  # hex


def enrol_device(
    conn: sa.Connection,
    device_id: str,
    kind: DeviceKind,
    *,
    model: str = "",
    tz_offset_min: int = 0,
    secret: str | None = None,
    protocol: str | None = None,
    at: float | None = None,
) -> None:
    """`protocol`: the one protocol a bracelet is accepted on (watch, gt06, osmand);
    apps have none, they authenticate with `secret`."""
    conn.execute(
        sa.insert(devices).values(
            id=device_id,
            kind=DeviceKind(kind).value,
            model=model,
            tz_offset_min=tz_offset_min,
            secret_hash=None if secret is None else secret_digest(device_id, secret),
            enrolled_at=time.time() if at is None else at,
            protocol=protocol,
        )
    )


def load_devices(engine: sa.Engine) -> dict[str, DeviceInfo]:
    """Every enrolled device by identity, for the gateways' in-memory lookup."""
    query = sa.select(devices.c.id, devices.c.kind, devices.c.tz_offset_min, devices.c.protocol)
    with engine.connect() as conn:
        return {
            r.id: DeviceInfo(r.id, DeviceKind(r.kind), r.tz_offset_min, r.protocol)
            for r in conn.execute(query)
        }


def device_secret_ok(engine: sa.Engine, device_id: str, secret: str) -> bool:
    """Whether `secret` is the device's secret (a database read: callers cache the
    answer). A device without a secret never passes."""
    with engine.connect() as conn:
        stored = conn.scalar(sa.select(devices.c.secret_hash).where(devices.c.id == device_id))
    if stored is None:
        return False
    return hmac.compare_digest(stored, secret_digest(device_id, secret))


def assign_device(
    conn: sa.Connection,
    device_id: str,
    person_id: str,
    *,
    actor: str,
    at: float | None = None,
    reason: str | None = None,
) -> None:
    """Make `person_id` the wearer of `device_id` from `at`, closing any open assignment.

    Assigning a device to the person it is already assigned to changes nothing.
    """
    at = time.time() if at is None else at
    open_ = (device_assignments.c.device_id == device_id) & device_assignments.c.to_at.is_(None)
    current = conn.scalar(sa.select(device_assignments.c.person_id).where(open_))
    if current == person_id:
        return
    if current is not None:
        ended = {"to_at": at, "ended_by": actor, "end_reason": reason}
        conn.execute(sa.update(device_assignments).where(open_).values(ended))
    conn.execute(
        sa.insert(device_assignments).values(
            device_id=device_id, person_id=person_id, from_at=at, assigned_by=actor, reason=reason
        )
    )


def unassign_device(
    conn: sa.Connection,
    device_id: str,
    *,
    at: float | None = None,
    actor: str | None = None,
    reason: str | None = None,
) -> bool:
    """Close the device's open assignment; False if it had none."""
    at = time.time() if at is None else at
    result = conn.execute(
        sa.update(device_assignments)
        .where(device_assignments.c.device_id == device_id, device_assignments.c.to_at.is_(None))
        .values(to_at=at, ended_by=actor, end_reason=reason)
    )
    return result.rowcount > 0


def assignments(
    engine: sa.Engine, *, device_id: str | None = None, person_id: str | None = None
) -> list[Assignment]:
    """Assignment history, oldest first, for a device and/or a person."""
    query = sa.select(
        device_assignments.c.device_id,
        device_assignments.c.person_id,
        device_assignments.c.from_at,
        device_assignments.c.to_at,
        device_assignments.c.assigned_by,
        device_assignments.c.reason,
        device_assignments.c.ended_by,
        device_assignments.c.end_reason,
    ).order_by(device_assignments.c.from_at, device_assignments.c.id)
    if device_id is not None:
        query = query.where(device_assignments.c.device_id == device_id)
    if person_id is not None:
        query = query.where(device_assignments.c.person_id == person_id)
    with engine.connect() as conn:
        return [msgspec.convert(r, Assignment, from_attributes=True) for r in conn.execute(query)]


def record_unknown_device(
    conn: sa.Connection,
    protocol: str,
    ident: str,
    *,
    remote: str,
    raw: bytes,
    at: float | None = None,
    keep: int = MAX_UNKNOWN_ROWS,
) -> int:
    """Count a message from a device that is not enrolled, keeping a sample of the
    last one. The table keeps at most `keep` senders: beyond that the least
    recently seen are deleted (a flood of made-up identities must not grow it
    without bound); returns how many were."""
    at = time.time() if at is None else at
    sample = raw[:SAMPLE_BYTES].hex()
    stmt = insert(conn, unknown_devices).values(
        protocol=protocol,
        ident=ident,
        first_seen=at,
        last_seen=at,
        count=1,
        remote=remote,
        sample=sample,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["protocol", "ident"],
            set_={
                "last_seen": greatest(conn, unknown_devices.c.last_seen, stmt.excluded.last_seen),
                "count": unknown_devices.c.count + 1,
                "remote": stmt.excluded.remote,
                "sample": stmt.excluded.sample,
            },
        )
    )
    newest = (
        sa.select(unknown_devices.c.last_seen)
        .order_by(unknown_devices.c.last_seen.desc())
        .offset(keep - 1)
        .limit(1)
        .scalar_subquery()
    )
    pruned = conn.execute(sa.delete(unknown_devices).where(unknown_devices.c.last_seen < newest))
    return pruned.rowcount


def list_unknown_devices(engine: sa.Engine, limit: int = 200) -> list[UnknownDevice]:
    """Unknown senders not enrolled since, most recently seen first."""
    enrolled = sa.select(devices.c.id).where(devices.c.id == unknown_devices.c.ident).exists()
    query = (
        sa.select(unknown_devices)
        .where(~enrolled)
        .order_by(unknown_devices.c.last_seen.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query)
        return [msgspec.convert(r, UnknownDevice, from_attributes=True) for r in rows]


def list_devices(
    engine: sa.Engine,
    *,
    districts: Collection[str] | None = None,
    device_id: str | None = None,
) -> list[DeviceRecord]:
    """Enrolled devices with their current wearer. `districts` scopes to the
    wearer's jurisdiction (None: all); unassigned devices are the centre's stock
    and are listed in any scope."""
    a = device_assignments
    query = (
        sa.select(
            devices.c.id,
            devices.c.kind,
            devices.c.model,
            devices.c.tz_offset_min,
            devices.c.enrolled_at,
            devices.c.secret_hash.is_not(None).label("has_secret"),
            devices.c.protocol,
            a.c.person_id,
            persons.c.role.label("person_role"),
            persons.c.district,
        )
        .select_from(devices)
        .outerjoin(a, (a.c.device_id == devices.c.id) & a.c.to_at.is_(None))
        .outerjoin(persons, persons.c.id == a.c.person_id)
        .order_by(devices.c.id)
    )
    if districts is not None:
        query = query.where(persons.c.district.in_(list(districts)) | a.c.person_id.is_(None))
    if device_id is not None:
        query = query.where(devices.c.id == device_id)
    with engine.connect() as conn:
        return [msgspec.convert(r, DeviceRecord, from_attributes=True) for r in conn.execute(query)]


_BATTERY_SIGNALS = frozenset({SignalKind.HEARTBEAT, SignalKind.LOW_BATTERY})
_contact_decoder = msgspec.msgpack.Decoder(Fix | Signal)


def last_contacts(engine: sa.Engine, device_ids: Iterable[str]) -> dict[str, Contact]:
    """Each device's newest fix or signal in the log (by receive time): one query
    for all devices, using the (device_id, t) index."""
    ids = list(device_ids)
    if not ids:
        return {}
    newest = (
        sa.select(events.c.device_id, sa.func.max(events.c.seq).label("seq"))
        .where(events.c.device_id.in_(ids))
        .group_by(events.c.device_id)
        .subquery()
    )
    query = sa.select(events.c.device_id, events.c.at, events.c.body).join(
        newest, newest.c.seq == events.c.seq
    )
    out: dict[str, Contact] = {}
    with engine.connect() as conn:
        for device_id, at, body in conn.execute(query):
            event = _contact_decoder.decode(body)
            battery = None
            if isinstance(event, Fix):
                battery = event.battery
            elif event.kind in _BATTERY_SIGNALS:
                battery = event.value
            out[device_id] = Contact(at, battery)
    return out
