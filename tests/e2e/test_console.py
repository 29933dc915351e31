"""The operator's console in a real browser, against a live monitoring centre."""

from __future__ import annotations

import math
import re
import time
from urllib.parse import quote

from playwright.sync_api import Locator, Page, expect

from korgoo.domain.terms import DeviceKind

from .centre import OPERATOR, OPERATOR_NAME, Case, Centre, Report
from .conftest import sign_in


def test_login_needs_the_right_one_time_code(page: Page, centre: Centre) -> None:
    code = centre.totp()
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"
    sign_in(page, centre, totp=wrong)
    # Said in the page's language (Russian by default), not the server's English.
    expect(page.locator("#login-error")).to_have_text(
        "Неверное имя пользователя, пароль или одноразовый код."
    )
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in(page, centre)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(page.locator(".who-name")).to_have_text(OPERATOR_NAME)


M_PER_DEG_LAT = 111_045.0
ZONE_RULE_RU = "Вход в запретную зону"
PANIC_RULE_RU = "Тревожная кнопка"


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    lat, lon = point
    return lat, lon + metres / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def phone_case(centre: Centre, skip: int = 0) -> Case:
    """An order whose respondent runs the phone app (it reports over OsmAnd)."""
    phones = [c for c in centre.cases() if c.respondent_kind is DeviceKind.RESPONDENT_APP]
    return phones[skip]


def reports(positions: list[tuple[float, float]], ages_s: list[float]) -> list[Report]:
    now = time.time()
    return [
        {"lat": lat, "lon": lon, "timestamp": int(now - age), "batt": 81}
        for (lat, lon), age in zip(positions, ages_s, strict=True)
    ]


def enter_home_zone(centre: Centre, case: Case) -> None:
    """The respondent's phone reports four positions at the protected person's
    home, 112 to 78 s ago: a still phone must dwell 30 s before it pages (recent
    enough to be live, not late past 120 s; early enough that leaving can take
    the minute the engine waits before calling it clear)."""
    centre.phone_reports(case.respondent_device, reports([case.home] * 4, [112, 100, 90, 78]))


def leave_home_zone(centre: Centre, case: Case) -> None:
    """Three positions 400 m away over the last 70 s: clearly out for over a
    minute, reached at a car's pace (a faster leap is set aside as implausible)."""
    away = east_of(case.home, 400)
    centre.phone_reports(case.respondent_device, reports([away] * 3, [70, 40, 5]))


def row_of(page: Page, case: Case) -> Locator:
    return page.locator(".alert-row", has_text=case.number)


def test_a_zone_crossing_appears_in_the_queue_without_reload(console: Page, centre: Centre) -> None:
    page = console
    page.evaluate("window.notReloaded = true")
    case = phone_case(centre)
    expect(row_of(page, case)).to_have_count(0)

    enter_home_zone(centre, case)

    row = row_of(page, case)
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-priority", "P2")
    expect(row).to_contain_text(ZONE_RULE_RU)
    expect(row).to_contain_text("P2")
    expect(row.locator(".sla-countdown")).not_to_be_empty()
    assert page.evaluate("window.notReloaded") is True


