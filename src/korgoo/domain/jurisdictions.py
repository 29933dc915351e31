"""Jurisdictions of the Kyrgyz Republic: regions, cities of republican significance
and the districts of the two cities, Bishkek's and Osh's.

Codes of regions and cities are ISO 3166-2:KG; the districts of the cities have
no ISO code and take the city's code with a suffix. Bishkek is divided into
four districts (raions), each with its own police department, prosecutor,
probation office and court. Osh city is divided into six municipal and three
rural territorial administrations (codes numbered, as their names have been
changed before and may be again); they are where a person lives or an order
names, but no police or court jurisdiction of their own: the city's agencies
serve all of them (and the city itself), so an offer to the police is never
passed from one of them to another.

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

# Osh city's territorial administrations, municipal (urban) then rural, each
# (kind, name in ru, ky, en); KG-GO-1 is the first.
_KIND = {
    "municipal": ("Муниципальное", "муниципалдык", "Municipal"),
    "rural": ("Сельское", "айылдык", "Rural"),
}
_OSH_ADMINISTRATIONS = (
    ("municipal", "Алымбек Датка", "Алымбек Датка", "Alymbek Datka"),
    ("municipal", "Жибек Жолу", "Жибек Жолу", "Zhibek Zholu"),
    ("municipal", "Керме-Тоо", "Керме-Тоо", "Kerme-Too"),  # noqa: RUF001 (Cyrillic)
    ("municipal", "Курманжан Датка", "Курманжан Датка", "Kurmanjan Datka"),
    ("municipal", "Манас Ата", "Манас Ата", "Manas Ata"),
    ("municipal", "Сулайман-Тоо", "Сулайман-Тоо", "Sulayman-Too"),  # noqa: RUF001 (Cyrillic)
    ("rural", "Жапалак", "Жапалак", "Japalak"),
    ("rural", "Кызыл-Кыштак", "Кызыл-Кыштак", "Kyzyl-Kyshtak"),
    ("rural", "Толойкон", "Толойкон", "Toloykon"),
)
# Cities whose districts share one police department (and one prosecutor,
# probation office and court): an offer is not passed between their districts.
ONE_UNIT_CITIES = frozenset({OSH_CITY})

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
    *(
        Jurisdiction(
            f"{OSH_CITY}-{n}",
            Level.DISTRICT,
            f"{_KIND[kind][0]} территориальное управление «{ru}» города Ош",
            f"Ош шаарынын «{ky}» {_KIND[kind][1]} аймактык башкармалыгы",
            f"{en} {_KIND[kind][2]} Territorial Administration, Osh",
            OSH_CITY,
        )
        for n, (kind, ru, ky, en) in enumerate(_OSH_ADMINISTRATIONS, start=1)
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
    one was tried, `first` has no sibling, or its city's districts share one
    unit (Osh's: the offer goes on to the chain's next step). Deterministic: a
    replay passes the offer to the same unit."""
    parent = next((j.parent for j in JURISDICTIONS if j.code == first), None)
    if parent is None or parent in ONE_UNIT_CITIES:
        return None
    siblings = [j.code for j in JURISDICTIONS if j.parent == parent]
    start = siblings.index(first)
    for code in siblings[start + 1 :] + siblings[:start]:
        if code not in tried:
            return code
    return None
