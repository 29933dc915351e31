# ruff: noqa: RUF001 - Russian words, Cyrillic letters on purpose
"""The pilot population's words in Russian, the centre's default language: the demo
and the browser tests show people names, zones and authorities in it, not in the
simulator's English (which its own tests and benchmarks keep)."""

from __future__ import annotations

import re
from typing import Final

PLACES: Final = {
    "Asanbay": "Асанбай",
    "Vostok-5": "Восток-5",
    "Tunguch": "Тунгуч",
    "Kok-Zhar": "Кок-Жар",
    "Alamedin-1": "Аламедин-1",
    "Magistral": "Магистраль",
    "12th microdistrict": "12-й микрорайон",
    "6th microdistrict": "6-й микрорайон",
    "Dzhal": "Джал",
    "Ak-Orgo": "Ак-Орго",
    "Kara-Zhygach": "Кара-Жыгач",
    "Osh bazaar": "Ошский базар",
    "Dordoi bazaar": "Рынок Дордой",
    "Alamedin bazaar": "Аламединский рынок",
    "Orto-Sai bazaar": "Орто-Сайский рынок",
    "Madina bazaar": "Рынок Мадина",
    "TsUM department store": "ЦУМ",
    "Bishkek Park mall": "ТРЦ «Бишкек Парк»",
    "Asia Mall": "ТРЦ «Азия Молл»",
    "Vefa Centre": "ТРЦ «Вефа»",
    "Bishkek-2 railway station": "Вокзал Бишкек-2",
    "Thermal power plant": "ТЭЦ",
    "Eastern bus station": "Восточный автовокзал",
    "City hall": "Мэрия",
    "National Hospital": "Национальный госпиталь",
    "City Emergency Hospital": "Городская больница скорой помощи",
    "Family medicine centre, Oktyabrsky": "Центр семейной медицины, Октябрьский район",
    "Police, Leninsky district": "УВД Ленинского района",
    "Police, Oktyabrsky district": "УВД Октябрьского района",
    "Police, Pervomaisky district": "УВД Первомайского района",
    "Police, Sverdlovsky district": "УВД Свердловского района",
    "Ministry of Justice": "Министерство юстиции",
}
_KINDS: Final = {
    "School": "Школа",
    "Kindergarten": "Детский сад",
    "Construction site": "Стройка",
    "Garage cooperative": "Гаражный кооператив",
}
WORDS: Final = {
    "Protected person's home": "Дом защищаемого лица",
    "Respondent's home (curfew)": "Дом ответчика (комендантский час)",
    "Probation client's home (curfew)": "Место жительства клиента пробации (комендантский час)",
    "Law of the Kyrgyz Republic on Probation": "Закон Кыргызской Республики «О пробации»",
    "Probation office of Oktyabrsky district": "Орган пробации Октябрьского района",
    "Oktyabrsky District Court of Bishkek": "Октябрьский районный суд г. Бишкек",
    "Internal Affairs Department of Oktyabrsky District, Bishkek": (
        "УВД Октябрьского района г. Бишкек"
    ),
    "Law No. 214 of 15 Oct 2025": "Закон № 214 от 15.10.2025",
    "Law No. 214 of 15 Oct 2025; Code of Offenses": (
        "Закон № 214 от 15.10.2025; Кодекс о правонарушениях"
    ),
    "GPS ankle bracelet with strap sensor": "GPS-браслет на ногу с датчиком ремешка",
    "Korgoo respondent app (Android)": "Приложение Korgoo для ответчика (Android)",
    "Korgoo victim app (Android)": "Приложение Korgoo для защищаемого лица (Android)",
}
_PATTERNS: Final = (
    (re.compile(r"Respondent (\d+)"), "Ответчик {0}"),
    (re.compile(r"Probation client (\d+)"), "Клиент пробации {0}"),
    (re.compile(r"Protected person (\d+)"), "Защищаемое лицо {0}"),
    (re.compile(r"Protected child (\d+)"), "Ребёнок под защитой {0}"),
    (re.compile(r"Children's school: (.+)"), "Школа детей: {0}"),
    (re.compile(r"Workplace at night: (.+)"), "Работа ночью: {0}"),
    (re.compile(r"Workplace: (.+)"), "Работа: {0}"),
)


def place(name: str) -> str:
    """'School, Tunguch' -> 'Школа, Тунгуч'; an unknown name stays as it is."""
    if name in PLACES:
        return PLACES[name]
    kind, _, where = name.partition(", ")
    if where and kind in _KINDS:
        return f"{_KINDS[kind]}, {PLACES.get(where, where)}"
    return name


def russian(text: str) -> str:
    """A label of the population in Russian."""
    if text in WORDS:
        return WORDS[text]
    for pattern, template in _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return template.format(place(found.group(1)))
    return place(text)
