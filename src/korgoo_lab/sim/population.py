"""The pilot-shaped data set: 18 protective orders in Oktyabrsky district, Bishkek.

`pilot_population(seed, start)` returns everything a demo needs: the monitoring
terms of each order (what the engine gets), the records the store needs to create
persons, orders, devices and assignments, and for every person a routine and the
devices that report for them (what the simulator plays).

Shape: 6 respondents wear GPS bracelets, 12 run the respondent app; about half the
protected persons carry the victim app. Temporary (police) orders run 15 days, court
orders 90 days. Every protected person's home is an exclusion circle of 200-300 m;
most orders add her workplace or the children's school as a polygon (three of them
only at night, for evening-shift work); one order has a curfew (the respondent must
be at home 22:00-06:00); in one case (order 07) the respondent lives ~700 m from the
protected person, inside the warning distance: the classic GPS-jitter case.
Persons carry role names only ("Respondent 07", "Protected person 07").
"""

from __future__ import annotations

import math
import random

import msgspec

from korgoo.domain.terms import (
    DeviceKind,
    OrderKind,
    OrderStatus,
    OrderTerms,
    Party,
    ScheduleWindow,
    ZoneSpec,
)
from korgoo_lab.sim.city import (
    Place,
    district_of,
    haversine_m,
    offset_place,
    place,
    to_latlon,
    to_xy,
)
from korgoo_lab.sim.routines import Activity, DeviceScript, Excursion, Routine

DISTRICT = "Oktyabrsky"
LEGAL_BASIS = "Law No. 214 of 15 Oct 2025"
COURT = "Oktyabrsky District Court of Bishkek"
POLICE = "Internal Affairs Department of Oktyabrsky District, Bishkek"
DAY_S = 86_400.0

N_ORDERS = 18
BRACELET_ORDERS = frozenset({1, 4, 7, 10, 13, 16})
TEMPORARY_ORDERS = frozenset({2, 9, 14, 17})
CURFEW_ORDER = 4
JITTER_ORDER = 7
JITTER_DISTANCE_M = 700.0
NIGHT_SHIFT_ORDERS = frozenset({5, 11, 15})
NEIGHBOURHOODS = (
    "Asanbay",
    "Vostok-5",
    "Tunguch",
    "Kok-Zhar",
    "Alamedin-1",
    "Magistral",
    "12th microdistrict",
    "6th microdistrict",
)
SCHOOLS = (
    "School, Asanbay",
    "School, Vostok-5",
    "School, Tunguch",
    "School, 12th microdistrict",
    "School, Kok-Zhar",
    "Kindergarten, Alamedin-1",
)
WORKPLACES = (
    "TsUM department store",
    "Bishkek Park mall",
    "Asia Mall",
    "Vefa Centre",
    "Bishkek-2 railway station",
    "Thermal power plant",
    "Eastern bus station",
    "City hall",
    "Construction site, Magistral",
    "Garage cooperative, Vostok-5",
    "Osh bazaar",
    "Dordoi bazaar",
    "Alamedin bazaar",
    "Madina bazaar",
    "National Hospital",
    "City Emergency Hospital",
)
NIGHT_WORKPLACES = ("City Emergency Hospital", "Bishkek-2 railway station", "National Hospital")
MARKETS = ("Osh bazaar", "Alamedin bazaar", "Orto-Sai bazaar", "Dordoi bazaar")
NIGHT = ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=20 * 60, end=8 * 60)
CURFEW = ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60)


class DeviceSpec(msgspec.Struct, frozen=True):
    device_id: str
    kind: DeviceKind
    scripts: tuple[DeviceScript, ...] = ()


class Subject(msgspec.Struct, frozen=True):
    """A simulated person: where they live, what they do, what reports for them."""

    person_id: str
    role: str  # respondent | protected
    order_id: str
    routine: Routine
    devices: tuple[DeviceSpec, ...] = ()
    excursions: tuple[Excursion, ...] = ()


class PersonRecord(msgspec.Struct, frozen=True):
    person_id: str
    role: str
    label: str
    district: str


class DeviceRecord(msgspec.Struct, frozen=True):
    device_id: str  # IMEI for a bracelet, install id for an app
    kind: DeviceKind
    model: str


class AssignmentRecord(msgspec.Struct, frozen=True):
    device_id: str
    person_id: str
    order_id: str
    starts_at: float


class OrderRecord(msgspec.Struct, frozen=True):
    order_id: str
    number: str
    kind: OrderKind
    status: OrderStatus
    authority: str
    legal_basis: str
    district: str
    issued_at: float
    starts_at: float
    ends_at: float
    respondent_id: str
    protected_ids: tuple[str, ...]


