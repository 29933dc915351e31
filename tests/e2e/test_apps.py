"""Browser tests of the phone apps against a live centre: a respondent's app and
a protected person's app enrolled on one order, driven by emulated geolocation.

Real Pipeline, real app API, real SQLite; Debian's Chromium at a phone's size.
The approach test saves screenshots of both apps at 390x844 under
test-artifacts/e2e/ (and into docs/screenshots/ with KORGOO_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from korgoo.apps import checkins
from korgoo.domain.terms import DeviceKind
from korgoo.engine.params import RuleParams
from korgoo.store.schema import app_messages, events
from korgoo.store.schema import checkins as checkins_table
from korgoo.web.i18n import gettext

from .apps_harness import Phone, Phones, offset, phone_browser, phones
from .centre import Case, Centre
from .conftest import VIEWPORT, sign_in
from .test_console import row_of
from .test_screenshots import shoot

__all__ = ["phone_browser", "phones"]  # fixtures, used by name

ALERT_WAIT_MS = 20_000
CLEAR_WAIT_MS = 150_000  # the engine waits a minute outside before calling it clear
# The respondent's "clear" is held back two minutes after "leave_now" in production;
# on real time these apps' centre holds it back for less, under a revision of its own
# (the default hold is tested in tests/unit/engine/test_radar.py).
SHORT_HOLD = RuleParams(revision="e2e-short-hold", instruct_hold_s=15.0)


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    running = Centre(tmp_path / "korgoo.db", params=SHORT_HOLD)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@dataclass(frozen=True)
class Pair:
    case: Case
    respondent_id: str
    protected_id: str
    min_distance_m: float
    warning_distance_m: float
    her_place: tuple[float, float]


def pair(centre: Centre, skip: int = 0) -> Pair:
    """An order with a phone respondent and a protected person, and a place for
    her well away from every zone of the order (so only proximity is at stake)."""
    cases = [
        c
        for c in centre.cases()
        if c.respondent_kind is DeviceKind.RESPONDENT_APP and c.victim_device
    ]
    case = cases[skip]
    rec = next(r for r in centre.population.order_records if r.order_id == case.order_id)
    terms = centre.population.terms(case.order_id)
    # North-east of her home: neither coordinate equals one of a zone's.
    place = offset(case.home, 3700, 4300)
    return Pair(
        case,
        rec.respondent_id,
        rec.protected_ids[0],
        terms.min_distance_m,
        terms.warning_distance_m,
        place,
    )


STRIDE_M = 100.0  # per 1.5 s report: a car's pace; a longer leap is set aside as implausible
FAR_M = 300.0  # where he starts: beyond the warning distance


def approach(phone: Phone, towards: tuple[float, float], metres: float, step: int) -> None:
    """The respondent `metres` west of `towards`, a step of jitter each call so
    that the browser reports a new position."""
    phone.move(offset(towards, (step % 3) * 2.0, -metres))


def walk_until(
    phone: Phone,
    towards: tuple[float, float],
    start: float,
    metres: float,
    done: Callable[[], bool],
) -> None:
    """Walk from `start` to `metres` west of `towards`, a report every 1.5 s at
    most `STRIDE_M` apart, then stay there until `done()` holds."""
    deadline = time.monotonic() + CLEAR_WAIT_MS / 1000
    step = 0
    at = start
    while time.monotonic() < deadline:
        at = max(at - STRIDE_M, metres) if at > metres else min(at + STRIDE_M, metres)
        approach(phone, towards, at, step)
        step += 1
        if at == metres and done():
            return
        phone.page.wait_for_timeout(1500)
    raise AssertionError(f"not reached at {metres} m within {CLEAR_WAIT_MS} ms")


def visible(page: Page, selector: str) -> bool:
    return bool(page.locator(selector).is_visible())


def coordinates_in(texts: list[str], point: tuple[float, float]) -> list[str]:
    """Texts that carry either coordinate of `point` to three decimals or more."""
    marks = [f"{v:.3f}" for v in point] + [str(math.trunc(v * 1000) / 1000) for v in point]
    return [t[:200] for t in texts if any(m in t for m in marks)]


def enrolled_pair(phones: Phones, p: Pair) -> tuple[Phone, Phone]:
    her = phones.enrol(p.case.order_id, p.protected_id, "victim_app", p.her_place)
    expect(her.page.locator("#sharing-state")).to_have_attribute("data-state", "paused")
    her.page.locator("#sharing-toggle").click()
    expect(her.page.locator("#sharing-toggle")).to_have_attribute("aria-pressed", "true")
    expect(her.page.locator("#sharing-state")).to_have_attribute("data-state", "on")
    far = offset(p.her_place, 0, -(p.warning_distance_m + FAR_M))
    him = phones.enrol(p.case.order_id, p.respondent_id, "respondent_app", far)
    expect(him.page.locator("#status")).to_have_attribute("data-state", "on")
    return her, him


# -- enrolment and installability ------------------------------------------------------


def test_both_apps_enrol_with_a_code_and_are_installable(phones: Phones, centre: Centre) -> None:
    p = pair(centre)
    her, him = enrolled_pair(phones, p)
    for phone, app in ((her, "victim"), (him, "respondent")):
        page = phone.page
        manifest = page.evaluate(
            "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
        )
        assert manifest["start_url"] == f"/app/{app}"
        assert manifest["scope"] == "/app/"
        assert manifest["display"] == "standalone"
        assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == f"{centre.url}/app/"
        expect(page.locator("#order-end")).not_to_have_text("—")
    # The respondent sees his order's conditions and can call the centre.
    expect(him.page.locator("#conditions li").first).to_be_visible()
    expect(him.page.locator("#call-centre")).to_have_attribute("href", re.compile(r"^tel:\+?\d"))
    expect(her.page.locator("#call-police")).to_have_attribute("href", re.compile(r"^tel:\d"))


def test_a_used_code_is_refused_with_a_message(phones: Phones, centre: Centre) -> None:
    p = pair(centre)
    code = phones.operator.enrolment_code(p.case.order_id, p.protected_id, "victim_app")
    first = phones.browser.new_context(base_url=centre.url)
    try:
        page = first.new_page()
        page.goto(f"/app/enrol?code={code}")
        expect(page).to_have_url(f"{centre.url}/app/victim")
        again = phones.browser.new_context(base_url=centre.url)
        other = again.new_page()
        other.goto(f"/app/enrol?code={code}")
        expect(other.locator("#enrol-error")).not_to_be_empty()
        expect(other).to_have_url(re.compile(r"/app/enrol"))
        again.close()
    finally:
        first.close()


# -- the approach: pre-alert, alert and instruction, all clear; nothing leaks -------------


def test_approach_warns_her_instructs_him_and_never_tells_him_where_she_is(
    phones: Phones, centre: Centre
) -> None:
    p = pair(centre)
    her, him = enrolled_pair(phones, p)
    warning = her.page.locator("#warning")
    expect(him.page.locator("#conditions li").first).to_be_visible()
    expect(her.page.locator("#order-end")).not_to_have_text("—")
    shoot(him.page, "app-respondent")
    shoot(her.page, "app-victim")

    between = (p.min_distance_m + p.warning_distance_m) / 2

    def at_level(level: str) -> Callable[[], bool]:
        return lambda: warning.get_attribute("data-level") == level

    start = p.warning_distance_m + FAR_M
    walk_until(him, p.her_place, start, between, at_level("prealert"))
    expect(warning).to_be_visible()
    expect(her.page.locator("#warning-title")).to_have_text("Он может быть поблизости")
    expect(him.page.locator("#instruction")).to_be_hidden()

    walk_until(him, p.her_place, between, 60, at_level("alert"))
    # Only what has happened: the centre has the alarm; no one has called the police.
    expect(her.page.locator("#warning-body")).to_have_text("Немедленно идите в безопасное место.")
    expect(her.page.locator("#warning-status")).to_have_text(
        "Центр мониторинга получил сигнал тревоги."
    )
    instruction = him.page.locator("#instruction")
    expect(instruction).to_be_visible(timeout=ALERT_WAIT_MS)
    expect(instruction).to_have_attribute("data-code", "leave_now")
    expect(him.page.locator("#instruction-title")).to_have_text("Уходите немедленно")
    shoot(him.page, "app-respondent-instruction")
    shoot(her.page, "app-victim-alert")

    away = p.warning_distance_m + 1000
    walk_until(him, p.her_place, 60, away, at_level("all_clear"))
    expect(her.page.locator("#warning-title")).to_have_text("Опасность миновала")

    # His 'clear' is held back after 'leave_now' (it must not time her).
    def told_clear() -> bool:
        return "leave" not in (instruction.get_attribute("data-code") or "")

    walk_until(him, p.her_place, away, away, told_clear)
    with centre.pipeline.db.connect() as conn:
        sent = conn.scalars(
            sa.select(app_messages.c.payload)
            .where(app_messages.c.device_id == him.device_id())
            .where(app_messages.c.event == "instruction")
            .order_by(app_messages.c.created_at)
        ).all()
    told = [(m["code"], datetime.fromisoformat(m["at"]).timestamp()) for m in sent]
    leave_at = next(at for code, at in told if code == "leave_now")
    clear_at = next(at for code, at in told if code == "clear")
    assert clear_at - leave_at >= SHORT_HOLD.instruct_hold_s, told
    her.page.locator("#warning-dismiss").click()
    her.page.locator("#sharing-toggle").click()
    expect(her.page.locator("#sharing-state")).to_have_attribute("data-state", "paused")
    shoot(her.page, "app-victim-paused")

    # What reached his phone: no position of hers, no distance, no bearing.
    received = him.received()
    assert any("leave_now" in text for text in received), "the instruction was recorded"
    assert coordinates_in(received, p.her_place) == []
    lowered = "\n".join(received).lower()
    assert "distance" not in lowered
    assert "bearing" not in lowered
    # Her app did hear the centre about her own place (her fixes were accepted).
    with centre.pipeline.db.connect() as conn:
        her_fixes = conn.scalar(
            sa.select(sa.func.count())
            .select_from(events)
            .where(events.c.device_id == her.device_id(), events.c.kind == "fix")
        )
    assert her_fixes and her_fixes >= 1


# -- panic with the console open ---------------------------------------------------------


def hold(page: Page, selector: str, ms: int) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(ms)
    page.mouse.up()


@pytest.fixture
def console(phones: Phones, centre: Centre) -> Iterator[Page]:
    """The operator's console on a desktop, signed in, its live stream connected
    (in the phones' browser: one Playwright per test process)."""
    context = phones.browser.new_context(
        base_url=centre.url, viewport=VIEWPORT, locale="ru-RU", timezone_id="Asia/Bishkek"
    )
    page = context.new_page()
    sign_in(page, centre)
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "on")
    try:
        yield page
    finally:
        context.close()


