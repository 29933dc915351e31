"""An operator reviews an identity check-in: the photo beside the respondent's
reference photo; a confirmation is recorded, a rejection (with a reason) raises
a `checkin.rejected` alert through the event log, and a device cannot fake one."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from korgoo.gateways.native import REVIEW_REFUSED
from korgoo.store.schema import checkins, events

from .api_world import World, world_fixture
from .test_apps_checkins import JPEG, plan_and_send_first, with_checkins
from .test_apps_world import Phone, apps_of, logged_in

__all__ = ["world_fixture"]
OTHER_JPEG = JPEG[:-2] + b"\x01\x02\xff\xd9"


async def photo_sent(w: World, tmp_path: Path) -> tuple[Phone, str]:
    phone = await with_checkins(w, tmp_path)
    w.pipeline.settings.person_photos_dir = str(tmp_path / "persons")
    sent = await plan_and_send_first(w)
    w.clock.t += 60
    async with w.client() as c:
        r = await c.post(
            f"/app/api/v1/checkins/{sent.id}",
            files={"photo": ("x.jpg", JPEG, "image/jpeg")},
            headers=phone.auth,
        )
        assert r.status_code == 200, r.text
    await w.settled()
    return phone, sent.id


async def test_the_reference_photo_is_kept_on_the_persons_record(w: World, tmp_path: Path) -> None:
    apps_of(w)
    w.pipeline.settings.person_photos_dir = str(tmp_path / "persons")
    async with logged_in(w, "supervisor") as sup:
        bad = await sup.post(
            "/api/v1/persons/resp-okt/photo", files={"photo": ("p.gif", b"GIF89a", "image/gif")}
        )
        assert bad.status_code == 422
        r = await sup.post(
            "/api/v1/persons/resp-okt/photo", files={"photo": ("p.jpg", OTHER_JPEG, "image/jpeg")}
        )
        assert r.status_code == 201, r.text
        assert (await sup.get("/api/v1/persons/resp-okt")).json()["has_photo"] is True
        got = await sup.get("/api/v1/persons/resp-okt/photo")
        assert got.status_code == 200 and got.content == OTHER_JPEG
    async with logged_in(w, "operator") as op:
        refused = await op.post(
            "/api/v1/persons/resp-okt/photo", files={"photo": ("p.jpg", JPEG, "image/jpeg")}
        )
        assert refused.status_code == 403  # registering persons is a supervisor's
    async with logged_in(w, "supervisor-len") as other:
        assert (await other.get("/api/v1/persons/resp-okt/photo")).status_code == 404


async def test_a_confirmed_photo_leaves_the_queue_and_raises_nothing(
    w: World, tmp_path: Path
) -> None:
    _, checkin_id = await photo_sent(w, tmp_path)
    async with logged_in(w, "supervisor") as sup:
        r = await sup.post(
            "/api/v1/persons/resp-okt/photo", files={"photo": ("p.jpg", OTHER_JPEG, "image/jpeg")}
        )
        assert r.status_code == 201
    async with logged_in(w, "operator") as op:
        (waiting,) = (await op.get("/api/v1/checkin-reviews")).json()
        assert waiting["id"] == checkin_id and waiting["order_number"] == "OKT-1"
        assert waiting["reference_photo_url"] == "/api/v1/persons/resp-okt/photo"
        assert waiting["review"] is None
        r = await op.post(f"/api/v1/checkins/{checkin_id}/review", json={"outcome": "confirmed"})
        assert r.status_code == 200, r.text
        assert r.json()["review"] == "confirmed" and r.json()["reviewed_by"] == "operator"
        again = await op.post(
            f"/api/v1/checkins/{checkin_id}/review", json={"outcome": "rejected", "note": "x"}
        )
        assert again.status_code == 409  # reviewed once, for good
        assert (await op.get("/api/v1/checkin-reviews")).json() == []
        listed = (await op.get("/api/v1/checkins", params={"order_id": "order-okt"})).json()
        assert listed[0]["review"] == "confirmed"
    await w.settled()
    assert not [a for a in w.pipeline.open_alerts() if a.rule == "checkin.rejected"]


async def test_a_rejected_photo_raises_an_alert_from_the_event_log(
    w: World, tmp_path: Path
) -> None:
    phone, checkin_id = await photo_sent(w, tmp_path)
    path = f"/api/v1/checkins/{checkin_id}/review"
    async with logged_in(w, "operator-len") as other:
        refused = await other.post(path, json={"outcome": "confirmed"})
        assert refused.status_code == 404  # another district's check-in
        assert (await other.get("/api/v1/checkin-reviews")).json() == []
    async with logged_in(w, "operator") as op:
        no_reason = await op.post(path, json={"outcome": "rejected"})
        assert no_reason.status_code == 422
        r = await op.post(path, json={"outcome": "rejected", "note": "a different man"})
        assert r.status_code == 200, r.text
        assert r.json()["review_note"] == "a different man"
    await w.settled()
    (alert,) = [a for a in w.pipeline.open_alerts() if a.rule == "checkin.rejected"]
    assert alert.subject == "resp-okt" and alert.pages and alert.priority.value == "P2"
    with w.pipeline.db.connect() as conn:
        kinds = conn.execute(
            sa.select(events.c.kind).where(events.c.device_id == phone.device_id)
        ).scalars()
        assert "signal" in set(kinds)
    # The phone cannot send the signal itself.
    async with w.client() as c:
        body = {
            "messages": [
                {"id": "fake-1", "type": "signal", "t": w.clock.t, "kind": "check_in_rejected"}
            ]
        }
        r = await c.post("/api/v1/ingest", json=body, headers=phone.auth)
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["reason"] == REVIEW_REFUSED


async def test_the_review_list_reads_each_order_once_however_many_photos_wait(
    w: World, tmp_path: Path
) -> None:
    _, checkin_id = await photo_sent(w, tmp_path)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def listed() -> int:
        statements.clear()
        sa.event.listen(w.pipeline.db, "before_cursor_execute", count)
        try:
            async with logged_in(w, "operator") as op:
                waiting = (await op.get("/api/v1/checkin-reviews")).json()
        finally:
            sa.event.remove(w.pipeline.db, "before_cursor_execute", count)
        assert {c["order_number"] for c in waiting} == {"OKT-1"}
        return len(statements)

    one = await listed()
    with w.pipeline.db.begin() as conn:  # two more photos of the same order wait
        row = conn.execute(sa.select(checkins).where(checkins.c.id == checkin_id)).mappings().one()
        for n in (1, 2):
            conn.execute(sa.insert(checkins).values({**row, "id": f"{checkin_id}-{n}"}))
    three = await listed()
    assert three == one
