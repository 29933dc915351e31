"""The maps draw streets from tiles that Korgoo serves itself: the live map in a
real browser asks its own origin for every tile and nothing anywhere else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from tests.maptiles import BISHKEK, tiles_around, write_pmtiles

from .centre import Centre
from .conftest import sign_in


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    """The centre with a small tiles file around Bishkek (KORGOO_MAP_TILES)."""
    tiles = write_pmtiles(tmp_path / "bishkek.pmtiles", tiles_around(*BISHKEK, radius=6))
    running = Centre(tmp_path / "korgoo.db", settings={"map_tiles": str(tiles)})
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_the_live_map_draws_tiles_from_its_own_origin_only(page: Page, centre: Centre) -> None:
    requested: list[Request] = []

    def record(request: Request) -> None:  # Playwright cannot take a bound builtin
        requested.append(request)

    page.on("request", record)
    sign_in(page, centre)
    expect(page.locator("#alert-queue")).to_be_visible()
    with page.expect_response(
        lambda r: "/tiles/" in r.url and r.status == 200, timeout=10_000
    ) as first:
        page.goto("/map")
    tile = first.value
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    # protomaps-leaflet paints each tile on a canvas in Leaflet's tile pane.
    expect(page.locator("#live-map .leaflet-tile-pane canvas").first).to_be_visible()
    expect(page.locator("#live-map .leaflet-control-attribution")).to_contain_text(
        "участники OpenStreetMap"
    )
    expect(page.locator("#live-map .leaflet-control-attribution a")).to_have_count(0)
    expect(page.locator("#live-map .map-note")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    tiles = [r.url for r in requested if "/tiles/" in r.url]
    assert tiles, "the map asked for no tiles"
    assert all(u.startswith(f"{centre.url}/tiles/") and u.endswith(".mvt") for u in tiles)
    elsewhere = [
        r.url for r in requested if not r.url.startswith((f"{centre.url}/", "data:", "blob:"))
    ]
    assert elsewhere == [], elsewhere
