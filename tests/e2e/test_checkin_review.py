"""Identity check-in review in a browser: the operator sees the check-in photo
beside the reference photo, rejects it with a reason, and the rejection is an
alert in the queue and a line on the order's record."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from korgoo.domain.terms import DeviceKind
from korgoo.store.checkins import load, mark_sent, plan_day, record_photo
from korgoo.store.registry import set_photo

from .centre import Centre
from .conftest import assert_fits

# A minimal JPEG: a photo as far as the review is concerned.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"


def a_checkin_photo(centre: Centre, folder: Path) -> tuple[str, str]:
    """A check-in sent to a respondent's app and answered with a photo, and a
    reference photo on his record. Returns the order's id and number."""
    case = next(c for c in centre.cases() if c.respondent_kind is DeviceKind.RESPONDENT_APP)
    terms = centre.population.terms(case.order_id)
    db, now = centre.pipeline.db, time.time()
    with db.begin() as conn:
        plan_day(conn, case.order_id, time.strftime("%Y-%m-%d"), [now - 300])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "reference.jpg").write_bytes(JPEG)
        set_photo(conn, terms.respondent.person_id, str(folder / "reference.jpg"), at=now)
    # The centre's own scheduler may have planned the day's check-ins too.
    (checkin,) = [c for c in load(db, order_id=case.order_id) if c.send_at == now - 300]
    mark_sent(db, checkin.id, now - 300, now + 300)
    (folder / "checkin.jpg").write_bytes(JPEG)
    record_photo(db, checkin.id, str(folder / "checkin.jpg"), now - 200, case.respondent_device)
    return case.order_id, case.number


def test_the_operator_rejects_a_check_in_photo_and_an_alert_follows(
    console: Page, centre: Centre, tmp_path: Path
) -> None:
    order_id, number = a_checkin_photo(centre, tmp_path)
    page = console
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.locator("#nav-checkins").click()
    expect(page.locator("main")).to_have_attribute("data-loaded", "1")
    expect(page.locator("h1")).to_have_text("Отметки личности на проверку")
    review = page.locator("article.review")
    expect(review).to_have_count(1)  # only this photo came
    expect(review.locator("h2")).to_contain_text(number)
    for img in (review.locator(".review-photo"), review.locator(".review-reference img")):
        expect(img).to_be_visible()
    assert_fits(page)

    reject = review.locator("button[value=rejected]")
    expect(reject).to_contain_text("отклонить")
    reject.click()
    expect(review.locator(".form-error")).to_have_text("Укажите, почему фото отклонено.")
    review.locator("textarea").fill("Другой мужчина на фото")
    reject.click()
    expect(page.locator(".empty")).to_have_text("Нет фото отметок, ожидающих проверки.")

    page.locator("#nav-queue").click()
    row = page.locator("#alert-queue tr", has_text="Отметка личности отклонена")
    expect(row).to_have_count(1)
    page.goto(f"/cases/{order_id}")
    checkins = page.locator("#case-checkins tbody tr")
    expect(checkins).to_have_count(1)
    expect(checkins.first).to_contain_text("Отклонено")
    expect(checkins.first).to_contain_text("operator")
