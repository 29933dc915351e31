"""Identity check-ins: planned at random times between 08:00 and 22:00 in
Bishkek, sent to the respondent's app with a CheckinDue to the engine; a photo
before the due time is the check-in, none raises checkin.missed."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from korgoo.apps.checkins import ANSWER_WITHIN_S, local_day, plan_times
from korgoo.store import app_records as records
from korgoo.store.checkins import Checkin, load
from korgoo.store.schema import events

from ..unit.engine.conftest import T0
from .api_world import World, world_fixture
from .test_apps_world import Phone, apps_of, enrol, logged_in

__all__ = ["world_fixture"]
BISHKEK = ZoneInfo("Asia/Bishkek")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 8 + b"\xff\xd9"


def test_plan_times_fall_between_eight_and_ten_local() -> None:
    day = local_day(T0, "Asia/Bishkek")
    for seed in range(50):
        times = plan_times(day, 3, "Asia/Bishkek", random.Random(seed))
        assert len(times) == 3 and times == sorted(times)
        for t in times:
            local = datetime.fromtimestamp(t, BISHKEK)
            assert local.date() == day and 8 <= local.hour < 22
    # Made during the day: none in the past.
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=BISHKEK).timestamp()
    assert min(plan_times(day, 5, "Asia/Bishkek", random.Random(1), noon)) >= noon


async def with_checkins(w: World, tmp_path: Path) -> Phone:
    async with logged_in(w, "supervisor") as sup:
        r = await sup.post(
            "/api/v1/orders/order-okt/variations",
            json={"changes": {"checkins_per_day": 2}, "reason": "court: identity check-ins"},
        )
        assert r.status_code == 201, r.text
    phone = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    apps = apps_of(w)
    apps.scheduler.rng = random.Random(7)
    apps.checkins_dir = tmp_path / "checkins"
    return phone


async def plan_and_send_first(w: World) -> Checkin:
    apps = apps_of(w)
    assert await apps.scheduler.run_once() == []  # planned, none due yet
    plan = load(w.pipeline.db, order_id="order-okt")
    expected = plan_times(local_day(T0, "Asia/Bishkek"), 2, "Asia/Bishkek", random.Random(7), T0)
    assert [c.send_at for c in plan] == expected
    assert await apps.scheduler.run_once() == []  # planned once a day
    assert len(load(w.pipeline.db, order_id="order-okt")) == 2
    w.clock.t = plan[0].send_at + 1
    (sent,) = await apps.scheduler.run_once()
    assert sent.id == plan[0].id and sent.due_at == w.clock.t + ANSWER_WITHIN_S
    return sent


async def test_a_missed_checkin_raises_checkin_missed(w: World, tmp_path: Path) -> None:
    phone = await with_checkins(w, tmp_path)
    sent = await plan_and_send_first(w)
    (message,) = [m for m in records.messages_of(w.pipeline.db, phone.device_id)]
    assert message.event == "checkin" and message.payload["id"] == sent.id
    with w.pipeline.db.connect() as conn:
        kinds = conn.execute(sa.select(events.c.kind).where(events.c.kind == "checkin_due")).all()
    assert len(kinds) == 1
    assert sent.due_at is not None
    w.clock.t = sent.due_at - 1
    await w.pipeline.advance()
    assert not [a for a in w.pipeline.open_alerts() if a.rule == "checkin.missed"]
    w.clock.t = sent.due_at + 1
    await w.pipeline.advance()
    missed = [a for a in w.pipeline.open_alerts() if a.rule == "checkin.missed"]
    assert len(missed) == 1 and missed[0].subject == "resp-okt"


async def test_a_photo_in_time_is_the_checkin_and_the_operator_sees_it(
    w: World, tmp_path: Path
) -> None:
    phone = await with_checkins(w, tmp_path)
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    sent = await plan_and_send_first(w)
    assert sent.due_at is not None
    w.clock.t += 60
    url = f"/app/api/v1/checkins/{sent.id}"
    async with w.client() as c:
        bad = await c.post(
            url, files={"photo": ("x.jpg", b"GIF89a", "image/jpeg")}, headers=phone.auth
        )
        assert bad.status_code == 422
        hers = await c.post(
            url, files={"photo": ("x.jpg", JPEG, "image/jpeg")}, headers=victim.auth
        )
        assert hers.status_code == 403
        r = await c.post(url, files={"photo": ("x.jpg", JPEG, "image/jpeg")}, headers=phone.auth)
        assert r.status_code == 200, r.text
        assert r.json() == {"id": sent.id, "on_time": True}
        again = await c.post(
            url, files={"photo": ("x.jpg", JPEG, "image/jpeg")}, headers=phone.auth
        )
        assert again.status_code == 409
    await w.settled()
    w.clock.t = sent.due_at + 1
    await w.pipeline.advance()
    assert not [a for a in w.pipeline.open_alerts() if a.rule == "checkin.missed"]
    assert (tmp_path / "checkins" / "order-okt" / f"{sent.id}.jpg").read_bytes() == JPEG

    async with logged_in(w, "operator") as op:
        listed = (await op.get("/api/v1/checkins", params={"order_id": "order-okt"})).json()
        assert [c["id"] for c in listed] == [sent.id]  # the plan of later ones stays secret
        assert listed[0]["on_time"] is True
        photo = await op.get(listed[0]["photo_url"])
        assert photo.status_code == 200 and photo.content == JPEG
        assert photo.headers["content-type"] == "image/jpeg"
    async with logged_in(w, "operator-len") as other:
        r = await other.get("/api/v1/checkins", params={"order_id": "order-okt"})
        assert r.status_code == 404
