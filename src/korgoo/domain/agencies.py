"""Agencies: the organisations Korgoo's users work for, with the districts they
serve, and which roles each type of agency holds.

Every user belongs to one agency, and the user's role must fit its type (a
prosecutor works in a prosecutor's office). An agency that serves no district
listed serves the whole country (the ministry's monitoring centre). The store
seeds these rows on every migration (insert missing, refresh names and
districts), as it does the jurisdictions; new agencies of a rollout are added
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

import msgspec

from korgoo.domain.jurisdictions import JURISDICTIONS, OSH_CITY


class AgencyType(StrEnum):
    MOJ_CENTRE = "moj_centre"  # the Ministry of Justice's monitoring centre
    POLICE_UNIT = "police_unit"  # a district police department: duty unit and inspectors
    PROBATION_OFFICE = "probation_office"
    PROSECUTOR_OFFICE = "prosecutor_office"
    COURT = "court"


class Agency(msgspec.Struct, frozen=True):
    id: str
    type: AgencyType
    name_ru: str
    name_ky: str
    name_en: str
    districts: tuple[str, ...] = ()  # jurisdiction codes served; empty: the whole country


# The agency type each role works in (role names of `api.permissions.Role`; a
# unit test keeps the two in step).
AGENCY_TYPE_OF_ROLE: Final[dict[str, AgencyType]] = {
    "operator": AgencyType.MOJ_CENTRE,
    "supervisor": AgencyType.MOJ_CENTRE,
    "administrator": AgencyType.MOJ_CENTRE,
    "statistics": AgencyType.MOJ_CENTRE,
    "police_duty_officer": AgencyType.POLICE_UNIT,
    "police_district_inspector": AgencyType.POLICE_UNIT,
    "probation_officer": AgencyType.PROBATION_OFFICE,
    "prosecutor": AgencyType.PROSECUTOR_OFFICE,
    "court": AgencyType.COURT,
}

MOJ_CENTRE = "moj-centre"

# Bishkek's districts: (code, suffix of the ids, ru genitive, ru adjective, ky, en).
_BISHKEK_DISTRICTS = (
    ("KG-GB-LEN", "gb-len", "Ленинского", "Ленинский", "Ленин", "Leninsky"),
    ("KG-GB-OKT", "gb-okt", "Октябрьского", "Октябрьский", "Октябрь", "Oktyabrsky"),
    ("KG-GB-PER", "gb-per", "Первомайского", "Первомайский", "Биринчи май", "Pervomaisky"),
    ("KG-GB-SVE", "gb-sve", "Свердловского", "Свердловский", "Свердлов", "Sverdlovsky"),
)


def _bishkek_agencies() -> tuple[Agency, ...]:
    found: list[Agency] = []
    for code, suffix, ru_gen, ru_adj, ky, en in _BISHKEK_DISTRICTS:
        found += [
            Agency(
                f"police-{suffix}",
                AgencyType.POLICE_UNIT,
                f"УВД {ru_gen} района города Бишкек",
                f"Бишкек шаарынын {ky} райондук ички иштер башкармалыгы",
                f"{en} District Police Department, Bishkek",
                (code,),
            ),
            Agency(
                f"prosecutor-{suffix}",
                AgencyType.PROSECUTOR_OFFICE,
                f"Прокуратура {ru_gen} района города Бишкек",
                f"Бишкек шаарынын {ky} районунун прокуратурасы",
                f"Prosecutor's Office of {en} District, Bishkek",
                (code,),
            ),
            Agency(
                f"probation-{suffix}",
                AgencyType.PROBATION_OFFICE,
                f"Орган пробации {ru_gen} района города Бишкек",
                f"Бишкек шаарынын {ky} районунун пробация органы",
                f"Probation Office of {en} District, Bishkek",
                (code,),
            ),
            Agency(
                f"court-{suffix}",
                AgencyType.COURT,
                f"{ru_adj} районный суд города Бишкек",
                f"Бишкек шаарынын {ky} райондук соту",
                f"{en} District Court of Bishkek",
                (code,),
            ),
        ]
    return tuple(found)


# Osh city's agencies serve the city and all its territorial administrations.
_OSH = (OSH_CITY, *(j.code for j in JURISDICTIONS if j.parent == OSH_CITY))
_OSH_AGENCIES = (
    Agency(
        "police-go",
        AgencyType.POLICE_UNIT,
        "УВД города Ош",
        "Ош шаарынын ички иштер башкармалыгы",
        "Osh City Police Department",
        _OSH,
    ),
    Agency(
        "prosecutor-go",
        AgencyType.PROSECUTOR_OFFICE,
        "Прокуратура города Ош",
        "Ош шаарынын прокуратурасы",
        "Prosecutor's Office of Osh City",
        _OSH,
    ),
    Agency(
        "probation-go",
        AgencyType.PROBATION_OFFICE,
        "Орган пробации города Ош",
        "Ош шаарынын пробация органы",
        "Probation Office of Osh City",
        _OSH,
    ),
    Agency(
        "court-go",
        AgencyType.COURT,
        "Ошский городской суд",
        "Ош шаардык соту",
        "Osh City Court",
        _OSH,
    ),
)

# The pilot's agencies: the centre, Bishkek's district police, probation
# offices, prosecutors and courts, and Osh city's.
AGENCIES: Final[tuple[Agency, ...]] = (
    Agency(
        MOJ_CENTRE,
        AgencyType.MOJ_CENTRE,
        "Центр электронного мониторинга Министерства юстиции Кыргызской Республики",
        "Кыргыз Республикасынын Юстиция министрлигинин электрондук мониторинг борбору",  # noqa: RUF001 (Kyrgyz)
        "Electronic Monitoring Centre of the Ministry of Justice of the Kyrgyz Republic",
    ),
    *_bishkek_agencies(),
    *_OSH_AGENCIES,
)


def fits(role: str, agency: Agency) -> bool:
    """Whether a user of `role` may belong to `agency`."""
    return AGENCY_TYPE_OF_ROLE.get(role) == agency.type


def default_agency(
    role: str, districts: Sequence[str], agencies: Sequence[Agency] = AGENCIES
) -> Agency | None:
    """The agency a user of `role` belongs to when none is named: the only one
    of the role's type, else the one of that type serving the first of
    `districts`; None when that does not say."""
    kind = AGENCY_TYPE_OF_ROLE.get(role)
    of_type = [a for a in agencies if a.type == kind]
    if len(of_type) == 1:
        return of_type[0]
    for district in districts[:1]:
        serving = [a for a in of_type if district in a.districts]
        if len(serving) == 1:
            return serving[0]
    return None
