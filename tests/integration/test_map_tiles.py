"""Map tiles served by Korgoo itself from a PMTiles file (KORGOO_MAP_TILES): the
stored tile for a z/x/y the file has, nothing for one it lacks, only for a signed-in
user whose role reads a map; the pages point their maps at this route and at no
outside server."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import mapbox_vector_tile

from korgoo.entry.app import create_app
from korgoo.service.health import Health
from korgoo.settings import Settings
from korgoo.web.tiles import open_tiles
from tests.maptiles import BISHKEK, bishkek_tiles, tile_of, vector_tile

from .api_world import World, world_fixture

__all__ = ["world_fixture"]

MVT = "application/vnd.mapbox-vector-tile"


@asynccontextmanager
async def serving(w: World, tiles: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app built with KORGOO_MAP_TILES=`tiles`."""
    app = create_app(
        w.pipeline, Health(w.pipeline), Settings(map_tiles=tiles), auth_clock=w.auth_clock
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://korgoo.test") as c:
        yield c


def centre_tile(z: int = 13) -> tuple[int, int, int]:
    return (z, *tile_of(*BISHKEK, z))


async def test_a_tile_the_file_has_is_served_as_stored(w: World, tmp_path: Path) -> None:
    path = bishkek_tiles(tmp_path / "bishkek.pmtiles")
    z, x, y = centre_tile()
    stored = open_tiles(path).get(z, x, y)
    assert stored is not None
    async with serving(w, str(path)) as c:
        await w.login("operator", c)
        r = await c.get(f"/tiles/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
        raw = await c.get(f"/tiles/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-type"] == MVT
    assert r.headers["content-encoding"] == "gzip"  # as stored: no work per request
    assert r.headers["cache-control"] == "private, max-age=86400"
    assert r.content == gzip.decompress(stored) == vector_tile(z, x, y)
    road = mapbox_vector_tile.decode(r.content)["roads"]["features"][0]["properties"]
    assert road["tile"] == f"{z}/{x}/{y}"
    # A client that does not take gzip gets the tile unpacked.
    assert raw.status_code == 200 and "content-encoding" not in raw.headers
    assert raw.content == vector_tile(z, x, y)


async def test_a_tile_the_file_lacks_is_no_content(w: World, tmp_path: Path) -> None:
    path = bishkek_tiles(tmp_path / "bishkek.pmtiles")
    z, x, y = centre_tile()
    async with serving(w, str(path)) as c:
        await w.login("supervisor", c)
        beside = await c.get(f"/tiles/{z}/{x + 10}/{y}.mvt")  # beyond the extract
        deeper = await c.get(f"/tiles/15/{x * 4}/{y * 4}.mvt")  # deeper than its max zoom
        outside = await c.get(f"/tiles/{z}/{1 << z}/{y}.mvt")  # not a tile at all
        here = await c.get(f"/tiles/{z}/{x}/{y}.mvt")
    for r in (beside, deeper, outside):
        assert r.status_code == 204 and r.content == b""
    assert here.status_code == 200


async def test_tiles_only_for_a_signed_in_user_who_reads_a_map(w: World, tmp_path: Path) -> None:
    path = bishkek_tiles(tmp_path / "bishkek.pmtiles")
    z, x, y = centre_tile()
    url = f"/tiles/{z}/{x}/{y}.mvt"
    async with serving(w, str(path)) as c:
        anonymous = await c.get(url)
        await w.login("statistics", c)
        figures_only = await c.get(url)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] != MVT
    assert figures_only.status_code == 403 and figures_only.headers["content-type"] != MVT


async def test_an_uncompressed_file_is_served_without_an_encoding(w: World, tmp_path: Path) -> None:
    path = bishkek_tiles(tmp_path / "plain.pmtiles", gzipped=False)
    z, x, y = centre_tile(11)
    async with serving(w, str(path)) as c:
        await w.login("operator", c)
        r = await c.get(f"/tiles/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert r.content == vector_tile(z, x, y)


async def test_pages_draw_the_served_tiles_and_nothing_from_elsewhere(
    w: World, tmp_path: Path
) -> None:
    path = bishkek_tiles(tmp_path / "bishkek.pmtiles")
    async with serving(w, str(path)) as c:
        await w.login("operator", c)
        page = await c.get("/map")
    assert page.status_code == 200
    assert 'data-tiles="/tiles/{z}/{x}/{y}.mvt"' in page.text
    assert 'data-tiles-max-zoom="14"' in page.text
    assert "/static/vendor/protomaps-leaflet/protomaps-leaflet.js" in page.text
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert "connect-src 'self';" in page.headers["content-security-policy"]


async def test_without_a_usable_file_the_maps_keep_the_grid(w: World, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pmtiles"
    broken.write_bytes(b"not a tiles file" * 20)
    for setting in ("", str(broken), str(tmp_path / "missing.pmtiles")):
        async with serving(w, setting) as c:
            await w.login("operator", c)
            page = await c.get("/map")
            r = await c.get("/tiles/13/5792/3014.mvt")
        assert page.status_code == 200, setting
        assert 'data-tiles=""' in page.text, setting
        assert "protomaps-leaflet.js" not in page.text, setting
        assert r.status_code == 404, setting
