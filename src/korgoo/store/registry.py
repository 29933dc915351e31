"""Reference data and people: jurisdictions (seeded) and persons."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

import msgspec
import sqlalchemy as sa

from korgoo.domain.agencies import AGENCIES, Agency
from korgoo.domain.jurisdictions import JURISDICTIONS, Jurisdiction
from korgoo.store.dialect import insert
from korgoo.store.schema import agencies, jurisdictions, persons


class PersonRole(StrEnum):
    PROTECTED = "protected"
    RESPONDENT = "respondent"
    PROBATION_CLIENT = "probation_client"


class Phone(msgspec.Struct, frozen=True):
    """A number to call the person on, and whose it is ("mobile", "sister")."""

    number: str
    label: str = ""


class Address(msgspec.Struct, frozen=True):
    text: str
    label: str = ""  # "home", "work", "her mother's"


class Person(msgspec.Struct, frozen=True):
    id: str
    role: PersonRole
    display_name: str
    district: str
    created_at: float
    photo_path: str | None = None
    birth_date: str | None = None  # ISO date
    language: str | None = None
    note: str = ""  # for the operator: "call the sister first"
    phones: tuple[Phone, ...] = ()  # in the order to call them
    addresses: tuple[Address, ...] = ()
    updated_at: float | None = None


# The fields of a person that an update may change (role and district stay).
CONTACT_FIELDS = frozenset(
    {"display_name", "birth_date", "language", "note", "phones", "addresses"}
)


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


def monitored_districts(engine: sa.Engine) -> set[str]:
    """The jurisdictions where monitoring has been rolled out."""
    query = sa.select(jurisdictions.c.code).where(jurisdictions.c.monitoring_enabled)
    with engine.connect() as conn:
        return set(conn.scalars(query))


def set_monitoring(conn: sa.Connection, code: str, enabled: bool) -> bool:
    """Switch monitoring on or off in a jurisdiction; False if there is none."""
    done = conn.execute(
        sa.update(jurisdictions)
        .where(jurisdictions.c.code == code)
        .values(monitoring_enabled=enabled)
    )
    return done.rowcount == 1


def seed_agencies(conn: sa.Connection) -> None:
    """Insert missing agencies and refresh the names and districts of existing ones."""
    for a in AGENCIES:
        row = msgspec.structs.asdict(a) | {"districts": list(a.districts)}
        stmt = insert(conn, agencies).values(row)
        fresh = {
            k: stmt.excluded[k] for k in ("type", "name_ru", "name_ky", "name_en", "districts")
        }
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=fresh))


def list_agencies(engine: sa.Engine) -> list[Agency]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(agencies).order_by(agencies.c.id))
        return [msgspec.convert(r, Agency, from_attributes=True) for r in rows]


def create_person(
    conn: sa.Connection,
    *,
    role: PersonRole,
    display_name: str,
    district: str,
    phones: Sequence[Phone] = (),
    addresses: Sequence[Address] = (),
    birth_date: str | None = None,
    language: str | None = None,
    note: str = "",
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
        photo_path=photo_path,
        birth_date=birth_date,
        language=language,
        note=note,
        phones=tuple(phones),
        addresses=tuple(addresses),
    )
    conn.execute(sa.insert(persons).values(msgspec.to_builtins(person)))
    return person


def update_person(
    conn: sa.Connection, person_id: str, changes: Mapping[str, object], *, at: float
) -> Person | None:
    """Apply `changes` (fields of CONTACT_FIELDS) to the person; None if there is none."""
    unknown = set(changes) - CONTACT_FIELDS
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} of a person")
    row = conn.execute(sa.select(persons).where(persons.c.id == person_id)).first()
    if row is None:
        return None
    current = msgspec.convert(row, Person, from_attributes=True)
    updated = msgspec.convert(
        msgspec.to_builtins(current) | msgspec.to_builtins(dict(changes)) | {"updated_at": at},
        Person,
    )
    values = msgspec.to_builtins(updated)
    conn.execute(
        sa.update(persons)
        .where(persons.c.id == person_id)
        .values({k: values[k] for k in (*CONTACT_FIELDS, "updated_at")})
    )
    return updated


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


def set_photo(conn: sa.Connection, person_id: str, path: str, *, at: float) -> bool:
    """Record the person's reference photo (the one check-ins are compared with)."""
    done = conn.execute(
        sa.update(persons).where(persons.c.id == person_id).values(photo_path=path, updated_at=at)
    )
    return done.rowcount == 1