class Population(msgspec.Struct, frozen=True):
    orders: tuple[OrderTerms, ...]
    order_records: tuple[OrderRecord, ...]
    persons: tuple[PersonRecord, ...]
    devices: tuple[DeviceRecord, ...]
    assignments: tuple[AssignmentRecord, ...]
    subjects: tuple[Subject, ...]

    def subject(self, person_id: str) -> Subject:
        return next(s for s in self.subjects if s.person_id == person_id)

    def terms(self, order_id: str) -> OrderTerms:
        return next(o for o in self.orders if o.order_id == order_id)


def imei(rng: random.Random) -> str:
    """A 15-digit IMEI with a valid Luhn check digit."""
    body = "86" + "".join(str(rng.randrange(10)) for _ in range(12))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def circle_zone(
    zone_id: str,
    name: str,
    kind: str,
    p: Place,
    radius_m: float,
    schedule: tuple[ScheduleWindow, ...] = (),
) -> ZoneSpec:
    return ZoneSpec(
        zone_id=zone_id,
        name=name,
        kind=kind,
        geometry={"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]},
        radius_m=radius_m,
        schedule=schedule,
    )


def rect_zone(
    zone_id: str,
    name: str,
    p: Place,
    width_m: float,
    height_m: float,
    schedule: tuple[ScheduleWindow, ...] = (),
) -> ZoneSpec:
    """A grid-aligned rectangle around a place: a school's or workplace's grounds."""
    x, y = to_xy(p.lat, p.lon)
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = []
    for sx, sy in corners:
        lat, lon = to_latlon(x + sx * width_m / 2, y + sy * height_m / 2)
        ring.append([round(lon, 6), round(lat, 6)])
    return ZoneSpec(
        zone_id=zone_id,
        name=name,
        kind="exclusion",
        geometry={"type": "Polygon", "coordinates": [ring]},
        schedule=schedule,
    )


def _home_in_district(rng: random.Random, name: str) -> Place:
    while True:
        home = offset_place(place(rng.choice(NEIGHBOURHOODS)), name, "home", rng, 450.0)
        if district_of(home.lat, home.lon) == DISTRICT:
            return home


def _home_at_distance(rng: random.Random, name: str, other: Place, distance_m: float) -> Place:
    ox, oy = to_xy(other.lat, other.lon)
    while True:
        a = rng.uniform(0.0, 2 * math.pi)
        lat, lon = to_latlon(ox + distance_m * math.cos(a), oy + distance_m * math.sin(a))
        if district_of(lat, lon) == DISTRICT:
            return Place(name, "home", lat, lon)


def _home_far_from(rng: random.Random, name: str, others: list[Place]) -> Place:
    while True:
        home = _home_in_district(rng, name)
        if all(haversine_m(home.lat, home.lon, o.lat, o.lon) > 2_500.0 for o in others):
            return home


def _pick_far(rng: random.Random, names: tuple[str, ...], avoid: list[Place]) -> Place:
    """A place at least 1.5 km from everything in `avoid` (so routines rarely breach)."""
    candidates = [
        place(n)
        for n in names
        if all(haversine_m(place(n).lat, place(n).lon, a.lat, a.lon) > 1_500.0 for a in avoid)
    ]
    return rng.choice(candidates or [place(n) for n in names])


def _protected_routine(
    rng: random.Random, home: Place, work: Place, school: Place | None, night_shift: bool
) -> Routine:
    acts: list[Activity] = []
    if school is not None:
        acts.append(Activity(school, arrive_min=7 * 60 + 45, stay_min=10, jitter_min=10))
    if night_shift:
        # An evening shift into the night-time zone hours; days end at home, so the
        # shift ends before midnight.
        acts.append(
            Activity(work, arrive_min=16 * 60, stay_min=6 * 60 + 30, jitter_min=10, days=(0, 2, 4))
        )
    else:
        acts.append(Activity(work, arrive_min=9 * 60, stay_min=8 * 60, probability=0.9))
    acts.append(
        Activity(
            place(rng.choice(MARKETS)),
            arrive_min=11 * 60,
            stay_min=90,
            days=(5, 6),
            probability=0.7,
            jitter_min=60,
        )
    )
    return Routine(home=home, activities=tuple(acts), mode=rng.choice(("bus", "bus", "car")))


def _respondent_routine(rng: random.Random, home: Place, avoid: list[Place]) -> Routine:
    work = _pick_far(rng, WORKPLACES, avoid)
    acts = [
        Activity(
            work,
            arrive_min=8 * 60 + rng.randrange(0, 90, 15),
            stay_min=8 * 60 + 30,
            probability=rng.uniform(0.6, 0.95),
        ),
        Activity(
            _pick_far(rng, MARKETS, avoid),
            arrive_min=12 * 60,
            stay_min=60,
            days=(5, 6),
            probability=0.5,
            jitter_min=90,
        ),
    ]
    return Routine(home=home, activities=tuple(acts), mode=rng.choice(("bus", "car")))


def pilot_population(seed: int, start: float) -> Population:
    rng = random.Random(seed)
    terms: list[OrderTerms] = []
    records: list[OrderRecord] = []
    persons: list[PersonRecord] = []
    devices: list[DeviceRecord] = []
    assignments: list[AssignmentRecord] = []
    subjects: list[Subject] = []
    victim_app_orders = set(
        rng.sample([i for i in range(1, N_ORDERS + 1) if i != JITTER_ORDER], 8)
    ) | {JITTER_ORDER}

    for i in range(1, N_ORDERS + 1):
        n = f"{i:02d}"
        order_id, resp_id, prot_id = f"order-{n}", f"resp-{n}", f"prot-{n}"
        temporary = i in TEMPORARY_ORDERS
        prot_home = _home_in_district(rng, f"Home of protected person {n}")
        if i == JITTER_ORDER:
            resp_home = _home_at_distance(
                rng, f"Home of respondent {n}", prot_home, JITTER_DISTANCE_M
            )
        else:
            resp_home = _home_far_from(rng, f"Home of respondent {n}", [prot_home])

        night_shift = i in NIGHT_SHIFT_ORDERS
        school = place(rng.choice(SCHOOLS)) if i % 3 == 0 else None
        work = (
            place(rng.choice(NIGHT_WORKPLACES))
            if night_shift
            else _pick_far(rng, WORKPLACES, [resp_home])
        )
        zones = [
            circle_zone(
                f"{order_id}-home",
                "Protected person's home",
                "exclusion",
                prot_home,
                float(rng.randrange(200, 301, 25)),
            )
        ]
        if school is not None:
            zones.append(
                rect_zone(
                    f"{order_id}-school", f"Children's school: {school.name}", school, 180.0, 140.0
                )
            )
        elif night_shift:
            zones.append(
                rect_zone(
                    f"{order_id}-work",
                    f"Workplace at night: {work.name}",
                    work,
                    200.0,
                    160.0,
                    (NIGHT,),
                )
            )
        elif i % 2 == 0:
            zones.append(
                rect_zone(f"{order_id}-work", f"Workplace: {work.name}", work, 160.0, 120.0)
            )
        if i == CURFEW_ORDER:
            zones.append(
                circle_zone(
                    f"{order_id}-curfew",
                    "Respondent's home (curfew)",
                    "inclusion",
                    resp_home,
                    150.0,
                    (CURFEW,),
                )
            )

        if temporary:
            starts_at = start - rng.uniform(1, 5) * DAY_S
            ends_at = starts_at + 15 * DAY_S
            number = f"VOP-OK-{rng.randrange(100, 999)}/25"  # police temporary order
        else:
            starts_at = start - rng.uniform(5, 60) * DAY_S
            ends_at = starts_at + 90 * DAY_S
            number = f"OK-2-{rng.randrange(1000, 9999)}/25"  # court case number
        starts_at, ends_at = round(starts_at), round(ends_at)

        resp_kind = DeviceKind.BRACELET if i in BRACELET_ORDERS else DeviceKind.RESPONDENT_APP
        resp_dev = (
            imei(rng) if resp_kind is DeviceKind.BRACELET else f"ra-{rng.getrandbits(48):012x}"
        )
        resp_devices = ((resp_dev, resp_kind),)
        prot_devices: tuple[tuple[str, DeviceKind], ...] = ()
        if i in victim_app_orders:
            prot_devices = ((f"va-{rng.getrandbits(48):012x}", DeviceKind.VICTIM_APP),)
        protected = [Party(prot_id, "protected", prot_devices)]
        if school is not None:
            protected.append(Party(f"{prot_id}-child", "protected"))

        min_d = 500.0 if i == JITTER_ORDER else float(rng.randrange(300, 501, 50))
        warn_d = 1000.0 if i == JITTER_ORDER else float(rng.randrange(800, 1501, 100))
        terms.append(
            OrderTerms(
                order_id=order_id,
                version=1,
                kind=OrderKind.TEMPORARY if temporary else OrderKind.COURT,
                status=OrderStatus.ACTIVE,
                starts_at=starts_at,
                ends_at=ends_at,
                district=DISTRICT,
                respondent=Party(resp_id, "respondent", resp_devices),
                protected=tuple(protected),
                min_distance_m=min_d,
                warning_distance_m=warn_d,
                zones=tuple(zones),
                checkins_per_day=2 if resp_kind is DeviceKind.RESPONDENT_APP else 0,
            )
        )
        records.append(
            OrderRecord(
                order_id=order_id,
                number=number,
                kind=OrderKind.TEMPORARY if temporary else OrderKind.COURT,
                status=OrderStatus.ACTIVE,
                authority=POLICE if temporary else COURT,
                legal_basis=f"{LEGAL_BASIS}; Code of Offenses" if temporary else LEGAL_BASIS,
                district=DISTRICT,
                issued_at=starts_at - 3600,
                starts_at=starts_at,
                ends_at=ends_at,
                respondent_id=resp_id,
                protected_ids=tuple(p.person_id for p in protected),
            )
        )
        persons.append(PersonRecord(resp_id, "respondent", f"Respondent {n}", DISTRICT))
        persons += [
            PersonRecord(
                p.person_id,
                "protected",
                f"Protected child {n}"
                if p.person_id.endswith("-child")
                else f"Protected person {n}",
                DISTRICT,
            )
            for p in protected
        ]
        for dev_id, kind in (*resp_devices, *prot_devices):
            model = {
                DeviceKind.BRACELET: "GPS ankle bracelet with strap sensor",
                DeviceKind.RESPONDENT_APP: "Korgoo respondent app (Android)",
                DeviceKind.VICTIM_APP: "Korgoo victim app (Android)",
            }[kind]
            devices.append(DeviceRecord(dev_id, kind, model))
            owner = resp_id if kind is not DeviceKind.VICTIM_APP else prot_id
            assignments.append(AssignmentRecord(dev_id, owner, order_id, starts_at))

        avoid = [prot_home, work, *([school] if school else [])]
        subjects.append(
            Subject(
                resp_id,
                "respondent",
                order_id,
                _respondent_routine(rng, resp_home, avoid),
                tuple(DeviceSpec(d, k) for d, k in resp_devices),
            )
        )
        subjects.append(
            Subject(
                prot_id,
                "protected",
                order_id,
                _protected_routine(rng, prot_home, work, school, night_shift),
                tuple(DeviceSpec(d, k) for d, k in prot_devices),
            )
        )

    return Population(
        orders=tuple(terms),
        order_records=tuple(records),
        persons=tuple(persons),
        devices=tuple(devices),
        assignments=tuple(assignments),
        subjects=tuple(subjects),
    )


PROBATION_ORDER = "probation-01"
PROBATION_CLIENT = "client-01"
PROBATION_LAW = "Law of the Kyrgyz Republic on Probation"


def with_probation_case(population: Population, seed: int, start: float) -> Population:
    """The population and one probation client of the district: a probation
    order (it protects nobody) with a night curfew at his address and two
    identity check-ins a day through the respondent app, which he carries."""
    rng = random.Random(f"{seed}/probation")
    home = _home_in_district(rng, "Home of probation client 01")
    device = f"ra-{rng.getrandbits(48):012x}"
    starts_at = round(start - 20 * DAY_S)
    ends_at = round(starts_at + 365 * DAY_S)
    curfew = circle_zone(
        f"{PROBATION_ORDER}-curfew",
        "Probation client's home (curfew)",
        "inclusion",
        home,
        150.0,
        (CURFEW,),
    )
    terms = OrderTerms(
        order_id=PROBATION_ORDER,
        version=1,
        kind=OrderKind.PROBATION,
        status=OrderStatus.ACTIVE,
        starts_at=starts_at,
        ends_at=ends_at,
        district=DISTRICT,
        respondent=Party(PROBATION_CLIENT, "respondent", ((device, DeviceKind.RESPONDENT_APP),)),
        zones=(curfew,),
        checkins_per_day=2,
    )
    record = OrderRecord(
        order_id=PROBATION_ORDER,
        number=f"OK-1-{rng.randrange(100, 999)}/25",  # the criminal case
        kind=OrderKind.PROBATION,
        status=OrderStatus.ACTIVE,
        authority=COURT,
        legal_basis=PROBATION_LAW,
        district=DISTRICT,
        issued_at=starts_at - 3600,
        starts_at=starts_at,
        ends_at=ends_at,
        respondent_id=PROBATION_CLIENT,
        protected_ids=(),
    )
    subject = Subject(
        PROBATION_CLIENT,
        "respondent",
        PROBATION_ORDER,
        _respondent_routine(rng, home, []),
        (DeviceSpec(device, DeviceKind.RESPONDENT_APP),),
    )
    return msgspec.structs.replace(
        population,
        orders=(*population.orders, terms),
        order_records=(*population.order_records, record),
        persons=(
            *population.persons,
            PersonRecord(PROBATION_CLIENT, "probation_client", "Probation client 01", DISTRICT),
        ),
        devices=(
            *population.devices,
            DeviceRecord(device, DeviceKind.RESPONDENT_APP, "Korgoo respondent app (Android)"),
        ),
        assignments=(
            *population.assignments,
            AssignmentRecord(device, PROBATION_CLIENT, PROBATION_ORDER, starts_at),
        ),
        subjects=(*population.subjects, subject),
    )