def test_a_long_press_sends_an_sos_that_reaches_the_queue_as_p1(
    phones: Phones, centre: Centre, console: Page
) -> None:
    p = pair(centre, skip=1)
    her = phones.enrol(p.case.order_id, p.protected_id, "victim_app", p.her_place)
    page = her.page
    page.locator("#silent-mode").check()

    hold(page, "#panic", 500)  # a short press (a pocket) sends nothing
    page.wait_for_timeout(1500)
    expect(row_of(console, p.case)).to_have_count(0)

    hold(page, "#panic", 1600)
    held = time.monotonic()
    row = row_of(console, p.case).first
    expect(row).to_be_visible(timeout=2000)
    reached_s = time.monotonic() - held
    expect(row).to_have_attribute("data-priority", "P1")
    expect(page.locator("#panic-confirmed")).to_be_visible()
    expect(page.locator("#panic-confirmed")).to_have_text(
        "Центр мониторинга получил сигнал тревоги."
    )
    assert reached_s < 2.0, reached_s
    alerts = phones.operator.alerts(p.case.order_id)
    panic = [a for a in alerts if a["rule"] == "panic"]
    assert [a["priority"] for a in panic] == ["P1"]
    # An SOS is held active until an operator acknowledges it; then her phone says so.
    assert panic[0]["active"] and not panic[0]["acked"]
    expect(row.locator(".pill-active")).to_be_visible()
    acked = phones.operator.client.post(f"/api/v1/alerts/{panic[0]['alert_key']}/acknowledge")
    assert acked.status_code == 200, acked.text
    expect(page.locator("#panic-confirmed")).to_have_text(
        "Оператор занимается вашим сигналом тревоги."
    )


