"""The agencies: every role works in a type of agency, every agency serves
known jurisdictions, and a user named without an agency is placed in the one
the role and districts point to (or in none when they do not say)."""

from __future__ import annotations

from korgoo.api.permissions import Role
from korgoo.domain.agencies import AGENCIES, AGENCY_TYPE_OF_ROLE, AgencyType, default_agency
from korgoo.domain.jurisdictions import JURISDICTIONS, Level


def test_every_role_works_in_a_type_of_agency() -> None:
    assert set(AGENCY_TYPE_OF_ROLE) == {r.value for r in Role}


def test_agencies_serve_known_districts_and_each_district_of_bishkek_has_its_four() -> None:
    codes = {j.code for j in JURISDICTIONS}
    assert len({a.id for a in AGENCIES}) == len(AGENCIES)
    assert all(set(a.districts) <= codes for a in AGENCIES)
    for j in (j for j in JURISDICTIONS if j.level is Level.DISTRICT and j.parent == "KG-GB"):
        serving = sorted(a.type.value for a in AGENCIES if j.code in a.districts)
        assert serving == ["court", "police_unit", "probation_office", "prosecutor_office"], j.code


def test_osh_city_and_each_of_its_administrations_are_served_by_the_citys_four() -> None:
    osh = ["KG-GO", *(j.code for j in JURISDICTIONS if j.parent == "KG-GO")]
    assert len(osh) == 10
    for code in osh:
        serving = sorted(a.id for a in AGENCIES if code in a.districts)
        assert serving == ["court-go", "police-go", "probation-go", "prosecutor-go"], code


def test_a_user_without_an_agency_is_placed_by_role_and_district() -> None:
    placed = default_agency("operator", ["KG-GB-LEN"])
    assert placed is not None and placed.type is AgencyType.MOJ_CENTRE
    placed = default_agency("prosecutor", ["KG-GB-SVE", "KG-GB-OKT"])
    assert placed is not None and placed.id == "prosecutor-gb-sve"
    assert default_agency("court", []) is None  # which court is not said
    placed = default_agency("police_duty_officer", ["KG-GO-4"])
    assert placed is not None and placed.id == "police-go"
    assert default_agency("police_duty_officer", ["KG-O"]) is None  # no unit of Osh Region yet
    placed = default_agency("probation_officer", ["KG-GB-OKT"])
    assert placed is not None and placed.id == "probation-gb-okt"
