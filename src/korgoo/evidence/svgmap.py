"""A map drawn on the server as SVG, without any tile service: tracks, accuracy
circles, zones, breach points, a scale bar and a north arrow.

Positions are projected locally (equirectangular about the map's centre: at the
scale of a town, metres east and north of the centre, off by well under 0.1 %),
so distances on the map are true to its scale bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from korgoo.domain.terms import ZoneSpec

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0  # at the equator; times cos(latitude)
_NICE = (5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    acc: float = 0.0


@dataclass(frozen=True)
class Track:
    points: tuple[Point, ...]
    colour: str
    circles: bool = True  # draw each fix's accuracy circle


@dataclass(frozen=True)
class MapWords:
    north: str  # the letter on the north arrow
    metres: str  # "{n} m"
    kilometres: str  # "{n} km"


@dataclass(frozen=True)
class _Frame:
    lat0: float
    lon0: float
    kx: float  # metres per degree of longitude here
    scale: float  # pixels per metre
    cx: float
    cy: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        east = (lon - self.lon0) * self.kx
        north = (lat - self.lat0) * _M_PER_DEG_LAT
        return self.cx + east * self.scale, self.cy - north * self.scale


def _zone_points(z: ZoneSpec) -> list[Point]:
    g = z.geometry
    coords = g.get("coordinates")
    if g.get("type") == "Point" and isinstance(coords, list | tuple):
        return [Point(float(coords[1]), float(coords[0]), z.radius_m)]
    if g.get("type") == "Polygon" and isinstance(coords, list | tuple) and coords:
        return [Point(float(c[1]), float(c[0])) for c in coords[0]]
    return []


def _frame(points: Sequence[Point], width: float, height: float, pad: float) -> _Frame:
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    lat0 = (min(lats) + max(lats)) / 2
    lon0 = (min(lons) + max(lons)) / 2
    kx = _M_PER_DEG_LON * math.cos(math.radians(lat0))
    east = [abs(p.lon - lon0) * kx + p.acc for p in points]
    north = [abs(p.lat - lat0) * _M_PER_DEG_LAT + p.acc for p in points]
    half_w = max(*east, 50.0)
    half_h = max(*north, 50.0)
    scale = min((width / 2 - pad) / half_w, (height / 2 - pad) / half_h)
    return _Frame(lat0, lon0, kx, scale, width / 2, height / 2)


def _scale_bar(f: _Frame, width: float, height: float, words: MapWords) -> str:
    target = width / 4 / f.scale  # about a quarter of the width, in metres
    metres = max((n for n in _NICE if n <= target), default=_NICE[0])
    px = metres * f.scale
    label = (
        words.kilometres.format(n=f"{metres / 1000:g}")
        if metres >= 1000
        else words.metres.format(n=metres)
    )
    x, y = 16.0, height - 18.0
    return (
        f'<g class="scale"><rect x="{x - 6}" y="{y - 20}" width="{px + 12:.1f}" height="30" '
        'fill="white" opacity="0.8"/>'
        f'<path d="M{x} {y - 6}V{y}H{x + px:.1f}V{y - 6}" stroke="black" fill="none" '
        'stroke-width="2"/>'
        f'<text x="{x + px / 2:.1f}" y="{y - 9}" text-anchor="middle" font-size="11">'
        f"{escape(label)}</text></g>"
    )


def _north_arrow(width: float, words: MapWords) -> str:
    x, y = width - 28.0, 16.0
    return (
        f'<g class="north"><path d="M{x} {y}L{x + 8} {y + 26}L{x} {y + 20}L{x - 8} {y + 26}Z" '
        'fill="black"/>'
        f'<text x="{x}" y="{y + 40}" text-anchor="middle" font-size="12" font-weight="bold">'
        f"{escape(words.north)}</text></g>"
    )


def draw_map(
    tracks: Sequence[Track],
    zones: Sequence[ZoneSpec],
    breaches: Sequence[Point],
    words: MapWords,
    *,
    rings: Sequence[Point] = (),
    width: float = 680.0,
    height: float = 420.0,
) -> str:
    """The map as an `<svg>` element; an empty map (no position) says nothing
    beyond its frame. `rings`: distances to keep (a point and its radius in
    `acc`), drawn dashed and labelled."""
    everything = [p for t in tracks for p in t.points] + list(breaches) + list(rings)
    everything += [p for z in zones for p in _zone_points(z)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        'class="map">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#f4f4ef" stroke="#999"/>',
    ]
    if not everything:
        parts.append("</svg>")
        return "".join(parts)
    f = _frame(everything, width, height, 24.0)
    for z in zones:
        colour = "#c62828" if z.kind == "exclusion" else "#2e7d32"
        pts = _zone_points(z)
        if z.geometry.get("type") == "Point" and pts:
            x, y = f.xy(pts[0].lat, pts[0].lon)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{z.radius_m * f.scale:.1f}" '
                f'fill="{colour}" fill-opacity="0.12" stroke="{colour}" stroke-dasharray="6 3"/>'
            )
        elif pts:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in (f.xy(p.lat, p.lon) for p in pts))
            parts.append(
                f'<polygon points="{d}" fill="{colour}" fill-opacity="0.12" '
                f'stroke="{colour}" stroke-dasharray="6 3"/>'
            )
        if pts:
            x, y = f.xy(pts[0].lat, pts[0].lon)
            # Below the zone, kept inside the frame (about 5.5 px per character).
            half = len(z.name) * 2.75 + 4
            x = min(max(x, half), width - half)
            y += z.radius_m * f.scale + 12
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="{colour}" '
                f'text-anchor="middle">{escape(z.name)}</text>'
            )
    for ring in rings:
        x, y = f.xy(ring.lat, ring.lon)
        r = ring.acc * f.scale
        label = words.metres.format(n=f"{ring.acc:g}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="none" stroke="#555" '
            'stroke-dasharray="3 4" stroke-width="1.2"/>'
            f'<text x="{x:.1f}" y="{max(y - r - 4, 12):.1f}" font-size="10" fill="#555" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for track in tracks:
        xy = [f.xy(p.lat, p.lon) for p in track.points]
        if track.circles:
            parts += [
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{max(p.acc * f.scale, 1.0):.1f}" '
                f'fill="{track.colour}" fill-opacity="0.06" stroke="{track.colour}" '
                'stroke-opacity="0.35" stroke-width="0.6"/>'
                for (x, y), p in zip(xy, track.points, strict=True)
            ]
        if len(xy) > 1:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            parts.append(
                f'<polyline points="{d}" fill="none" stroke="{track.colour}" stroke-width="2"/>'
            )
        parts += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{track.colour}"/>' for x, y in xy
        ]
    for p in breaches:
        x, y = f.xy(p.lat, p.lon)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{max(p.acc * f.scale, 4.0):.1f}" '
            'fill="none" stroke="#b71c1c" stroke-width="1.5"/>'
            f'<path d="M{x - 5:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 5:.1f}M{x - 5:.1f} {y + 5:.1f}'
            f'L{x + 5:.1f} {y - 5:.1f}" stroke="#b71c1c" stroke-width="2.5"/>'
        )
    parts += [_scale_bar(f, width, height, words), _north_arrow(width, words), "</svg>"]
    return "".join(parts)
