"""Enrolling a phone with a one-time code, and revoking its credential on
unenrolment and at the order's end (real SQLite, real Pipeline, the app)."""

from __future__ import annotations

import re

import segno
import sqlalchemy as sa

from korgoo.api.permissions import ROLE_PERMISSIONS, Capability, Role
from korgoo.apps.enrolment import CODE_TTL_S, code_hash
from korgoo.domain.terms import OrderTerms
from korgoo.store import app_records as records
from korgoo.store.schema import enrolment_codes

from ..unit.engine.conftest import T0
from .api_world import VICTIM_POS, World, world_fixture
from .test_apps_world import enrol, fix, issue_code, logged_in, running, send

__all__ = ["world_fixture"]


async def test_code_enrols_a_phone_that_reports_at_once(w: World) -> None:
    issued = await issue_code(w, "order-okt", "resp-okt", "respondent_app")
    assert re.fullmatch(r"\d{8}", issued["code"])
    assert issued["url"] == f"/app/enrol?code={issued['code']}"
    assert issued["qr_svg"].startswith("<svg") and "</svg>" in issued["qr_svg"]
    # The QR code holds the centre's address of the app's enrolment page with the
    # code, which that page reads from its query and sends at once.
    link = w.pipeline.settings.public_url.rstrip("/") + issued["url"]
    assert issued["qr_svg"] == str(segno.make(link, error="m").svg_inline(scale=4, border=2))
    assert issued["qr_svg"] != str(segno.make(link + "0", error="m").svg_inline(scale=4, border=2))
    # Stored hashed: the digits are nowhere in the table.
    with w.pipeline.db.connect() as conn:
        rows = conn.execute(sa.select(enrolment_codes)).all()
    assert [r.code_hash for r in rows] == [code_hash(issued["code"])]
    assert issued["code"] not in repr(rows)

    async with w.client() as c:
        r = await c.post("/app/api/v1/enrol", json={"code": issued["code"]})
        assert r.status_code == 201, r.text
        phone = r.json()
        assert phone["kind"] == "respondent_app"
        assert (phone["person_id"], phone["order_id"]) == ("resp-okt", "order-okt")
        assert phone["secret"]
        # The engine has the device on the order before the answer came.
        assert device_persons(w.pipeline.order_terms("order-okt"))[phone["device_id"]] == "resp-okt"
        # ... and the device's first fix is accepted with its secret.
        auth = {"Authorization": f"Device {phone['device_id']}:{phone['secret']}"}
        body = {"messages": [fix(1, T0 + 5, VICTIM_POS)]}
        w.clock.t = T0 + 5
        r = await c.post("/app/api/v1/messages", json=body, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json() == {"results": [{"id": 1, "status": "accepted"}]}
        me = await c.get("/app/api/v1/me", headers=auth)
        assert me.status_code == 200 and me.json()["order_number"] == "OKT-1"
        wrong = {"Authorization": f"Device {phone['device_id']}:not-the-secret"}
        assert (await c.post("/app/api/v1/messages", json=body, headers=wrong)).status_code == 401


async def test_a_code_is_used_once(w: World) -> None:
    code = (await issue_code(w, "order-okt", "prot-okt", "victim_app"))["code"]
    async with w.client() as c:
        assert (await c.post("/app/api/v1/enrol", json={"code": code})).status_code == 201
        again = await c.post("/app/api/v1/enrol", json={"code": code})
    assert again.status_code == 410
    assert "already used" in again.json()["detail"]


async def test_an_expired_code_is_refused(w: World) -> None:
    code = (await issue_code(w, "order-okt", "prot-okt", "victim_app"))["code"]
    w.clock.t += CODE_TTL_S + 1
    async with w.client() as c:
        r = await c.post("/app/api/v1/enrol", json={"code": code})
        unknown = await c.post("/app/api/v1/enrol", json={"code": "1234567x"})
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    assert unknown.status_code == 404


async def test_codes_only_for_the_persons_of_the_order_and_by_permission(w: World) -> None:
    async with logged_in(w, "supervisor") as c:
        r = await c.post(
            "/api/v1/orders/order-okt/enrolments",
            json={"person_id": "prot-okt", "kind": "respondent_app"},
        )
        assert r.status_code == 422, r.text
    async with logged_in(w, "supervisor-len") as c:
        r = await c.post(
            "/api/v1/orders/order-okt/enrolments",
            json={"person_id": "resp-okt", "kind": "respondent_app"},
        )
        assert r.status_code == 404  # outside the user's districts
    async with logged_in(w, "operator") as c:
        # Operators enrol phones from the case page ...
        r = await c.post(
            "/api/v1/orders/order-okt/enrolments",
            json={"person_id": "resp-okt", "kind": "respondent_app"},
        )
        assert r.status_code == 201, r.text
    # ... which probation (an agency role to come) will not have.
    assert Capability.DEVICES_ENROL not in ROLE_PERMISSIONS[Role.PROBATION_OFFICER]


async def test_unenrolling_revokes_the_credential_everywhere(w: World) -> None:
    phone = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    async with running(w), w.client() as c:
        assert (await send(w, c, phone, fix(1, T0 + 5, VICTIM_POS))).status_code == 200
        async with logged_in(w, "supervisor") as sup:
            r = await sup.request(
                "DELETE",
                f"/api/v1/devices/{phone.device_id}/assignment",
                json={"reason": "phone lost"},
            )
            assert r.status_code == 200, r.text
        r = await c.get("/app/api/v1/me", headers=phone.auth)
        assert r.status_code == 401
        assert "no longer enrolled" in r.json()["detail"]
        # Not through the native ingest API either: the secret is dead.
        body = {"messages": [fix(2, T0 + 6, VICTIM_POS)]}
        r = await c.post("/api/v1/ingest", json=body, headers=phone.auth)
        assert r.status_code == 401
        assert not w.pipeline.authenticate(phone.device_id, phone.secret)


async def test_the_end_of_the_order_revokes_its_phones(w: World) -> None:
    phone = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with running(w) as apps, w.client() as c:
        async with logged_in(w, "supervisor") as sup:
            r = await sup.post("/api/v1/orders/order-okt/end", json={"reason": "court decision"})
            assert r.status_code == 201, r.text
        await apps.notifier.sweep_revocations()  # (or the background sweep did it)
        device = records.app_device(w.pipeline.db, phone.device_id)
        assert device is not None and device.revoked_at is not None
        r = await c.get("/app/api/v1/me", headers=phone.auth)
        assert r.status_code == 401 and "no longer enrolled" in r.json()["detail"]
        assert not w.pipeline.authenticate(phone.device_id, phone.secret)


def device_persons(terms: OrderTerms | None) -> dict[str, str]:
    """Device id -> person id of every device the engine monitors the order with."""
    assert terms is not None
    return {d: p.person_id for p in (terms.respondent, *terms.protected) for d, _ in p.devices}


async def test_a_new_phone_replaces_the_earlier_one(w: World) -> None:
    first = await enrol(w, "order-okt", "prot-okt", "victim_app")
    second = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with w.client() as c:
        assert (await c.get("/app/api/v1/me", headers=first.auth)).status_code == 401
        assert (await c.get("/app/api/v1/me", headers=second.auth)).status_code == 200
    assert first.device_id not in device_persons(w.pipeline.order_terms("order-okt"))


async def test_guessing_codes_is_cut_off(w: World) -> None:
    code = (await issue_code(w, "order-okt", "prot-okt", "victim_app"))["code"]
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    async with w.client() as c:
        answers = [
            (await c.post("/app/api/v1/enrol", json={"code": wrong})).status_code for _ in range(11)
        ]
        assert answers == [404] * 10 + [429]
        # Even the right code waits: the guesser cannot tell it from a wrong one.
        assert (await c.post("/app/api/v1/enrol", json={"code": code})).status_code == 429
