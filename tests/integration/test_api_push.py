"""The console users' Web Push subscriptions through the API: any logged-in
user subscribes his own browser (CSRF like every console write), with the
apps' VAPID key and endpoint rules; another user cannot see or remove it;
logging out of the browser, or being disabled, drops it."""

from __future__ import annotations

from typing import Any

from korgoo.store import user_push

from .api_world import World, world_fixture
from .test_apps_delivery import FCM, subscription_body
from .test_apps_world import apps_of, logged_in

__all__ = ["world_fixture"]

ENDPOINT = f"{FCM}/fcm/send/duty-phone"


def subscribed(w: World, username: str) -> list[str]:
    return [s.endpoint for s in user_push.of_user(w.pipeline.db, username)]


async def test_a_user_subscribes_his_browser_and_unsubscribes_it(w: World) -> None:
    body = subscription_body(ENDPOINT)
    async with logged_in(w, "police-okt") as c:
        key = (await c.get("/api/v1/push/vapid-key")).json()
        assert key == {"public_key": (await apps_of(w).pusher()).public_key}
        r = await c.get("/api/v1/push-subscriptions", params={"endpoint": ENDPOINT})
        assert r.json() == {"subscribed": False}
        r = await c.post("/api/v1/push-subscriptions", json=body)
        assert r.status_code == 201 and r.json() == {"subscribed": True}
        r = await c.get("/api/v1/push-subscriptions", params={"endpoint": ENDPOINT})
        assert r.json() == {"subscribed": True}
        assert subscribed(w, "police-okt") == [ENDPOINT]
        # The same browser again (a reload, new keys): still one subscription.
        r = await c.post("/api/v1/push-subscriptions", json=subscription_body(ENDPOINT))
        assert r.status_code == 201 and subscribed(w, "police-okt") == [ENDPOINT]
        r = await c.delete("/api/v1/push-subscriptions", params={"endpoint": ENDPOINT})
        assert r.status_code == 204 and subscribed(w, "police-okt") == []
        actions = (await audit_of(w, "police-okt"))[-2:]
        assert actions == ["push.subscribe", "push.unsubscribe"]


async def audit_of(w: World, username: str) -> list[str]:
    async with logged_in(w, "supervisor") as c:
        r = await c.get("/api/v1/audit", params={"actor": username})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["items"] if isinstance(r.json(), dict) else r.json()
    return [row["action"] for row in sorted(rows, key=lambda row: row["id"])]


async def test_another_user_neither_sees_nor_removes_it(w: World) -> None:
    async with logged_in(w, "police-okt") as c:
        await c.post("/api/v1/push-subscriptions", json=subscription_body(ENDPOINT))
    async with logged_in(w, "operator") as other:
        r = await other.get("/api/v1/push-subscriptions", params={"endpoint": ENDPOINT})
        assert r.json() == {"subscribed": False}
        r = await other.delete("/api/v1/push-subscriptions", params={"endpoint": ENDPOINT})
        assert r.status_code == 204
    assert subscribed(w, "police-okt") == [ENDPOINT]


async def test_a_write_needs_the_session_and_its_csrf_token(w: World) -> None:
    body = subscription_body(ENDPOINT)
    async with w.client() as anonymous:
        r = await anonymous.post("/api/v1/push-subscriptions", json=body)
        assert r.status_code == 401
        assert (await anonymous.get("/api/v1/push/vapid-key")).status_code == 401
    async with logged_in(w, "police-okt") as c:
        del c.headers["X-CSRF-Token"]
        r = await c.post("/api/v1/push-subscriptions", json=body)
        assert r.status_code == 403
    assert subscribed(w, "police-okt") == []


async def test_only_a_known_push_service_is_taken(w: World) -> None:
    async with logged_in(w, "police-okt") as c:
        for endpoint, reason in (
            ("http://127.0.0.1:5999/push/x", "https"),
            ("https://evil.example/x#.push.apple.com", "not a known push service"),
        ):
            r = await c.post("/api/v1/push-subscriptions", json=subscription_body(endpoint))
            assert r.status_code == 400 and reason in r.json()["detail"]
    assert subscribed(w, "police-okt") == []


async def test_logging_out_of_the_browser_drops_its_subscription(w: World) -> None:
    other = f"{FCM}/fcm/send/desk"
    async with logged_in(w, "police-okt") as desk:
        await desk.post("/api/v1/push-subscriptions", json=subscription_body(other))
        async with logged_in(w, "police-okt") as phone:
            await phone.post("/api/v1/push-subscriptions", json=subscription_body(ENDPOINT))
            assert sorted(subscribed(w, "police-okt")) == sorted([ENDPOINT, other])
            assert (await phone.delete("/api/v1/session")).status_code == 204
        # Only the browser he logged out of.
        assert subscribed(w, "police-okt") == [other]


async def test_a_disabled_user_is_no_longer_pushed_to(w: World) -> None:
    async with logged_in(w, "police-okt") as c:
        await c.post("/api/v1/push-subscriptions", json=subscription_body(ENDPOINT))
    async with logged_in(w, "admin") as admin:
        r = await admin.post("/api/v1/users/police-okt/disable", json={"reason": "left the unit"})
        assert r.status_code == 200, r.text
    assert subscribed(w, "police-okt") == []
