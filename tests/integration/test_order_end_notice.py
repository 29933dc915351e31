"""The end of an order tells its device holders, with the real store, API and
the test SMS gateway: a revocation and an order whose term ran out each give
her (without the app) one SMS in her language with the date, written with the
order's new version; both apps get `order_ended` with the status and date;
a phone that missed it learns it from its refused credential; the respondent
is told nothing about her."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from korgoo.apps import respondent_view as rv
from korgoo.apps.order_end import SYSTEM
from korgoo.apps.service import dispatcher
from korgoo.domain.terms import OrderStatus
from korgoo.notify.messages import local_date, render
from korgoo.store.schema import app_messages, audit_log, notifications

from ..unit.engine.conftest import T0
from .api_world import OKT, World, iso, world_fixture
from .sms_gateway import Gateway, sms_gateway
from .test_apps_world import Phone, apps_of, enrol

__all__ = ["world_fixture"]
DAY_S = 86_400.0
HER_PHONE = "+996 555 123 456"


def temporary(number: str = "TMP-1") -> dict[str, Any]:
    return {
        "number": number,
        "issuing_authority": "Oktyabrsky police duty unit",
        "legal_basis": "Law No. 63 of 27 April 2017, temporary protective order",
        "district": OKT,
        "respondent": {"display_name": "Respondent T", "phones": []},
        "protected": {
            "display_name": "Protected T",
            "language": "ky",
            "phones": [{"number": HER_PHONE, "label": "mobile"}],
        },
        "monitoring": "respondent_app",
    }


def use(w: World, gateway: Gateway) -> None:
    for name, value in gateway.settings().items():
        setattr(w.pipeline.settings, name, value)


def told(w: World) -> list[tuple[str, dict[str, Any]]]:
    with w.pipeline.db.connect() as conn:
        rows = conn.execute(
            sa.select(app_messages.c.device_id, app_messages.c.payload)
            .where(app_messages.c.event == "order_ended")
            .order_by(app_messages.c.device_id)
        ).all()
    return [(r.device_id, r.payload) for r in rows]


async def send_sms(w: World) -> None:
    sender = dispatcher(w.pipeline.db, w.pipeline.settings, w.clock)
    assert sender is not None
    await sender.run_once()


async def me(w: World, phone: Phone) -> Any:
    auth = {"Authorization": f"Device {phone.device_id}:{phone.secret}"}
    async with w.client() as c:
        return await c.get("/app/api/v1/me", headers=auth)


async def test_a_revoked_order_texts_her_the_date_and_tells_both_apps(w: World) -> None:
    with sms_gateway() as gateway:
        use(w, gateway)
        okt = await w.login("police-okt")
        made = (await okt.post("/api/v1/police/orders", json=temporary())).json()
        order_id = made["order"]["id"]
        respondent = made["order"]["current"]["respondent_id"]
        his = await enrol(w, order_id, respondent, "respondent_app")
        # A second order whose protected person has the victim app: her app is told, no SMS.
        hers = await enrol(w, "order-okt", "prot-okt", "victim_app")
        sup = await w.login("supervisor")

        w.clock.t = T0 + 3600
        r = await sup.post(
            f"/api/v1/orders/{order_id}/end", json={"reason": "court revoked it", "revoked": True}
        )
        assert r.status_code == 201 and r.json()["status"] == "revoked", r.text
        w.clock.t = T0 + 3700
        r = await sup.post("/api/v1/orders/order-okt/end", json={"reason": "court decision"})
        assert r.status_code == 201 and r.json()["status"] == "ended", r.text

        # Her SMS: written with the new version, in Kyrgyz, revoked and when.
        with w.pipeline.db.connect() as conn:
            rows = conn.execute(sa.select(notifications)).all()
        assert [(n.template, n.language, n.created_at, n.params) for n in rows] == [
            ("order_revoked", "ky", T0 + 3600, {"date": rv.iso(T0 + 3600)})
        ]
        await send_sms(w)
        (sms,) = gateway.handset
        expected = render(
            "order_revoked",
            "ky",
            centre=w.pipeline.settings.centre_phone,
            police=w.pipeline.settings.police_phone,
            params={"date": rv.iso(T0 + 3600)},
        )
        assert sms["to"] == HER_PHONE and sms["text"] == expected.body
        assert local_date(rv.iso(T0 + 3600), "ky") in sms["text"]

        # Both apps: ended or revoked, and when; nothing else.
        payloads = dict(told(w))
        assert set(payloads) == {his.device_id, hers.device_id}
        assert {k: v for k, v in payloads[his.device_id].items() if k != "id"} == {
            "code": "order_ended",
            "status": "revoked",
            "at": iso(T0 + 3600),
        }
        assert {k: v for k, v in payloads[hers.device_id].items() if k != "id"} == {
            "code": "order_ended",
            "status": "ended",
            "at": iso(T0 + 3700),
        }
        rv.guard(payloads[his.device_id])

        # A phone that missed the message learns it when its credential is refused.
        await apps_of(w).notifier.sweep_revocations()
        r = await me(w, his)
        assert r.status_code == 401
        assert r.headers["Korgoo-Order-End"] == f"revoked {iso(T0 + 3600)}"
        r = await me(w, hers)
        assert r.status_code == 401
        assert r.headers["Korgoo-Order-End"] == f"ended {iso(T0 + 3700)}"


async def test_an_order_whose_term_runs_out_is_ended_and_its_holders_told(w: World) -> None:
    with sms_gateway() as gateway:
        use(w, gateway)
        okt = await w.login("police-okt")
        made = (await okt.post("/api/v1/police/orders", json=temporary())).json()
        order_id = made["order"]["id"]
        respondent = made["order"]["current"]["respondent_id"]
        ends_at = T0 + w.pipeline.settings.temporary_order_days * DAY_S
        his = await enrol(w, order_id, respondent, "respondent_app")
        notifier = apps_of(w).notifier

        # Before its end: nothing.
        w.clock.t = ends_at - 1
        assert await notifier.end_expired_orders() == []
        assert told(w) == [] and gateway.handset == []

        w.clock.t = ends_at + 5
        (ended,) = [v for v in await notifier.end_expired_orders() if v.order_id == order_id]
        # The end is a stored version by the system, ending when the term did.
        assert (ended.status, ended.created_by, ended.ends_at) == (
            OrderStatus.ENDED,
            SYSTEM,
            ends_at,
        )
        assert ended.valid_from == ends_at + 5
        terms = w.pipeline.order_terms(order_id)
        assert terms is not None and terms.status is OrderStatus.ENDED
        with w.pipeline.db.connect() as conn:
            audit = conn.execute(
                sa.select(audit_log.c.action, audit_log.c.actor).where(
                    audit_log.c.subject == order_id
                )
            ).all()
            rows = conn.execute(
                sa.select(notifications).where(notifications.c.order_id == order_id)
            ).all()
        assert ("order.expired", SYSTEM) in [tuple(a) for a in audit]
        assert [(n.template, n.language, n.params) for n in rows] == [
            ("order_ended", "ky", {"date": rv.iso(ends_at)})
        ]
        await send_sms(w)
        (sms,) = [m for m in gateway.handset if m["to"] == HER_PHONE]
        assert local_date(rv.iso(ends_at), "ky") in sms["text"]
        assert sms["text"] == (
            render(
                "order_ended",
                "ky",
                centre=w.pipeline.settings.centre_phone,
                police=w.pipeline.settings.police_phone,
                params={"date": rv.iso(ends_at)},
            ).body
        )
        payload = dict(told(w))[his.device_id]
        assert (payload["status"], payload["at"]) == ("ended", iso(ends_at))

        # Told once: the next sweep finds nothing more to end.
        w.clock.t += 60
        assert [v.order_id for v in await notifier.end_expired_orders()] == []
        with w.pipeline.db.connect() as conn:
            assert len(conn.execute(sa.select(notifications)).all()) == len(rows)


async def test_a_phone_asking_after_the_end_before_the_sweep_hears_it_ended(w: World) -> None:
    okt = await w.login("police-okt")
    made = (await okt.post("/api/v1/police/orders", json=temporary())).json()
    order_id = made["order"]["id"]
    respondent = made["order"]["current"]["respondent_id"]
    ends_at = T0 + w.pipeline.settings.temporary_order_days * DAY_S
    his = await enrol(w, order_id, respondent, "respondent_app")
    assert (await me(w, his)).status_code == 200

    w.clock.t = ends_at + 1
    r = await me(w, his)
    assert r.status_code == 401
    assert r.headers["Korgoo-Order-End"] == f"ended {iso(ends_at)}"
    # The sweep still records the end after the credential fell.
    ended = [v.order_id for v in await apps_of(w).notifier.end_expired_orders()]
    assert order_id in ended
    assert (await me(w, his)).headers["Korgoo-Order-End"] == f"ended {iso(ends_at)}"
