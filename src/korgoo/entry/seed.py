"""Loading a population (the pilot-shaped demo data) into a store."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa

from korgoo.domain.jurisdictions import BISHKEK, JURISDICTIONS
from korgoo.domain.terms import DeviceKind
from korgoo.store.audit import audit_append
from korgoo.store.devices import assign_device, enrol_device
from korgoo.store.orders import create_order
from korgoo.store.registry import PersonRole, create_person, set_monitoring
from korgoo_lab.sim.population import Population
from korgoo_lab.sim.russian import russian

ROLE = {
    "respondent": PersonRole.RESPONDENT,
    "protected": PersonRole.PROTECTED,
    "probation_client": PersonRole.PROBATION_CLIENT,
}


def district_code(name: str) -> str:
    """The jurisdiction code of a district named as the simulator names it."""
    for j in JURISDICTIONS:
        if name in (j.code, j.name_en, j.name_en.removesuffix(" District")):
            return j.code
    raise ValueError(f"unknown district {name!r}: use a code such as KG-GB-OKT")


def load_population(db: sa.Engine, pop: Population, at: float, actor: str = "demo") -> None:
    """Persons, devices with their assignments, and version 1 of every order, their
    names and words in Russian (the console's default language), with monitoring
    rolled out in Bishkek's districts (the pilot's)."""
    with db.begin() as conn:
        for j in JURISDICTIONS:
            if j.parent == BISHKEK:
                set_monitoring(conn, j.code, True)
        for person in pop.persons:
            create_person(
                conn,
                role=ROLE.get(person.role, PersonRole.RESPONDENT),
                display_name=russian(person.label),
                district=district_code(person.district),
                person_id=person.person_id,
                at=at,
            )
        for device in pop.devices:
            # The pilot's bracelets speak the Watch protocol; apps use their secret.
            protocol = "watch" if device.kind is DeviceKind.BRACELET else None
            enrol_device(
                conn,
                device.device_id,
                device.kind,
                model=russian(device.model),
                protocol=protocol,
                at=at,
            )
        for a in pop.assignments:
            assign_device(conn, a.device_id, a.person_id, actor=actor, at=min(at, a.starts_at))
        for rec in pop.order_records:
            terms = pop.terms(rec.order_id)
            create_order(
                conn,
                order_id=rec.order_id,
                number=rec.number,
                kind=rec.kind,
                issuing_authority=russian(rec.authority),
                legal_basis=russian(rec.legal_basis),
                district=district_code(rec.district),
                respondent_id=rec.respondent_id,
                protected_ids=rec.protected_ids,
                starts_at=rec.starts_at,
                ends_at=rec.ends_at,
                min_distance_m=terms.min_distance_m,
                warning_distance_m=terms.warning_distance_m,
                zones=[msgspec.structs.replace(z, name=russian(z.name)) for z in terms.zones],
                checkins_per_day=terms.checkins_per_day,
                status=rec.status,
                actor=actor,
                at=at,
            )
            audit_append(conn, actor, "order.created", rec.order_id, {"number": rec.number}, at=at)
