"""One-time enrolment codes (stored hashed) and the app devices they enrolled."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from korgoo.domain.terms import DeviceKind
from korgoo.store.schema import app_devices, enrolment_codes


def add_code(
    conn: sa.Connection,
    *,
    code_hash: str,
    order_id: str,
    person_id: str,
    kind: DeviceKind,
    actor: str,
    at: float,
    expires_at: float,
) -> None:
    conn.execute(
        sa.insert(enrolment_codes).values(
            id=uuid.uuid4().hex,
            code_hash=code_hash,
            order_id=order_id,
            person_id=person_id,
            kind=kind.value,
            created_at=at,
            created_by=actor,
            expires_at=expires_at,
        )
    )


def code_in_use(conn: sa.Connection, code_hash: str, at: float) -> bool:
    """Whether an unused code with this hash is still valid at `at`."""
    c = enrolment_codes.c
    taken = conn.scalar(
        sa.select(sa.func.count()).where(
            c.code_hash == code_hash, c.used_at.is_(None), c.expires_at > at
        )
    )
    return bool(taken)


def newest_code(conn: sa.Connection, code_hash: str) -> Any:
    """The newest code row with this hash, or None."""
    c = enrolment_codes
    query = sa.select(c).where(c.c.code_hash == code_hash).order_by(c.c.created_at.desc()).limit(1)
    return conn.execute(query).first()


def claim_code(conn: sa.Connection, code_id: str, device_id: str, at: float) -> bool:
    """Mark a code used by `device_id`; False if a concurrent exchange won."""
    c = enrolment_codes
    claimed = conn.execute(
        sa.update(c)
        .where(c.c.id == code_id, c.c.used_at.is_(None))
        .values(used_at=at, device_id=device_id)
    )
    return claimed.rowcount == 1


def live_app_devices(
    conn: sa.Connection, person_id: str, order_id: str, kind: DeviceKind
) -> list[str]:
    """The person's app devices of this kind on the order whose credential holds."""
    a = app_devices.c
    query = sa.select(a.device_id).where(
        a.person_id == person_id,
        a.order_id == order_id,
        a.kind == kind.value,
        a.revoked_at.is_(None),
    )
    return list(conn.execute(query).scalars())


def add_app_device(
    conn: sa.Connection,
    *,
    device_id: str,
    kind: DeviceKind,
    person_id: str,
    order_id: str,
    install_id: str | None,
    at: float,
) -> None:
    conn.execute(
        sa.insert(app_devices).values(
            device_id=device_id,
            kind=kind.value,
            person_id=person_id,
            order_id=order_id,
            install_id=install_id,
            enrolled_at=at,
            sharing=False,  # opt-in: she turns sharing on in her app
        )
    )
