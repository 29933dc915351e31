"""Golden scenarios: a compact JSON description turned into the engine's event list.

A scenario file (tests/scenarios/*.json) looks like this; times are seconds after
`start` unless said otherwise:

    {
      "start": 1767290400,          // epoch seconds, UTC (required)
      "duration_s": 3600,           // default: last waypoint, signal or gap + 60 s
      "tick_s": 10,                 // a Tick every tick_s; 0 for none (default 10)
      "seed": 0,                    // randomness of jitter (default 0)
      "origin": {"lat": 42.8400, "lon": 74.6300},  // for points in metres (default: city centre)
      "orders": [                   // each becomes an OrderChange
        {"at": 0,                   // receive time of the OrderChange (default 0)
         "order_id": "o1", "respondent": {...}, "protected": [...],
         "min_distance_m": 500, "warning_distance_m": 1000,
         "zones": [
           {"zone_id": "home", "name": "Home", "kind": "exclusion",
            "center": {"east_m": 0, "north_m": 0}, "radius_m": 250},
           {"zone_id": "school", "name": "School", "kind": "exclusion",
            "polygon": [{"east_m": 900, "north_m": 0}, {"east_m": 1100, "north_m": 0},
                        {"east_m": 1100, "north_m": 150}, {"east_m": 900, "north_m": 150}],
            "schedule": [{"days": [0, 1, 2, 3, 4], "start": 420, "end": 1080}]}
         ]}
      ],
      "devices": [
        {"device_id": "imei-1",
         "interval_s": 30,          // fix cadence (default 30)
         "delay_s": 1.0,            // receive delay at - t outside gaps (default 1)
         "acc": 10,                 // reported accuracy, m (default 10)
         "jitter_m": 0,             // Gaussian jitter sigma per axis, m (default 0)
         "battery": 80,             // reported on every fix (optional)
         "from": 0, "to": 3600,     // when the device reports (default: first waypoint .. end)
         "track": [                 // true positions; linear between, held before/after
           {"t": 0, "east_m": 3000, "north_m": 0},
           {"t": 600, "east_m": 200, "north_m": 0, "acc": 25, "jitter_m": 8},
           {"t": 900, "place": "Osh bazaar"},
           {"t": 1200, "lat": 42.84, "lon": 74.63}
         ],                         // a waypoint's acc / jitter_m hold until changed
         "gaps": [{"from": 300, "to": 480}],     // no network: fixes buffered, sent at `to` + delay
         "off": [{"from": 1500, "to": null}],    // no fixes at all; null: until the end
         "jumps": [{"t": 700, "east_m": 600, "north_m": 0, "acc": 8}],  // next fix displaced
         "signals": [{"t": 120, "kind": "strap_open"},
                     {"t": 130, "kind": "low_battery", "value": 20, "at": 400}]}
      ]
    }

A point is {"lat", "lon"}, {"place": <a name in korgoo_lab.sim.city.PLACES>} or
{"east_m", "north_m"} from `origin`. Order fields left out default to: version 1,
kind court, status active, starts_at `start` - 1 day, ends_at `start` + 90 days,
district Oktyabrsky. The events come back sorted by `at`; at equal `at`, order
changes come first, then device events in file order, then ticks.
"""

from __future__ import annotations

import bisect
import math
import random
from typing import Any

import msgspec

from korgoo.domain.events import Event, Fix, OrderChange, Signal, SignalKind, Tick
from korgoo.domain.terms import OrderTerms
from korgoo_lab.sim.city import CENTRE_LAT, CENTRE_LON, M_PER_DEG_LAT, metres_per_deg_lon, place

_ORDER_DEFAULTS = {"version": 1, "kind": "court", "status": "active", "district": "Oktyabrsky"}


def scenario_events(spec: dict[str, Any]) -> list[Event]:
    start = float(spec["start"])
    origin = spec.get("origin", {"lat": CENTRE_LAT, "lon": CENTRE_LON})
    point = _point_resolver(float(origin["lat"]), float(origin["lon"]))
    duration = float(spec.get("duration_s") or _last_time(spec) + 60.0)
    seed = spec.get("seed", 0)
    keyed: list[tuple[float, int, int, Event]] = []
    for order in spec.get("orders", []):
        terms = _order_terms(order, start, point)
        keyed.append(
            (
                start + float(order.get("at", 0.0)),
                0,
                len(keyed),
                OrderChange(start + float(order.get("at", 0.0)), terms),
            )
        )
    for dev in spec.get("devices", []):
        rng = random.Random(f"{seed}/{dev['device_id']}")
        for event in _device_events(dev, start, duration, point, rng):
            keyed.append((event.at, 1, len(keyed), event))
    tick_s = float(spec.get("tick_s", 10.0))
    if tick_s > 0:
        for k in range(1, int(duration / tick_s) + 1):
            keyed.append((start + k * tick_s, 2, len(keyed), Tick(start + k * tick_s)))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def _point_resolver(lat0: float, lon0: float) -> Any:
    m_lon = metres_per_deg_lon(lat0)

    def resolve(p: dict[str, Any]) -> tuple[float, float]:
        if "place" in p:
            known = place(p["place"])
            return known.lat, known.lon
        if "east_m" in p or "north_m" in p:
            return (
                lat0 + float(p.get("north_m", 0.0)) / M_PER_DEG_LAT,
                lon0 + float(p.get("east_m", 0.0)) / m_lon,
            )
        return float(p["lat"]), float(p["lon"])

    return resolve


