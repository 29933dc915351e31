"""The police view's "Notify this phone" switch in Debian's Chromium at a phone
viewport: it registers the police view's service worker (the console's CSP
lets it), subscribes with the centre's VAPID key and hands the subscription
to the server; off removes it, logging out drops it; and the service worker
shows a pushed message as a notification.

Headless Chromium subscribes only through a real push service (FCM), which a
test here cannot reach, so the page's PushManager hands out a subscription of
the shape the browser would (an FCM endpoint); everything else is real: the
service worker, its registration, the notification permission, the API and
the store. The push message is delivered to the service worker through the
DevTools protocol, as FCM would deliver it."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from korgoo.api.auth import add_user
from korgoo.store import user_push
from korgoo.web.i18n import gettext

from .centre import PASSWORD, Centre
from .conftest import sign_in
from .test_police import phones

__all__ = ["phones"]

ENDPOINT = "https://fcm.googleapis.com/fcm/send/e2e-duty-phone"
P256DH = "BDd3_hVL9fZi9Ybo2UUzA284WG5FZR30_95YeZJsiApwXKpNcF1rRPF3foIiBHXRdJI2Qhumhf6_LFTeZaNndIo"
# The browser's PushManager without a push service: subscribe() answers a
# subscription of the real shape (kept across reloads, as the browser keeps
# it) and notes the key it was asked to use.
FAKE_PUSH = """
(() => {
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const made = (key) => ({
    endpoint: "ENDPOINT",
    options: { userVisibleOnly: true, applicationServerKey: key.buffer },
    toJSON() {
      return { endpoint: this.endpoint, expirationTime: null,
               keys: { p256dh: "P256DH", auth: "YjY0QUZXR0tNRGZRa0dWWQ" } };
    },
    unsubscribe: async () => { localStorage.removeItem("fake-push"); return true; },
  });
  PushManager.prototype.getSubscription = async function () {
    const key = localStorage.getItem("fake-push");
    return key ? made(new Uint8Array(JSON.parse(key))) : null;
  };
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__subscribedWith = b64(key);
    localStorage.setItem("fake-push", JSON.stringify([...key]));
    return made(key);
  };
})();
""".replace("ENDPOINT", ENDPOINT).replace("P256DH", P256DH)


def endpoints(centre: Centre) -> list[str]:
    return [s.endpoint for s in user_push.of_user(centre.pipeline.db, "police-okt")]


def until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def officer(context: BrowserContext, centre: Centre) -> Page:
    context.grant_permissions(["notifications"], origin=centre.url)
    context.add_init_script(FAKE_PUSH)
    page = context.new_page()
    sign_in(page, centre, totp="", username="police-okt")
    expect(page).to_have_url(f"{centre.url}/police")
    return page


def test_the_switch_subscribes_this_phone_and_the_worker_shows_the_push(
    centre: Centre, phones: list[BrowserContext]
) -> None:
    add_user(centre.pipeline.db, "police-okt", role="police_duty_officer",
             districts=["KG-GB-OKT"], display_name="police-okt", password=PASSWORD,
             now=time.time())  # fmt: skip
    page = officer(phones[0], centre)
    toggle = page.locator("#push-toggle")
    expect(page.locator("#push-switch")).to_be_visible()
    expect(page.locator("#push-switch")).to_contain_text(gettext("ru", "Notify this phone"))
    expect(toggle).not_to_be_checked()
    expect(toggle).to_be_enabled()

    toggle.tap()
    expect(toggle).to_be_checked()
    expect(page.locator("#push-note")).to_have_text(
        gettext(
            "ru", "New alerts for your unit are shown on this phone, even with the page closed."
        )
    )
    until(lambda: endpoints(centre) == [ENDPOINT])
    key = page.evaluate("fetch('/api/v1/push/vapid-key').then(r => r.json())")["public_key"]
    assert page.evaluate("window.__subscribedWith") == key  # the centre's VAPID key
    scope = page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.scope)"
    )  # the police view's worker, registered under the console's CSP
    assert scope == f"{centre.url}/police"

    # A reload: the switch shows what the server holds.
    page.reload()
    expect(toggle).to_be_checked()

    # A pushed message, as FCM hands it to the worker: a notification that opens the alert.
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: registrations.extend(e["registrations"]))  # fmt: skip
    cdp.send("ServiceWorker.enable")
    for _ in range(100):  # the events arrive while Playwright is called
        if any(r["scopeURL"] == f"{centre.url}/police" for r in registrations):
            break
        page.wait_for_timeout(50)
    (registration,) = [r for r in registrations if r["scopeURL"] == f"{centre.url}/police"][:1]
    message = {
        "event": "unit_alert",
        "data": {
            "id": "n-1",
            "title": "Korgoo: оповещение P1",
            "body": "Новое оповещение P1, Октябрьский район: откройте Korgoo",
            "url": "http://elsewhere.example/police#order%3Aproximity.breach%3A1",
            "lang": "ru",
        },
    }
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": centre.url, "registrationId": registration["registrationId"],
        "data": json.dumps(message, ensure_ascii=False),
    })  # fmt: skip
    shown = """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns =>
        ns.map(n => ({title: n.title, body: n.body, url: n.data.url})))"""
    until(lambda: page.evaluate(shown) != [])
    (notification,) = page.evaluate(shown)
    assert notification == {
        "title": "Korgoo: оповещение P1",
        "body": "Новое оповещение P1, Октябрьский район: откройте Korgoo",
        "url": f"{centre.url}/police#order%3Aproximity.breach%3A1",  # this centre's page only
    }

    # Off: removed on the server.
    toggle.tap()
    expect(toggle).not_to_be_checked()
    until(lambda: endpoints(centre) == [])

    # On again, then logging out of this browser drops it.
    toggle.tap()
    until(lambda: endpoints(centre) == [ENDPOINT])
    page.locator("#logout").click()
    expect(page).to_have_url(f"{centre.url}/login")
    until(lambda: endpoints(centre) == [])
