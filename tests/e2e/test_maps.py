"""What the maps show: the alert map opens on the incident with labelled markers;
the live map tells a device switched off from a flat battery and counts the
respondents without signal."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from korgoo.domain.events import Fix, Signal, SignalKind

from .centre import Centre
from .test_console import east_of, enter_home_zone, phone_case, row_of

# The box of the alert's zone (the circle holding the respondent's dot) and of the map.
ZONE_AND_MAP = """() => {
  const map = document.getElementById("alert-map");
  const m = map.getBoundingClientRect();
  const marker = map.querySelector('path.leaflet-interactive[stroke="#fff"]');
  const dot = marker.getBoundingClientRect();
  const x = dot.x + dot.width / 2, y = dot.y + dot.height / 2;
  const zones = [...map.querySelectorAll('path.leaflet-interactive[stroke-dasharray="6 4"]')]
    .map((z) => z.getBoundingClientRect())
    .filter((z) => z.left <= x && x <= z.right && z.top <= y && y <= z.bottom);
  return { map: [m.width, m.height], zone: zones.length ? [zones[0].width, zones[0].height] : null,
           dot: [x - m.x, y - m.y] };
}"""


def test_the_alert_map_opens_on_the_incident_with_labels(console: Page, centre: Centre) -> None:
    page = console
    case = phone_case(centre)
    enter_home_zone(centre, case)
    row_of(page, case).click()
    expect(page).to_have_url(re.compile(r"/alerts/"))
    tag = page.locator("#alert-map .leaflet-tooltip.marker-tag")
    expect(tag).to_have_count(1)
    expect(tag).to_contain_text("Ответчик")  # who, in the page's language, always shown
    page.wait_for_function("() => document.querySelector('#alert-map .leaflet-interactive')")
    page.wait_for_timeout(400)  # the fit's animation
    box = page.evaluate(ZONE_AND_MAP)
    assert box["zone"] is not None, box
    map_w, map_h = box["map"]
    # Zoomed on the respondent and the edge of the zone she entered: that zone
    # fills a good part of the map (fitting every zone of the order, km apart,
    # left it a small circle), and the dot is inside the map.
    assert box["zone"][0] >= 0.4 * map_w or box["zone"][1] >= 0.4 * map_h, box
    dot_x, dot_y = box["dot"]
    assert 0 < dot_x < map_w and 0 < dot_y < map_h, box
    expect(page.locator("#alert-map .map-note")).to_be_visible()  # no tiles here: it says so


def test_the_live_map_shows_a_device_switched_off_as_such(console: Page, centre: Centre) -> None:
    page = console
    case = phone_case(centre)
    lat, lon = east_of(case.home, 3000)  # far from her: nothing but the device to see
    now = time.time()
    device = case.respondent_device
    # The battery runs flat, then the phone says it is switching off.
    centre.engine_input(
        [
            Fix(device, now - 60, now, lat, lon, 10.0, battery=4.0, source="native"),
            Fix(device, now - 30, now, lat, lon, 10.0, battery=3.0, source="native"),
            Signal(device, now - 29, now, SignalKind.POWER_OFF, source="native"),
        ]
    )
    page.locator("#nav-map").click()
    row = page.locator("#live-list tbody tr", has_text=case.number)
    expect(row).to_contain_text("Выключено")
    expect(row).not_to_contain_text("Низкий заряд")
    legend = page.locator("#live-legend")
    expect(legend).to_contain_text("Выключено: 1")
    expect(legend).to_contain_text("Низкий заряд: 0")