def _last_time(spec: dict[str, Any]) -> float:
    times = [0.0]
    for dev in spec.get("devices", []):
        times += [float(w["t"]) for w in dev.get("track", [])]
        times += [float(s["t"]) for s in dev.get("signals", [])]
        times += [float(g["to"]) for g in dev.get("gaps", [])]
    return max(times)


def _order_terms(order: dict[str, Any], start: float, point: Any) -> OrderTerms:
    data = {
        **_ORDER_DEFAULTS,
        "starts_at": start - 86_400.0,
        "ends_at": start + 90 * 86_400.0,
        **{k: v for k, v in order.items() if k != "at"},
    }
    data["zones"] = [_zone(z, point) for z in order.get("zones", [])]
    return msgspec.convert(data, OrderTerms)


def _zone(zone: dict[str, Any], point: Any) -> dict[str, Any]:
    z = {k: v for k, v in zone.items() if k not in ("center", "polygon")}
    if "center" in zone:
        lat, lon = point(zone["center"])
        z["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
    elif "polygon" in zone:
        ring = [[lon, lat] for lat, lon in map(point, zone["polygon"])]
        z["geometry"] = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return z


def _device_events(
    dev: dict[str, Any], start: float, duration: float, point: Any, rng: random.Random
) -> list[Event]:
    device_id = dev["device_id"]
    interval = float(dev.get("interval_s", 30.0))
    delay = float(dev.get("delay_s", 1.0))
    source = dev.get("source", "sim")
    battery = dev.get("battery")
    track = sorted(dev.get("track", []), key=lambda w: float(w["t"]))
    times = [float(w["t"]) for w in track]
    coords = [point(w) for w in track]
    acc_at, jitter_at = [], []
    acc, jitter = float(dev.get("acc", 10.0)), float(dev.get("jitter_m", 0.0))
    for w in track:  # a waypoint's acc / jitter holds until the next one sets them
        acc, jitter = float(w.get("acc", acc)), float(w.get("jitter_m", jitter))
        acc_at.append(acc)
        jitter_at.append(jitter)
    gaps = [(float(g["from"]), float(g["to"])) for g in dev.get("gaps", [])]
    offs = [
        (float(o["from"]), math.inf if o.get("to") is None else float(o["to"]))
        for o in dev.get("off", [])
    ]
    jumps = sorted(dev.get("jumps", []), key=lambda j: float(j["t"]))

    def receive(t: float) -> float:
        ends = [b for a, b in gaps if a <= t < b]
        return start + (ends[0] if ends else t) + delay

    events: list[Event] = []
    t = float(dev.get("from", times[0] if times else 0.0))
    end = float(dev.get("to", duration))
    while track and t <= end:
        if not any(a <= t < b for a, b in offs):
            i = max(0, bisect.bisect_right(times, t) - 1)
            lat, lon, speed, heading = _along(times, coords, i, t)
            a, sigma = acc_at[i], jitter_at[i]
            dx = dy = 0.0
            if sigma > 0:
                dx, dy = rng.gauss(0.0, sigma), rng.gauss(0.0, sigma)
            if jumps and float(jumps[0]["t"]) <= t:
                j = jumps.pop(0)
                dx += float(j.get("east_m", 0.0))
                dy += float(j.get("north_m", 0.0))
                a = float(j.get("acc", a))
            lat, lon = lat + dy / M_PER_DEG_LAT, lon + dx / metres_per_deg_lon(lat)
            events.append(
                Fix(
                    device_id,
                    start + t,
                    receive(t),
                    round(lat, 7),
                    round(lon, 7),
                    a,
                    speed,
                    heading,
                    battery,
                    None,
                    False,
                    source,
                )
            )
        t += interval
    for s in dev.get("signals", []):
        ts = float(s["t"])
        at = start + float(s["at"]) if "at" in s else receive(ts)
        value = None if s.get("value") is None else float(s["value"])
        events.append(Signal(device_id, start + ts, at, SignalKind(s["kind"]), value, source))
    return events


def _along(
    times: list[float], coords: list[tuple[float, float]], i: int, t: float
) -> tuple[float, float, float | None, float | None]:
    """Position on the track at t: linear between waypoint i and the next."""
    if t <= times[0] or i + 1 >= len(times):
        lat, lon = coords[0] if t <= times[0] else coords[-1]
        return lat, lon, 0.0, None
    (lat0, lon0), (lat1, lon1) = coords[i], coords[i + 1]
    span = times[i + 1] - times[i]
    f = (t - times[i]) / span if span > 0 else 1.0
    dy = (lat1 - lat0) * M_PER_DEG_LAT
    dx = (lon1 - lon0) * metres_per_deg_lon(lat0)
    speed = math.hypot(dx, dy) / span if span > 0 else 0.0
    heading = round(math.degrees(math.atan2(dx, dy)) % 360.0, 1) if speed > 0 else None
    return lat0 + (lat1 - lat0) * f, lon0 + (lon1 - lon0) * f, round(speed, 2), heading
