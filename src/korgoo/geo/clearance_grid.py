"""A coarse grid over a polygon zone telling, per cell, how far every point of it
is from the boundary, so most containment questions need no geometry at all.

Signed distance changes by at most 1 m per metre moved, so a cell whose centre is
d from the boundary has every point at least d - half-diagonal from it, on the
same side. That guaranteed clearance is what each cell stores (0 when the
boundary may cross the cell); only a point whose accuracy disc may reach the
boundary needs the exact distance.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np
import shapely

MAX_CELLS_PER_SIDE = 64  # 4k float32 cells, 16 KB per zone at most
MIN_CELL_M = 1.0
MIN_PAD_M = 200.0  # the grid reaches this far beyond the polygon's bounding box
_FLOAT32_SLACK_M = 0.05  # float32 rounding of clearances up to ~200 km


@dataclass(frozen=True, slots=True)
class ClearanceGrid:
    x0: float  # south-west corner, projected metres
    y0: float
    cells_per_m: float
    nx: int
    ny: int
    pad_m: float  # a point outside the grid is at least this far outside the polygon
    clearance: array[float]  # row-major (y, x): >0 outside by at least, <0 inside by at least


def build_clearance_grid(polygon: shapely.Polygon) -> ClearanceGrid:
    minx, miny, maxx, maxy = polygon.bounds
    pad = max(MIN_PAD_M, 0.1 * max(maxx - minx, maxy - miny))
    x0, y0 = minx - pad, miny - pad
    width, height = maxx - minx + 2 * pad, maxy - miny + 2 * pad
    cell = max(MIN_CELL_M, max(width, height) / MAX_CELLS_PER_SIDE)
    nx, ny = math.ceil(width / cell), math.ceil(height / cell)

    xs = x0 + (np.arange(nx) + 0.5) * cell
    ys = y0 + (np.arange(ny) + 0.5) * cell
    cx, cy = (a.ravel() for a in np.meshgrid(xs, ys))
    distance = shapely.distance(polygon.boundary, shapely.points(cx, cy))
    inside = shapely.contains_xy(polygon, cx, cy)
    slack = cell * math.sqrt(0.5) + _FLOAT32_SLACK_M
    clearance = np.where(distance > slack, distance - slack, 0.0) * np.where(inside, -1.0, 1.0)
    return ClearanceGrid(
        x0=x0,
        y0=y0,
        cells_per_m=1.0 / cell,
        nx=nx,
        ny=ny,
        pad_m=pad - _FLOAT32_SLACK_M,  # leave room for rounding in the cell lookup
        clearance=array("f", clearance.astype(np.float32).tobytes()),
    )
