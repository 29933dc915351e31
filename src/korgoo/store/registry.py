"""Reference data and people: jurisdictions (seeded) and persons."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from enum import StrEnum

import msgspec
import sqlalchemy as sa

from korgoo.domain.jurisdictions import JURISDICTIONS, Jurisdiction
from korgoo.store.dialect import insert
from korgoo.store.schema import jurisdictions, persons


class PersonRole(StrEnum):
    PROTECTED = "protected"
    RESPONDENT = "respondent"
    PROBATION_CLIENT = "probation_client"


class Person(msgspec.Struct, frozen=True):
    id: str
    role: PersonRole
    display_name: str
    district: str
    created_at: float
    phone: str | None = None
    photo_path: str | None = None


def seed_jurisdictions(conn: sa.Connection) -> None:
    """Insert missing jurisdictions and refresh the names of existing ones.

    Parents come before children in JURISDICTIONS, so foreign keys hold row by row.
    """
    for j in JURISDICTIONS:
        row = msgspec.structs.asdict(j)
        stmt = insert(conn, jurisdictions).values(row)
        names = {k: stmt.excluded[k] for k in ("level", "name_ru", "name_ky", "name_en", "parent")}
        conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=names))


def list_jurisdictions(engine: sa.Engine) -> list[Jurisdiction]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jurisdictions).order_by(jurisdictions.c.code))
        return [msgspec.convert(r, Jurisdiction, from_attributes=True) for r in rows]


def create_person(
    conn: sa.Connection,
    *,
    role: PersonRole,
    display_name: str,
    district: str,
    phone: str | None = None,
    photo_path: str | None = None,
    person_id: str | None = None,
    at: float | None = None,
) -> Person:
    person = Person(
        id=person_id or uuid.uuid4().hex,
        role=PersonRole(role),
        display_name=display_name,
        district=district,
        created_at=time.time() if at is None else at,
        phone=phone,
        photo_path=photo_path,
    )
    conn.execute(sa.insert(persons).values(msgspec.structs.asdict(person)))
    return person


def get_person(engine: sa.Engine, person_id: str) -> Person | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(persons).where(persons.c.id == person_id)).first()
    return None if row is None else msgspec.convert(row, Person, from_attributes=True)


def list_persons(
    engine: sa.Engine, *, districts: Collection[str] | None = None, role: PersonRole | None = None
) -> list[Person]:
    """Persons by name; `districts` scopes to jurisdictions (None: all)."""
    query = sa.select(persons).order_by(persons.c.display_name, persons.c.id)
    if districts is not None:
        query = query.where(persons.c.district.in_(list(districts)))
    if role is not None:
        query = query.where(persons.c.role == PersonRole(role).value)
    with engine.connect() as conn:
        return [msgspec.convert(r, Person, from_attributes=True) for r in conn.execute(query)]
