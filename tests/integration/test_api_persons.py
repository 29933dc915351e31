"""Persons with their contacts through the API: registered and edited by a
supervisor, read by an operator, with limits on every field and the audit log
naming what changed (not the numbers themselves)."""

from __future__ import annotations

from typing import Any

from korgoo.api.schemas import NOTE_MAX
from korgoo.store.audit import audit_entries

from .api_world import World, world_fixture

__all__ = ["world_fixture"]

OKT = "KG-GB-OKT"
AIGUL: dict[str, Any] = {
    "role": "protected",
    "display_name": "Айгуль Токтосунова",
    "district": OKT,
    "birth_date": "1991-05-17",
    "language": "ky",
    "phones": [
        {"number": "+996 700 123 456", "label": "mobile"},
        {"number": "+996555987654", "label": "sister"},
    ],
    "addresses": [{"text": "Бишкек, ул. Токтогула 1, кв. 5", "label": "home"}],
    "note": "Call the sister first.",
}


async def test_a_supervisor_registers_a_person_with_contacts_and_edits_them(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.post("/api/v1/persons", json=AIGUL)
    assert r.status_code == 201, r.text
    person = r.json()
    pid = person["id"]
    assert person["phones"] == [
        {"number": "+996 700 123 456", "label": "mobile"},
        {"number": "+996555987654", "label": "sister"},
    ]
    assert person["addresses"] == AIGUL["addresses"]
    assert (person["birth_date"], person["language"]) == ("1991-05-17", "ky")
    assert person["note"] == "Call the sister first." and person["updated_at"] is None

    # An operator reads them (to call), cannot change them.
    op = await w.login("operator")
    seen = (await op.get(f"/api/v1/persons/{pid}")).json()
    assert seen == person
    r = await op.patch(f"/api/v1/persons/{pid}", json={"note": "x"})
    assert r.status_code == 403 and "persons.write" in r.json()["detail"]

    # An update replaces the lists it names and keeps the rest.
    new_phones = [{"number": "+996 777 000 111", "label": "new mobile"}]
    r = await sup.patch(f"/api/v1/persons/{pid}", json={"phones": new_phones, "note": ""})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["phones"] == new_phones and changed["note"] == ""
    assert changed["addresses"] == AIGUL["addresses"] and changed["language"] == "ky"
    assert changed["updated_at"] is not None
    assert (await op.get(f"/api/v1/persons/{pid}")).json() == changed

    # The audit log names the fields changed, never the numbers.
    entries = audit_entries(w.pipeline.db, subject=f"person:{pid}")[::-1]
    assert [e.action for e in entries] == ["person.created", "person.updated"]
    assert entries[1].details == {"changed": ["note", "phones"]}
    assert "777" not in str([e.details for e in entries])

    # Role and district are not contacts: an update refuses them.
    r = await sup.patch(f"/api/v1/persons/{pid}", json={"district": "KG-GB-LEN"})
    assert r.status_code == 422
    assert (await sup.patch(f"/api/v1/persons/{pid}", json={})).status_code == 422
    # A person outside the supervisor's districts is not there for them.
    sup_len = await w.login("supervisor-len")
    assert (await sup_len.patch(f"/api/v1/persons/{pid}", json={"note": "x"})).status_code == 404


async def test_contacts_have_limits_with_readable_messages(w: World) -> None:
    sup = await w.login("supervisor")

    async def refused(**change: Any) -> str:
        r = await sup.post("/api/v1/persons", json=AIGUL | change)
        assert r.status_code == 422, (change, r.text)
        detail: str = r.json()["detail"]
        return detail

    assert "note" in await refused(note="x" * (NOTE_MAX + 1))
    assert "number" in await refused(phones=[{"number": "call me maybe", "label": ""}])
    assert "number" in await refused(phones=[{"number": "1" * 33, "label": ""}])
    assert "label" in await refused(phones=[{"number": "+996700000000", "label": "x" * 41}])
    assert "phones" in await refused(phones=[{"number": "+996700000000"}] * 7)
    assert "addresses" in await refused(addresses=[{"text": "a"}] * 5)
    assert "text" in await refused(addresses=[{"text": "a" * 301}])
    assert "birth_date" in await refused(birth_date="2999-01-01")
    assert "language" in await refused(language="fr")
    assert "display_name" in await refused(display_name="")
    # Six phones and 1000 characters of note are fine.
    ok = AIGUL | {"phones": [{"number": "+996700000000"}] * 6, "note": "n" * 1000}
    r = await sup.post("/api/v1/persons", json=ok)
    assert r.status_code == 201, r.text
    assert r.json()["phones"][0] == {"number": "+996700000000", "label": ""}
