"""Zones: an exclusion zone entered, a curfew (inclusion) zone left, each within
its schedule, and breaches revealed by late fixes."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from korgoo.domain.decisions import Confidence, Decision
from korgoo.domain.events import Fix
from korgoo.domain.rules import EpisodeKey, Rule
from korgoo.domain.schedule import schedule_active
from korgoo.domain.terms import ZoneSpec
from korgoo.engine.episode import Step, observe
from korgoo.engine.rules.common import PAGING, close, late_episode, paging_step
from korgoo.geo import CompiledZone, Containment

if TYPE_CHECKING:
    from korgoo.engine.monitor import OrderMonitor


class Zone(NamedTuple):
    spec: ZoneSpec
    compiled: CompiledZone
    key: EpisodeKey  # made once, not per fix
    exclusion: bool


def compile_zone(spec: ZoneSpec) -> Zone:
    z = CompiledZone(spec)
    exclusion = z.kind == "exclusion"
    rule = Rule.ZONE_EXCLUSION if exclusion else Rule.ZONE_INCLUSION
    return Zone(spec, z, EpisodeKey(rule, z.zone_id), exclusion)


def removed(m: OrderMonitor, zone_id: str, now: float, out: list[Decision]) -> None:
    for rule in (Rule.ZONE_EXCLUSION, Rule.ZONE_INCLUSION):
        close(m, out, EpisodeKey(rule, zone_id), now, "zone_removed")


def on_position(m: OrderMonitor, fix: Fix, now: float, out: list[Decision]) -> None:
    """A new position of the respondent against each zone of the order."""
    p = m.params
    lat, lon, acc, t = fix.lat, fix.lon, fix.acc, fix.t
    tz = m.terms.timezone
    for spec, z, key, exclusion in m.zones:
        ep = m.episodes.get(key)
        idle = ep is None or (not ep.open and ep.pending is None)
        if exclusion and idle and z.far_outside(lat, lon, acc + p.clear_margin_m):
            continue
        if spec.schedule and not schedule_active(spec.schedule, t, tz):
            if ep is not None and ep.open:
                close(m, out, key, now, "schedule_ended")
            elif ep is not None:
                ep.pending = None
                ep.pending_n = 0
            continue
        level, clear = zone_level(z, exclusion, lat, lon, acc, p.clear_margin_m)
        ep = m.ep(key)
        was_paging = ep.open and ep.confidence in PAGING
        step = observe(ep, level, clear, t, p.probable_fixes, p.probable_seconds, p.clear_seconds)
        if step == Step.NONE:
            continue
        evidence: dict[str, object] = {
            "zone_id": z.zone_id,
            "zone_name": spec.name,
            "signed_distance_m": round(z.signed_distance_m(lat, lon), 1),
            "respondent_fix": [t, lat, lon, acc],
        }
        paging_step(m, out, key, ep, step, now=now, t=t, evidence=evidence, was_paging=was_paging)


def late_fix(m: OrderMonitor, fix: Fix, now: float, out: list[Decision]) -> None:
    """A late fix of the respondent: a zone breach it shows is put on record."""
    tz = m.terms.timezone
    for spec, z, key, exclusion in m.zones:
        if exclusion and z.far_outside(fix.lat, fix.lon, fix.acc):
            continue
        if spec.schedule and not schedule_active(spec.schedule, fix.t, tz):
            continue
        level, _ = zone_level(z, exclusion, fix.lat, fix.lon, fix.acc, 0.0)
        if level in PAGING:
            evidence: dict[str, object] = {
                "zone_id": z.zone_id,
                "zone_name": spec.name,
                "signed_distance_m": round(z.signed_distance_m(fix.lat, fix.lon), 1),
                "respondent_fix": [fix.t, fix.lat, fix.lon, fix.acc],
            }
            late_episode(m, out, key, now=now, t=fix.t, level=level, evidence=evidence)


def zone_level(
    z: CompiledZone, exclusion: bool, lat: float, lon: float, acc: float, margin: float
) -> tuple[Confidence | None, bool]:
    """How surely a fix breaches a zone, and whether it clearly complies.

    Exclusion: inside is a breach, clear when the centre is outside by the margin.
    Inclusion (curfew): outside is a breach, clear when the centre is inside.
    An uncertain fix is probable when its centre is on the breaching side, else
    possible. The exact (slower, for polygons) signed distance is computed only
    when containment alone cannot tell.
    """
    c = z.classify(lat, lon, acc)
    if exclusion:
        if c is Containment.INSIDE:
            return Confidence.CERTAIN, False
        if c is Containment.OUTSIDE and acc >= margin:
            return None, True
        sd = z.signed_distance_m(lat, lon)
        if c is Containment.OUTSIDE:
            return None, sd > margin
        return (Confidence.PROBABLE if sd <= 0.0 else Confidence.POSSIBLE), sd > margin
    if c is Containment.OUTSIDE:
        return Confidence.CERTAIN, False
    if c is Containment.INSIDE:
        return None, True
    sd = z.signed_distance_m(lat, lon)
    return (Confidence.PROBABLE if sd > 0.0 else Confidence.POSSIBLE), sd < 0.0
