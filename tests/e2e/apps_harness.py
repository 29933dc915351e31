"""Phones for the browser tests of the apps: Chromium contexts at a phone's size
with emulated geolocation and a fake front camera, enrolled on an order of the
live centre (tests/e2e/centre.py) with a code an operator asked for over the API.

Each phone records every response body and every stream or push message that
reaches its page (an init script tees `fetch` and listens to the service
worker), so a test can say what a respondent's phone was ever told.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)
from playwright.sync_api import (
    Error as PlaywrightError,
)

from .centre import PASSWORD, SUPERVISOR, Centre
from .conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS

PHONE = {"width": 390, "height": 844}
CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
M_PER_DEG_LAT = 111_320.0

# Tees every fetch response's body into window.__log as it streams in, and logs
# what the service worker hands the page (Web Push).
RECORDER = """
(() => {
  const log = [];
  window.__log = log;
  const original = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await original(...args);
    const copy = response.clone();
    if (copy.body) {
      const entry = { url: response.url, text: "" };
      log.push(entry);
      const reader = copy.body.getReader();
      const decoder = new TextDecoder();
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          entry.text += decoder.decode(value, { stream: true });
        }
      })().catch(() => {});
    }
    return response;
  };
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (e) =>
      log.push({ url: "push", text: JSON.stringify(e.data) }));
  }
})();
"""


def offset(point: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat, lon = point
    return (
        lat + north_m / M_PER_DEG_LAT,
        lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat))),
    )


@pytest.fixture(scope="module")
def phone_browser() -> Iterator[Browser]:
    """Chromium with a fake camera that needs no prompt (the check-in photo)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Debian's Chromium is not installed at {CHROMIUM}", pytrace=False)
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + CAMERA_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Operator:
    """A supervisor of the centre over the JSON API (session cookie + CSRF
    header): enrolling a phone takes `devices.write`, which operators lack."""

    def __init__(self, centre: Centre) -> None:
        self.client = httpx.Client(base_url=centre.url, timeout=10)
        answer = self.client.post(
            "/api/v1/session",
            json={
                "username": SUPERVISOR,
                "password": PASSWORD,
                "totp": centre.totp(SUPERVISOR),
            },
        )
        assert answer.status_code == 200, answer.text
        self.client.headers["X-CSRF-Token"] = answer.json()["csrf"]

    def enrolment_code(self, order_id: str, person_id: str, kind: str) -> str:
        answer = self.client.post(
            f"/api/v1/orders/{order_id}/enrolments", json={"person_id": person_id, "kind": kind}
        )
        assert answer.status_code == 201, answer.text
        code: str = answer.json()["code"]
        return code

    def alerts(self, order_id: str) -> list[dict[str, Any]]:
        answer = self.client.get("/api/v1/alerts", params={"order_id": order_id})
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    def close(self) -> None:
        self.client.close()


@dataclass
class Phone:
    """One phone: its browser context, the app's page, what reached the page."""

    context: BrowserContext
    page: Page
    responses: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    offline: bool = False

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self.context.set_offline(offline)

    def move(self, point: tuple[float, float], accuracy: float = 8.0) -> None:
        self.context.set_geolocation(
            {"latitude": point[0], "longitude": point[1], "accuracy": accuracy}
        )

    def received(self) -> list[str]:
        """Every response body and streamed or pushed message the page got."""
        streamed: list[dict[str, str]] = self.page.evaluate("window.__log || []")
        return self.responses + [f"{e['url']}\n{e['text']}" for e in streamed]

    def device_id(self) -> str:
        return str(
            self.page.evaluate(
                """() => new Promise((resolve) => {
                  const open = indexedDB.open("korgoo-app", 1);
                  open.onsuccess = () => {
                    const get = open.result.transaction("kv").objectStore("kv").get("credential");
                    get.onsuccess = () => resolve(get.result.device_id);
                  };
                })"""
            )
        )


@dataclass
class Phones:
    browser: Browser
    centre: Centre
    operator: Operator
    opened: list[Phone] = field(default_factory=list)

    def enrol(
        self, order_id: str, person_id: str, kind: str, at: tuple[float, float], lang: str = "ru"
    ) -> Phone:
        """A new phone at `at`, enrolled through /app/enrol with a fresh code, on
        its app's page."""
        context = self.browser.new_context(
            base_url=self.centre.url,
            viewport=PHONE,  # type: ignore[arg-type]
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            locale={"ru": "ru-RU", "ky": "ky-KG", "en": "en-GB"}[lang],
            timezone_id="Asia/Bishkek",
            permissions=["geolocation"],
            geolocation={"latitude": at[0], "longitude": at[1], "accuracy": 8.0},
        )
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(RECORDER)
        page = context.new_page()
        phone = Phone(context, page)
        self.opened.append(phone)
        page.on("pageerror", lambda error: phone.errors.append(f"{page.url}: {error}"))

        def console_error(message: ConsoleMessage) -> None:
            # Refused requests are logged by the browser too, and so is the
            # service worker's update check while the phone is offline.
            if message.type != "error" or phone.offline:
                return
            if not message.text.startswith("Failed to load resource"):
                phone.errors.append(f"{page.url}: {message.text}")

        def record(response: Response) -> None:
            if response.status >= 500:
                phone.errors.append(f"{response.request.method} {response.url}")
            kind_ = response.headers.get("content-type", "")
            if "event-stream" in kind_ or response.request.resource_type == "image":
                return  # streams are read by the recorder as they arrive
            try:
                phone.responses.append(f"{response.url}\n{response.text()}")
            except PlaywrightError:  # a redirect or an aborted request has no body
                return

        page.on("console", console_error)
        page.on("response", record)
        code = self.operator.enrolment_code(order_id, person_id, kind)
        page.goto(f"/app/enrol?code={code}&lang={lang}")
        app = "victim" if kind == "victim_app" else "respondent"
        expect(page).to_have_url(f"{self.centre.url}/app/{app}")
        return phone

    def close(self) -> None:
        errors = [e for p in self.opened for e in p.errors]
        for phone in self.opened:
            phone.context.close()
        self.operator.close()
        assert not errors, "errors in the apps' pages:\n" + "\n".join(errors)


@pytest.fixture
def phones(phone_browser: Browser, centre: Centre) -> Iterator[Phones]:
    opened = Phones(phone_browser, centre, Operator(centre))
    expect.set_options(timeout=WAIT_MS)
    try:
        yield opened
    finally:
        opened.close()
