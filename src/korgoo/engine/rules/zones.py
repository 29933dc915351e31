"""Zones: an exclusion zone entered, a curfew (inclusion) zone left, each within
its schedule, and breaches revealed by late fixes."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from korgoo.domain.decisions import Decision
from korgoo.domain.events import Fix
from korgoo.domain.rules import EpisodeKey, Rule
from korgoo.domain.schedule import zone_in_force
from korgoo.domain.terms import ZoneSpec
from korgoo.engine.confidence import Sigma, cleared, fix_sigma, level_of, party_sigma
from korgoo.engine.episode import Step, observe
from korgoo.engine.rules.common import PAGING, close, idle, late_episode, paging_step
from korgoo.engine.track import STILL_MPS
from korgoo.geo import CompiledZone, Containment, prob_beyond

if TYPE_CHECKING:
    from korgoo.engine.monitor import OrderMonitor
    from korgoo.engine.params import RuleParams


class Zone(NamedTuple):
    spec: ZoneSpec
    compiled: CompiledZone
    key: EpisodeKey  # made once, not per fix
    exclusion: bool


# A respondent outside every zone's box widened by this is settled without
# looking at any zone, while all of them are quiet (see `quiet_box`).
BOX_M = 1_000.0
# (lat_min, lat_max, lon_min, lon_max, largest accuracy the box settles)
Box = tuple[float, float, float, float, float]


def compile_zone(spec: ZoneSpec) -> Zone:
    z = CompiledZone(spec)
    exclusion = z.kind == "exclusion"
    rule = Rule.ZONE_EXCLUSION if exclusion else Rule.ZONE_INCLUSION
    return Zone(spec, z, EpisodeKey(rule, z.zone_id), exclusion)


def removed(m: OrderMonitor, zone_id: str, now: float, out: list[Decision]) -> None:
    for rule in (Rule.ZONE_EXCLUSION, Rule.ZONE_INCLUSION):
        close(m, out, EpisodeKey(rule, zone_id), now, "zone_removed")


def bounds(zones: list[Zone], p: RuleParams) -> Box | None:
    """One box round all of an order's zones, widened by BOX_M, or None where it
    cannot settle anything: an inclusion zone (left, not entered, is the breach)
    or a box that would reach past the antimeridian."""
    if not zones or any(not z.exclusion for z in zones):
        return None
    boxes = [b for b in (z.compiled.box(BOX_M) for z in zones) if b is not None]
    if len(boxes) < len(zones):
        return None
    lat_min, lat_max, lon_min, lon_max = zip(*boxes, strict=True)
    # `on_position` skips a zone beyond 3 accuracies and the clear margin.
    return min(lat_min), max(lat_max), min(lon_min), max(lon_max), (BOX_M - p.clear_margin_m) / 3.0


def quiet_box(m: OrderMonitor) -> Box | None:
    """The order's zone box while no zone episode is open or pending, else None.
    Outside it, with his accuracy within its bound, every zone is far and idle:
    `on_position` would do nothing, so the monitor need not call it. An episode
    opens or starts pending only in `on_position`, which sets this again."""
    box = m.zone_bounds
    if box is None or not idle(m.episodes, (z.key for z in m.zones)):
        return None
    return box


def on_position(m: OrderMonitor, fix: Fix, now: float, out: list[Decision]) -> None:
    """The respondent's position (his track's estimate: a multipath leap of a
    still device is discounted there) against each zone of the order."""
    _evaluate(m, fix, now, out)
    m.zone_box = quiet_box(m)


def _evaluate(m: OrderMonitor, fix: Fix, now: float, out: list[Decision]) -> None:
    p = m.params
    r = m.respondent
    lat, lon, acc, t = r.lat, r.lon, r.acc, fix.t
    far = 3.0 * acc + p.clear_margin_m
    episodes = m.episodes
    tz = m.terms.timezone
    sig: Sigma | None = None
    for spec, z, key, exclusion in m.zones:
        ep = episodes.get(key)
        quiet = ep is None or (not ep.open and ep.pending is None)
        if exclusion and quiet and z.far_outside(lat, lon, far):
            continue
        if (spec.schedule or spec.exceptions) and not zone_in_force(spec, t, tz):
            if ep is not None and ep.open:
                close(m, out, key, now, "schedule_ended")
            elif ep is not None:
                ep.pending = None
                ep.pending_n = 0
            continue
        if sig is None:
            sig = party_sigma(r, 0.0, p)
        prob, sd = zone_prob(z, exclusion, lat, lon, sig.sigma)
        tight = sig.moving
        level = level_of(prob, sig.coarse, tight, p)
        ep = m.ep(key)
        was_paging = ep.open and ep.confidence in PAGING
        clear = cleared(ep, level, sig.coarse, prob, t, p)
        # An estimate a run of agreeing fixes just moved is sustained already.
        k, hold = (1, 0.0) if r.backed else (p.probable_fixes, p.probable_seconds)
        step = observe(ep, level, clear, t, k, hold, p.clear_seconds)
        if step == Step.NONE:
            continue
        evidence: dict[str, object] = {
            "zone_id": z.zone_id,
            "zone_name": spec.name,
            "signed_distance_m": round(z.signed_distance_m(lat, lon) if sd is None else sd, 1),
            "probability": round(prob, 3),
            "sigma_m": round(sig.sigma, 1),
            "respondent_fix": [t, lat, lon, acc],
        }
        if sig.discounted:
            evidence["discounted"] = [
                {"party": "respondent", "reason": why} for why in sig.discounted
            ]
        paging_step(m, out, key, ep, step, now=now, t=t, evidence=evidence, was_paging=was_paging)


def late_fix(m: OrderMonitor, fix: Fix, now: float, out: list[Decision]) -> None:
    """A late fix of the respondent: a zone breach it shows is put on record."""
    tz = m.terms.timezone
    for spec, z, key, exclusion in m.zones:
        if exclusion and z.far_outside(fix.lat, fix.lon, fix.acc):
            continue
        if (spec.schedule or spec.exceptions) and not zone_in_force(spec, fix.t, tz):
            continue
        p = m.params
        moving = fix.speed is not None and fix.speed >= STILL_MPS
        prob, _ = zone_prob(z, exclusion, fix.lat, fix.lon, fix_sigma(fix.acc, fix.speed, False, p))
        level = level_of(prob, fix.acc >= p.cell_accuracy_m, moving, p)
        if level in PAGING:
            evidence: dict[str, object] = {
                "zone_id": z.zone_id,
                "zone_name": spec.name,
                "signed_distance_m": round(z.signed_distance_m(fix.lat, fix.lon), 1),
                "probability": round(prob, 3),
                "respondent_fix": [fix.t, fix.lat, fix.lon, fix.acc],
            }
            late_episode(m, out, key, now=now, t=fix.t, level=level, evidence=evidence)


def zone_prob(
    z: CompiledZone, exclusion: bool, lat: float, lon: float, sigma: float
) -> tuple[float, float | None]:
    """Probability that a position (per-axis `sigma`) breaches a zone, and the
    signed distance when it was needed. The boundary is taken as straight across
    the spread; containment of the 4-sigma disc settles most fixes without the
    exact (slower, for polygons) signed distance."""
    c = z.classify(lat, lon, 4.0 * sigma)
    if c is Containment.INSIDE:
        return (1.0 if exclusion else 0.0), None
    if c is Containment.OUTSIDE:
        return (0.0 if exclusion else 1.0), None
    sd = z.signed_distance_m(lat, lon)
    return prob_beyond(-sd if exclusion else sd, sigma), sd
