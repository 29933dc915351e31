"""Jurisdictions of the Kyrgyz Republic: regions, cities of republican significance
and the districts of Bishkek.

Codes of regions and cities are ISO 3166-2:KG; the districts of Bishkek have no
ISO code and take the city's code with a suffix. The jurisdiction scopes what a
user may see and which police unit is notified. The store seeds these rows on
every migration (insert missing, refresh names).
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
