"""Jurisdictions of the Kyrgyz Republic: regions, cities of republican significance
and the districts of Bishkek.

Codes of regions and cities are ISO 3166-2:KG; the districts of Bishkek have no
ISO code and take the city's code with a suffix. Osh city is not divided into
districts (raions) but into municipal territorial administrations, which are
no police or court jurisdiction: the city itself is the unit orders, agencies
and the rollout switch name there, as a region is outside the two cities.

The jurisdiction scopes what a user may see and which police unit is notified.
The store seeds these rows on every migration (insert missing, refresh names;
the rollout switch, `monitoring_enabled`, is the administrator's and is kept).
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Level(StrEnum):
    REGION = "region"  # oblast
    CITY = "city"  # city of republican significance
    DISTRICT = "district"  # district (raion) of a city


class Jurisdiction(msgspec.Struct, frozen=True):
    code: str
    level: Level
    name_ru: str
    name_ky: str
    name_en: str
    parent: str | None = None


BISHKEK = "KG-GB"
OSH_CITY = "KG-GO"

JURISDICTIONS: tuple[Jurisdiction, ...] = (
    Jurisdiction("KG-B", Level.REGION, "Баткенская область", "Баткен облусу", "Batken Region"),
    Jurisdiction("KG-C", Level.REGION, "Чуйская область", "Чүй облусу", "Chuy Region"),
    Jurisdiction(
        "KG-Y", Level.REGION, "Иссык-Кульская область", "Ысык-Көл облусу", "Issyk-Kul Region"
    ),
    Jurisdiction(
        "KG-J", Level.REGION, "Джалал-Абадская область", "Жалал-Абад облусу", "Jalal-Abad Region"
    ),
    Jurisdiction("KG-N", Level.REGION, "Нарынская область", "Нарын облусу", "Naryn Region"),
    Jurisdiction("KG-O", Level.REGION, "Ошская область", "Ош облусу", "Osh Region"),
    Jurisdiction("KG-T", Level.REGION, "Таласская область", "Талас облусу", "Talas Region"),
    Jurisdiction(BISHKEK, Level.CITY, "город Бишкек", "Бишкек шаары", "Bishkek City"),
    Jurisdiction(OSH_CITY, Level.CITY, "город Ош", "Ош шаары", "Osh City"),
    Jurisdiction(
        "KG-GB-LEN",
        Level.DISTRICT,
        "Ленинский район",
        "Ленин району",
        "Leninsky District",
        BISHKEK,
    ),
    Jurisdiction(
        "KG-GB-OKT",
        Level.DISTRICT,
        "Октябрьский район",
        "Октябрь району",
        "Oktyabrsky District",
        BISHKEK,
    ),
    Jurisdiction(
        "KG-GB-PER",
        Level.DISTRICT,
        "Первомайский район",
        "Биринчи май району",
        "Pervomaisky District",
        BISHKEK,
    ),
    Jurisdiction(
        "KG-GB-SVE",
        Level.DISTRICT,
        "Свердловский район",
        "Свердлов району",
        "Sverdlovsky District",
        BISHKEK,
    ),
)


def within(code: str, ancestor: str) -> bool:
    """Whether jurisdiction `code` is `ancestor` or lies inside it."""
    parents = {j.code: j.parent for j in JURISDICTIONS}
    node: str | None = code
    while node is not None:
        if node == ancestor:
            return True
        node = parents.get(node)
    return False


# Where each district of Bishkek lies, as (south, west, north, east) boxes in
# degrees, tried in order (the first that holds the point wins). They follow the
# main streets that part the districts closely enough to pick the police unit on
# duty; the official boundaries replace them when the ministry provides them.
DISTRICT_AREAS: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("KG-GB-LEN", (42.78, 74.40, 42.95, 74.585)),  # west of Manas / Mira
    ("KG-GB-OKT", (42.78, 74.585, 42.862, 74.78)),  # south-east, below Chuy / Jibek Jolu
    ("KG-GB-PER", (42.862, 74.585, 42.95, 74.625)),  # the centre-north
    ("KG-GB-SVE", (42.862, 74.625, 42.95, 74.78)),  # north-east
)


def district_at(lat: float, lon: float) -> str | None:
    """The district a position lies in, or None outside every known district."""
    for code, (south, west, north, east) in DISTRICT_AREAS:
        if south <= lat < north and west <= lon < east:
            return code
    return None


def next_district(first: str, tried: tuple[str, ...] = ()) -> str | None:
    """The district whose police duty unit is offered an alert that `first`'s
    did not accept in time: the next district of the same city in the order of
    `JURISDICTIONS`, going round, skipping those in `tried`; None when every
    one was tried or `first` has no sibling (deterministic: a replay passes the
    offer to the same unit)."""
    parent = next((j.parent for j in JURISDICTIONS if j.code == first), None)
    if parent is None:
        return None
    siblings = [j.code for j in JURISDICTIONS if j.parent == parent]
    start = siblings.index(first)
    for code in siblings[start + 1 :] + siblings[:start]:
        if code not in tried:
            return code
    return None