def test_a_victim_sos_is_a_p1_pinned_in_the_banner(console: Page, centre: Centre) -> None:
    page = console
    zone_case = phone_case(centre)
    enter_home_zone(centre, zone_case)
    expect(row_of(page, zone_case)).to_have_count(1)
    expect(page.locator("#p1-banner")).to_be_hidden()

    sos_case = next(c for c in centre.cases() if c.victim_device and c != zone_case)
    assert sos_case.victim_device is not None
    where = east_of(sos_case.home, 2500)
    sos = reports([where], [2])[0] | {"alarm": "sos"}
    centre.phone_reports(sos_case.victim_device, [sos])

    p1 = row_of(page, sos_case)
    expect(p1).to_have_attribute("data-priority", "P1")
    expect(p1).to_contain_text(PANIC_RULE_RU)
    expect(page.locator(".alert-row").first).to_have_attribute("data-priority", "P1")
    banner = page.locator("#p1-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(sos_case.number)
    banner.locator(".p1-item", has_text=sos_case.number).click()
    expect(page.locator("#alert-title")).to_contain_text(PANIC_RULE_RU)
    expect(page.locator("#p1-banner")).to_be_visible()  # on every page while open


# The centre of the respondent's marker (a white-ringed dot) lies within the box
# of one of the zones (dashed outlines) drawn by Leaflet as SVG paths.
MARKER_IN_A_ZONE = """() => {
  const map = document.getElementById("alert-map");
  const marker = map.querySelector('path.leaflet-interactive[stroke="#fff"]');
  if (!marker) return false;
  const m = marker.getBoundingClientRect();
  const x = m.x + m.width / 2, y = m.y + m.height / 2;
  const zones = map.querySelectorAll('path.leaflet-interactive[stroke-dasharray="6 4"]');
  return [...zones].some((zone) => {
    const z = zone.getBoundingClientRect();
    return z.left <= x && x <= z.right && z.top <= y && y <= z.bottom;
  });
}"""


def timeline_kinds(page: Page) -> list[str]:
    kinds = page.locator("#timeline .timeline-item").evaluate_all(
        "items => items.map(i => i.dataset.kind)"
    )
    return [str(k) for k in kinds]


def test_an_operator_handles_a_zone_alert_from_open_to_resolved(
    console: Page, centre: Centre
) -> None:
    page = console
    case = phone_case(centre)
    enter_home_zone(centre, case)
    row = row_of(page, case)
    row.click()

    expect(page).to_have_url(re.compile(r"/alerts/"))
    expect(page.locator("#alert-title")).to_contain_text(ZONE_RULE_RU)
    expect(page.locator("#alert-map path.leaflet-interactive").first).to_be_visible()
    page.wait_for_function(MARKER_IN_A_ZONE)
    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text("zone.exclusion")
    expect(evidence).to_contain_text(case.home_zone_name)
    expect(evidence).to_contain_text(case.number)
    timeline = page.locator("#timeline")
    expect(timeline.locator('[data-kind="raised"]')).to_have_count(1)

    page.locator("#ack").click()
    acked = timeline.locator('[data-kind="acknowledged"]')
    expect(acked).to_contain_text(OPERATOR)
    expect(page.locator("#ack")).to_be_disabled()

    page.locator("#log-call").click()
    page.locator("#call-party").select_option("respondent")
    page.locator("#call-outcome").select_option("reached")
    page.locator("#call-note").fill("Told to leave the protected person's street at once")
    page.locator("#call-submit").click()
    call = timeline.locator('[data-kind="call_logged"]')
    expect(call).to_contain_text(OPERATOR)
    expect(call).to_contain_text("leave the protected person's street")

    leave_home_zone(centre, case)
    expect(timeline.locator('[data-kind="returned_to_normal"]')).to_have_count(1)

    page.locator("#resolve").click()
    page.locator("#resolve-outcome").select_option("confirmed_violation")
    page.locator("#resolve-note").fill("Respondent entered the home zone and left after the call")
    page.locator("#resolve-submit").click()
    resolved = timeline.locator('[data-kind="resolved"]')
    expect(resolved).to_contain_text(OPERATOR)
    expect(resolved).to_contain_text("left after the call")
    expect(page.locator("#resolve")).to_be_disabled()

    kinds = [k for k in timeline_kinds(page) if k != "updated"]
    assert kinds == ["raised", "acknowledged", "call_logged", "returned_to_normal", "resolved"]

    page.locator("#nav-queue").click()
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(row_of(page, case)).to_have_count(0)


NAV_ALERTS = {"ru": "Тревоги", "ky": "Коркунуч белгилери", "en": "Alerts"}


def test_the_language_switch_changes_the_page_text(console: Page) -> None:
    page = console
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#nav-queue")).to_have_text(NAV_ALERTS["ru"])
    for language in ("en", "ky", "ru"):
        page.locator("#language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#nav-queue")).to_have_text(NAV_ALERTS[language])
        expect(page.locator("#live-status")).to_have_attribute("data-state", "on")
    page.locator("#language").select_option("ky")
    expect(page.locator("#nav-queue")).to_have_text(NAV_ALERTS["ky"])
    page.goto("/map")  # the choice is kept on the user, not only on this page
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    expect(page.locator("#nav-map")).to_have_text("Түз карта")


def test_the_queue_works_from_the_keyboard(console: Page, centre: Centre) -> None:
    page = console
    first, second = phone_case(centre), phone_case(centre, skip=1)
    enter_home_zone(centre, first)
    expect(row_of(page, first)).to_have_count(1)
    enter_home_zone(centre, second)
    expect(page.locator(".alert-row")).to_have_count(2)
    rows = page.locator(".alert-row")
    keys = rows.evaluate_all("rows => rows.map(r => r.dataset.key)")

    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile("/alerts/" + re.escape(quote(keys[1], safe=""))))
    expect(page.locator("#evidence")).to_contain_text(second.number)
    page.keyboard.press("a")  # the alert view's shortcut to acknowledge
    expect(page.locator('#timeline [data-kind="acknowledged"]')).to_have_count(1)