# -- offline: fixes queued with their device times, delivered later -----------------------


def test_the_respondent_app_queues_fixes_offline_and_sends_them_with_their_times(
    phones: Phones, centre: Centre
) -> None:
    p = pair(centre, skip=2)
    him = phones.enrol(p.case.order_id, p.respondent_id, "respondent_app", p.her_place)
    page = him.page
    expect(page.locator("#queue-size")).to_have_text("0")
    device = him.device_id()

    him.set_offline(True)
    expect(page.locator("#link")).to_have_attribute("data-state", "off", timeout=15_000)
    for i in range(3):
        him.move(offset(p.her_place, 200 * (i + 1), -9000))
        page.wait_for_timeout(1200)
    expect(page.locator("#queue-size")).not_to_have_text(re.compile(r"^[0-2]$"))
    queued = page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("korgoo-app", 1);
          open.onsuccess = () => {
            const get = open.result.transaction("outbox").objectStore("outbox").getAll();
            get.onsuccess = () => resolve(get.result);
          };
        })"""
    )
    offline_fixes = {round(m["t"], 3) for m in queued if m["type"] == "fix"}
    assert len(offline_fixes) >= 3
    page.wait_for_timeout(2000)  # the times of the fixes lie well before their delivery

    him.set_offline(False)
    expect(page.locator("#queue-size")).to_have_text("0", timeout=15_000)
    with centre.pipeline.db.connect() as conn:
        stored = conn.execute(
            sa.select(events.c.t, events.c.at).where(
                events.c.device_id == device, events.c.kind == "fix"
            )
        ).all()
    stored_times = {round(t, 3): at for t, at in stored}
    assert offline_fixes <= set(stored_times)
    assert all(stored_times[t] - t > 2.0 for t in offline_fixes)


# -- identity check-in --------------------------------------------------------------------


DEADLINE_MARGIN_S = 5.0  # a missed check-in's alert is listed within this of its due time


@pytest.fixture
def short_checkins(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """A check-in answered within 20 s instead of 10 minutes, so that a missed one
    shows within the test."""
    monkeypatch.setattr(checkins, "ANSWER_WITHIN_S", 20.0)
    yield 20.0


def ask_checkin(centre: Centre, order_id: str) -> float:
    """A check-in planned for now, sent by a round of the centre's scheduler run
    at once (its own rounds come every 15 s); returns when it is due."""
    now = time.time()
    day = time.strftime("%Y-%m-%d", time.gmtime(now + 6 * 3600))  # Asia/Bishkek
    with centre.pipeline.db.begin() as conn:
        conn.execute(sa.delete(checkins_table).where(checkins_table.c.order_id == order_id))
        conn.execute(
            sa.insert(checkins_table).values(
                id=f"e2e-{int(now)}", order_id=order_id, day=day, send_at=now
            )
        )
    centre.run(centre.apps.scheduler.run_once)
    with centre.pipeline.db.connect() as conn:
        due = conn.scalar(
            sa.select(checkins_table.c.due_at).where(checkins_table.c.order_id == order_id)
        )
    assert due is not None, "the check-in was sent"
    return float(due)


def test_a_missed_checkin_raises_its_alert(
    phones: Phones, centre: Centre, short_checkins: float
) -> None:
    p = pair(centre, skip=3)
    him = phones.enrol(p.case.order_id, p.respondent_id, "respondent_app", p.her_place)
    ask_checkin(centre, p.case.order_id)
    dialog = him.page.locator("#checkin")
    expect(dialog).to_be_visible(timeout=30_000)
    expect(him.page.locator("#checkin-countdown")).to_have_text(re.compile(r"^0:[0-2]\d$"))
    expect(him.page.locator("#checkin-message")).to_have_text(
        "Слишком поздно: проверка пропущена. Центр уведомлён.", timeout=25_000
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rules = {a["rule"] for a in phones.operator.alerts(p.case.order_id)}
        if "checkin.missed" in rules:
            break
        time.sleep(0.5)
    assert "checkin.missed" in rules


def test_a_checkin_photo_in_time_raises_no_alert(
    phones: Phones, centre: Centre, short_checkins: float
) -> None:
    p = pair(centre, skip=3)
    him = phones.enrol(p.case.order_id, p.respondent_id, "respondent_app", p.her_place)
    due = ask_checkin(centre, p.case.order_id)
    page = him.page
    expect(page.locator("#checkin")).to_be_visible(timeout=30_000)
    expect(page.locator("#checkin-video")).not_to_have_js_property("videoWidth", 0)
    page.locator("#checkin-take").click()
    expect(page.locator("#checkin-preview")).to_be_visible()
    page.locator("#checkin-send").click()
    expect(page.locator("#checkin")).to_be_hidden()
    expect(page.locator("#status-text")).to_have_text("Фото для проверки отправлено. Спасибо.")
    # Past the due time, and the engine's deadline timer (ticked every second) with it.
    page.wait_for_timeout(max(0.0, due + DEADLINE_MARGIN_S - time.time()) * 1000)
    assert "checkin.missed" not in {a["rule"] for a in phones.operator.alerts(p.case.order_id)}


# -- the order's conditions and its end -------------------------------------------------


def test_no_contact_is_among_his_conditions_and_both_apps_say_the_order_was_revoked(
    phones: Phones, centre: Centre
) -> None:
    p = pair(centre, skip=4)
    client = phones.operator.client
    varied = client.post(
        f"/api/v1/orders/{p.case.order_id}/variations",
        json={"changes": {"no_contact": True}, "reason": "the court forbade any contact"},
    )
    assert varied.status_code == 201, varied.text
    her, him = enrolled_pair(phones, p)
    no_contact = gettext("ru", "No contact with the protected person by any means")
    expect(him.page.locator("#conditions")).to_contain_text(no_contact)

    ended = client.post(
        f"/api/v1/orders/{p.case.order_id}/end", json={"reason": "revoked", "revoked": True}
    )
    assert ended.status_code == 201, ended.text
    revoked = gettext("ru", "The order was revoked on {date}. Monitoring has stopped.")
    before, after = revoked.split("{date}")
    year = str(time.localtime().tm_year)
    for phone in (her, him):
        expect(phone.page.locator("#order-over")).to_be_visible()
        text = phone.page.locator("#order-over-text")
        expect(text).to_contain_text(before.strip())
        expect(text).to_contain_text(after.strip())
        expect(text).to_contain_text(year)
        expect(phone.page.locator("#main")).to_be_hidden()
    # Reopened after its credential was taken back, the phone still says so.
    him.page.reload()
    expect(him.page.locator("#order-over-text")).to_contain_text(before.strip())
