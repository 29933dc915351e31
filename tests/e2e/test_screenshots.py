"""Screenshots of the console on a busy moment of the pilot: the queue, an alert
being handled, its case and the live map, at 1600x1000.

Every run saves them under test-artifacts/e2e/; with KORGOO_UPDATE_SCREENSHOTS=1
they also replace the set in docs/screenshots/ that the README shows.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from urllib.parse import quote

from playwright.sync_api import Page, expect

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.terms import DeviceKind

from .centre import Case, Centre
from .conftest import ARTEFACTS, REPO
from .test_console import east_of, enter_home_zone, reports, row_of

DOCS = REPO / "docs" / "screenshots"


SAFE_NOTE = "Защищаемое лицо в безопасности, наряд полиции выехал"
HOME_AGE_S = 115  # before every incident below, still recent enough to be live


def respondent_home(centre: Centre, case: Case) -> tuple[float, float]:
    rec = next(r for r in centre.population.order_records if r.order_id == case.order_id)
    home = centre.population.subject(rec.respondent_id).routine.home
    return home.lat, home.lon


def everyone_reports_from_home(centre: Centre) -> None:
    """Each respondent's device reports once from home: phones over OsmAnd,
    bracelets into the engine's input (they speak a TCP protocol)."""
    t = time.time() - HOME_AGE_S
    bracelets = []
    for case in centre.cases():
        home = respondent_home(centre, case)
        if case.respondent_kind is DeviceKind.BRACELET:
            bracelets.append(Fix(case.respondent_device, t, t, *home, 8.0))
        else:
            centre.phone_reports(case.respondent_device, reports([home], [HOME_AGE_S]))
    centre.engine_input(bracelets)


def incidents(centre: Centre) -> list[Case]:
    """A zone entry by a phone and by a bracelet, a victim's SOS, a respondent
    too close to the protected person, a phone running low, a strap opened.
    Returns the cases, the phone's zone entry first."""
    cases = centre.cases()
    phones = [c for c in cases if c.respondent_kind is DeviceKind.RESPONDENT_APP]
    bracelets = [c for c in cases if c.respondent_kind is DeviceKind.BRACELET]
    zone_phone, zone_bracelet, strapped = phones[0], bracelets[0], bracelets[2]
    sos, near = [c for c in phones if c.victim_device and c != zone_phone][:2]
    low = next(c for c in phones if c not in (zone_phone, sos, near))
    assert sos.victim_device is not None and near.victim_device is not None

    enter_home_zone(centre, zone_phone)
    t = time.time()
    bracelet = zone_bracelet.respondent_device
    # Still devices dwell 30 s before they page: positions over 40 s.
    in_zone = [Fix(bracelet, t - s, t - s, *zone_bracelet.home, 8.0) for s in (80, 60, 40)]
    strap = Signal(strapped.respondent_device, t - 20, t - 20, SignalKind.STRAP_OPEN)
    centre.engine_input([*in_zone, strap])
    panic = reports([east_of(sos.home, 2500)], [5])[0] | {"alarm": "sos"}
    centre.phone_reports(sos.victim_device, [panic])
    meeting = east_of(near.home, 3000)
    centre.phone_reports(near.victim_device, reports([meeting], [60]))
    centre.phone_reports(near.respondent_device, reports([east_of(meeting, 60)] * 3, [50, 30, 10]))
    battery = reports([respondent_home(centre, low)], [3])[0] | {"batt": 12}
    centre.phone_reports(low.respondent_device, [battery])
    return [zone_phone, zone_bracelet, strapped, sos, near, low]


def shoot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=path)
    if os.environ.get("KORGOO_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


def test_screenshots_of_a_busy_console(console: Page, centre: Centre) -> None:
    page = console
    everyone_reports_from_home(centre)
    involved = incidents(centre)
    for case in involved:
        expect(row_of(page, case).first).to_be_visible()
    expect(page.locator(".alert-row").first).to_have_attribute("data-priority", "P1")
    shoot(page, "queue")

    zone = involved[0]
    row_of(page, zone).click()
    expect(page.locator("#alert-map path.leaflet-interactive").nth(2)).to_be_attached()
    page.locator("#ack").click()
    page.locator("#log-call").click()
    page.locator("#call-party").select_option("protected")
    page.locator("#call-outcome").select_option("reached")
    page.locator("#call-note").fill(SAFE_NOTE)
    page.locator("#call-submit").click()
    expect(page.locator('#timeline [data-kind="call_logged"]')).to_have_count(1)
    expect(page.locator("#toast")).not_to_have_class(re.compile(r"\bshow\b"))
    shoot(page, "alert")

    page.locator("#alert-summary a", has_text=zone.number).click()  # the alert's order
    expect(page).to_have_url(re.compile(f"/cases/{re.escape(quote(zone.order_id))}$"))
    expect(page.locator("#versions li").first).to_be_visible()
    expect(page.locator("#case-map path.leaflet-interactive").first).to_be_attached()
    expect(page.locator("#case-title")).to_contain_text(zone.number)
    shoot(page, "case")

    page.locator("#nav-map").click()
    expect(page).to_have_url(re.compile(r"/map$"))
    expect(page.locator("#live-list tbody tr")).to_have_count(len(centre.cases()))
    shoot(page, "live-map")
