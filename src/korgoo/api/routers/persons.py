"""Persons: protected persons, respondents, probation clients."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from korgoo.api.deps import ApiDep, not_found, require
from korgoo.api.permissions import Capability, in_scope, scope
from korgoo.api.responses import PersonOut
from korgoo.api.schemas import PersonContactsIn, PersonIn
from korgoo.api.views import person_json
from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.domain.text import N_
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.registry import (
    CONTACT_FIELDS,
    Address,
    Person,
    PersonRole,
    Phone,
    create_person,
    get_person,
    list_persons,
    update_person,
)
from korgoo.store.users import User

router = APIRouter(tags=["persons"])
Reader = Annotated[User, Depends(require(Capability.PERSONS_READ))]
Writer = Annotated[User, Depends(require(Capability.PERSONS_WRITE))]
DISTRICTS = frozenset(j.code for j in JURISDICTIONS)


def check_district(user: User, district: str) -> None:
    """422 for an unknown jurisdiction code, 403 for one outside the user's districts."""
    if district not in DISTRICTS:
        raise HTTPException(
            422,
            N_("'{district}' is not a known district code (e.g. KG-GB-OKT).", district=district),
        )
    if not in_scope(user, district):
        raise HTTPException(
            403, N_("District {district} is outside your districts.", district=district)
        )


@router.get("/persons", response_model=list[PersonOut])
def persons(user: Reader, api: ApiDep, role: PersonRole | None = None) -> list[dict[str, Any]]:
    return [person_json(p) for p in list_persons(api.db, districts=scope(user), role=role)]


@router.post("/persons", status_code=201, response_model=PersonOut)
def create(body: PersonIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    check_district(user, body.district)
    at = api.now()
    contacts = _contacts(body.model_dump(include=set(CONTACT_FIELDS)))
    with begin_write(api.db) as conn:
        person = create_person(conn, role=body.role, district=body.district, at=at, **contacts)
        details = {"role": person.role.value, "district": person.district}
        audit_append(conn, user.username, "person.created", f"person:{person.id}", details, at=at)
    return person_json(person)


@router.patch("/persons/{person_id}", response_model=PersonOut)
def update(person_id: str, body: PersonContactsIn, user: Writer, api: ApiDep) -> dict[str, Any]:
    """Change a person's name, date of birth, language, phones, addresses or the
    operator's note; a field left out stays. Phones and addresses are replaced
    as a whole list."""
    visible_person(api, user, person_id)
    changes = _contacts(body.model_dump(exclude_unset=True))
    if not changes:
        raise HTTPException(422, N_("Nothing to change: give at least one field."))
    at = api.now()
    with begin_write(api.db) as conn:
        person = update_person(conn, person_id, changes, at=at)
        if person is None:
            raise not_found(N_("Person {person_id}", person_id=person_id))
        # The names of the fields only: the audit log is no copy of the contacts.
        details = {"changed": sorted(changes)}
        audit_append(conn, user.username, "person.updated", f"person:{person_id}", details, at=at)
    return person_json(person)


def _contacts(fields: dict[str, Any]) -> dict[str, Any]:
    """Request fields as the store takes them (a date as its ISO string)."""
    out = dict(fields)
    if "display_name" in out:
        out["display_name"] = out["display_name"].strip()
    if isinstance(out.get("birth_date"), date):
        out["birth_date"] = out["birth_date"].isoformat()
    if "phones" in out:
        out["phones"] = [Phone(p["number"].strip(), p["label"].strip()) for p in out["phones"]]
    if "addresses" in out:
        out["addresses"] = [
            Address(a["text"].strip(), a["label"].strip()) for a in out["addresses"]
        ]
    if "note" in out:
        out["note"] = out["note"].strip()
    return out


@router.get("/persons/{person_id}", response_model=PersonOut)
def person(person_id: str, user: Reader, api: ApiDep) -> dict[str, Any]:
    return person_json(visible_person(api, user, person_id))


def visible_person(api: ApiDep, user: User, person_id: str) -> Person:
    """The person if the user's districts include theirs; 404 otherwise."""
    found = get_person(api.db, person_id)
    if found is None or not in_scope(user, found.district):
        raise not_found(N_("Person {person_id}", person_id=person_id))
    return found
