"""Enrolling a phone: a one-time 8-digit code (15 minutes, stored hashed) that
the app exchanges for a device of its own, assigned to the person, with the
per-device secret of the native ingest API (returned once).

The code is the only thing the person types or scans; what it may enrol (kind,
person, order) was fixed by the operator who issued it.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from urllib.parse import quote

import msgspec
import segno
import sqlalchemy as sa

from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind, OrderStatus, OrderTerms
from korgoo.domain.text import N_, Text
from korgoo.service.port import Monitoring
from korgoo.store import enrolment as codes
from korgoo.store.app_records import revoke
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.devices import assign_device, enrol_device, unassign_device
from korgoo.store.orders import current_terms, versions

CODE_TTL_S = 15 * 60.0
CODE_DIGITS = 8
APP_KINDS = frozenset({DeviceKind.RESPONDENT_APP, DeviceKind.VICTIM_APP})
# Which role in the order each app is for.
_ROLE_OF_KIND = {DeviceKind.RESPONDENT_APP: "respondent", DeviceKind.VICTIM_APP: "protected"}
_LIVE = frozenset({OrderStatus.DRAFT, OrderStatus.ACTIVE})


class Refused(Exception):  # noqa: N818 (says what happened to the request)
    """The request cannot be honoured; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: Text) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Attempts:
    """Failed code exchanges in the last minute, per client and in all: eight
    digits are guessable by the million, so guessing is cut off (429) long
    before it could find a live code. Enrolment happens with the centre on the
    phone; a pause of a minute is the price of a flood."""

    def __init__(self, per_client: int = 10, overall: int = 100, window_s: float = 60.0) -> None:
        self.per_client = per_client
        self.overall = overall
        self.window_s = window_s
        self._failures: list[tuple[float, str]] = []

    def _recent(self, now: float) -> list[tuple[float, str]]:
        self._failures = [f for f in self._failures if f[0] > now - self.window_s]
        return self._failures

    def allowed(self, client: str, now: float) -> bool:
        recent = self._recent(now)
        mine = sum(1 for _, c in recent if c == client)
        return mine < self.per_client and len(recent) < self.overall

    def failed(self, client: str, now: float) -> None:
        self._recent(now).append((now, client))


class Issued(msgspec.Struct, frozen=True):
    code: str
    expires_at: float
    path: str  # /app/enrol?code=...


class Enrolled(msgspec.Struct, frozen=True):
    device_id: str
    secret: str
    kind: str
    person_id: str
    order_id: str
    replaced: tuple[str, ...] = ()  # earlier phones of the person, now revoked


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def enrol_path(code: str) -> str:
    return f"/app/enrol?code={quote(code)}"


def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline SVG element."""
    return str(segno.make(url, error="m").svg_inline(scale=4, border=2))


def issue(
    engine: sa.Engine,
    order_id: str,
    person_id: str,
    kind: DeviceKind,
    *,
    actor: str,
    at: float,
) -> Issued:
    """A new code for enrolling `person_id`'s phone as `kind` on the order."""
    if kind not in APP_KINDS:
        raise Refused(422, N_("'kind': an enrolment code is for respondent_app or victim_app."))
    found = versions(engine, order_id)
    if not found:
        raise Refused(
            404,
            N_(
                "Order {order_id} was not found, or it is outside your districts.",
                order_id=order_id,
            ),
        )
    latest = found[-1]
    if latest.status not in _LIVE or latest.ends_at <= at:
        raise Refused(409, N_("The order has ended; no phone can be enrolled on it."))
    role = _ROLE_OF_KIND[kind]
    named = (latest.respondent_id,) if role == "respondent" else latest.protected_ids
    if person_id not in named:
        raise Refused(
            422,
            N_(
                "'person_id': {person_id} is not the {role} person of this order.",
                person_id=person_id,
                role=role,
            ),
        )
    with begin_write(engine) as conn:
        code = _unused_code(conn, at)
        codes.add_code(
            conn,
            code_hash=code_hash(code),
            order_id=order_id,
            person_id=person_id,
            kind=kind,
            actor=actor,
            at=at,
            expires_at=at + CODE_TTL_S,
        )
        details = {"order_id": order_id, "person_id": person_id, "kind": kind.value}
        audit_append(conn, actor, "enrolment.issued", f"order:{order_id}", details, at=at)
    return Issued(code, at + CODE_TTL_S, enrol_path(code))


def _unused_code(conn: sa.Connection, at: float) -> str:
    """Eight random digits not equal to a code still valid (codes are looked up by hash)."""
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not codes.code_in_use(conn, code_hash(code), at):
            return code


def redeem(engine: sa.Engine, code: str, install_id: str | None, at: float) -> Enrolled:
    """Exchange a code for a new device (one transaction: a code enrols once)."""
    digits = code.strip().replace(" ", "")
    with begin_write(engine) as conn:
        row = codes.newest_code(conn, code_hash(digits))
        if row is None:
            raise Refused(404, N_("This code is not known. Check the digits, or ask the centre."))
        if row.used_at is not None:
            raise Refused(410, N_("This code was already used. Ask the centre for a new one."))
        if row.expires_at <= at:
            raise Refused(
                410, N_("This code has expired (15 minutes). Ask the centre for a new one.")
            )
        device_id = f"app-{uuid.uuid4().hex[:20]}"
        if not codes.claim_code(conn, row.id, device_id, at):  # a concurrent exchange won
            raise Refused(410, N_("This code was already used. Ask the centre for a new one."))
        secret = secrets.token_urlsafe(24)
        kind = DeviceKind(row.kind)
        enrol_device(conn, device_id, kind, model="pwa", secret=secret, at=at)
        # An earlier phone of the same person and kind on this order is replaced.
        replaced = codes.live_app_devices(conn, row.person_id, row.order_id, kind)
        for old in replaced:
            revoke(conn, old, "replaced", at)
            unassign_device(conn, old, at=at, actor="app", reason="replaced by a new phone")
        assign_device(
            conn,
            device_id,
            row.person_id,
            actor=f"enrolment:{row.id}",
            at=at,
            reason="enrolled with a one-time code",
        )
        codes.add_app_device(
            conn,
            device_id=device_id,
            kind=kind,
            person_id=row.person_id,
            order_id=row.order_id,
            install_id=install_id,
            at=at,
        )
        details = {
            "order_id": row.order_id,
            "person_id": row.person_id,
            "kind": kind.value,
            "replaced": replaced,
        }
        audit_append(conn, "app", "device.enrolled", f"device:{device_id}", details, at=at)
    return Enrolled(device_id, secret, kind.value, row.person_id, row.order_id, tuple(replaced))


def terms_naming(engine: sa.Engine, person_id: str) -> list[OrderTerms]:
    """The current terms of every live order naming the person."""
    return [
        t
        for t in current_terms(engine)
        if person_id in (t.respondent.person_id, *(p.person_id for p in t.protected))
    ]


async def enrol(service: Monitoring, db: sa.Engine, code: str, install_id: str | None) -> Enrolled:
    """Redeem the code, make the device known to the gateways and give the engine
    the person's orders with the new device, before answering the app."""
    at = service.clock()
    done = await asyncio.to_thread(redeem, db, code, install_id, at)
    service.device_enrolled(DeviceInfo(done.device_id, DeviceKind(done.kind)))
    for old in done.replaced:
        service.forget_secret(old)
    for terms in await asyncio.to_thread(terms_naming, db, done.person_id):
        await service.order_changed(terms)
    return done
