"""A small PMTiles file of vector tiles for the tests: a few tiles around central
Bishkek at zooms 10-14, each with land ("earth"), a named major road and a
park, in the layers the Protomaps basemap uses (so protomaps-leaflet paints them).
Made with the `pmtiles` package's writer and `mapbox-vector-tile` (the test extra)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import mapbox_vector_tile
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

BISHKEK = (42.8746, 74.5698)  # lat, lon (the console's default centre)
ZOOMS = range(10, 15)
EXTENT = 4096


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The Web-Mercator tile x, y holding the point at zoom z."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)
    return x, y


def vector_tile(z: int, x: int, y: int) -> bytes:
    """An MVT tile (uncompressed) with land, a road across it and a park."""
    e = EXTENT
    layers = [
        {
            "name": "earth",
            "features": [
                {"geometry": f"POLYGON ((0 0, {e} 0, {e} {e}, 0 {e}, 0 0))", "properties": {}}
            ],
        },
        {
            "name": "landuse",
            "features": [
                {
                    "geometry": "POLYGON ((600 600, 1600 600, 1600 1600, 600 1600, 600 600))",
                    "properties": {"kind": "park", "name": "Дубовый парк"},
                }
            ],
        },
        {
            "name": "roads",
            "features": [
                {
                    "geometry": f"LINESTRING (0 {e // 2}, {e} {e // 2})",
                    "properties": {
                        "kind": "major_road",
                        "name": "проспект Чуй",
                        "min_zoom": 10,
                        "tile": f"{z}/{x}/{y}",
                    },
                }
            ],
        },
    ]
    data: bytes = mapbox_vector_tile.encode(
        layers, default_options={"extents": e, "y_coord_down": True}
    )
    return data


def tiles_around(lat: float, lon: float, radius: int = 2) -> list[tuple[int, int, int]]:
    """Tiles within `radius` of the point's tile at each zoom of ZOOMS."""
    out = []
    for z in ZOOMS:
        cx, cy = tile_of(lat, lon, z)
        out += [
            (z, x, y)
            for x in range(cx - radius, cx + radius + 1)
            for y in range(cy - radius, cy + radius + 1)
        ]
    return out


def write_pmtiles(path: Path, tiles: list[tuple[int, int, int]], *, gzipped: bool = True) -> Path:
    """Write `tiles` (z, x, y) into a PMTiles v3 file; returns the path."""
    lat, lon = BISHKEK
    ordered = sorted(tiles, key=lambda t: zxy_to_tileid(*t))
    with path.open("wb") as f:
        writer = Writer(f)
        for z, x, y in ordered:
            data = vector_tile(z, x, y)
            writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(data) if gzipped else data)
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP if gzipped else Compression.NONE,
                "min_lon_e7": int((lon - 0.5) * 1e7),
                "min_lat_e7": int((lat - 0.5) * 1e7),
                "max_lon_e7": int((lon + 0.5) * 1e7),
                "max_lat_e7": int((lat + 0.5) * 1e7),
                "center_zoom": 13,
                "center_lon_e7": int(lon * 1e7),
                "center_lat_e7": int(lat * 1e7),
            },
            {"name": "korgoo-test", "vector_layers": []},
        )
    return path


def bishkek_tiles(path: Path, *, gzipped: bool = True) -> Path:
    return write_pmtiles(path, tiles_around(*BISHKEK), gzipped=gzipped)
