"""The console pages served by the real app: login redirects, every page in each
language for a signed-in user, the vendored Leaflet, nothing loaded from
elsewhere, and a label on every control."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from korgoo.api.pages.console import STATIC_DIR

from .api_world import World, world_fixture

__all__ = ["world_fixture"]

ALERT_KEY = "order-okt:zone.exclusion:home:1"
PAGES = {
    "/": ["alert-queue", "p1-banner", "queue-status"],
    f"/alerts/{quote(ALERT_KEY, safe='')}": [
        "alert-map",
        "evidence",
        "ack",
        "log-call",
        "call-party",
        "call-outcome",
        "call-note",
        "call-submit",
        "escalate",
        "resolve",
        "resolve-outcome",
        "resolve-note",
        "resolve-submit",
        "timeline",
        "evidence-reason",
        "evidence-lang",
        "evidence-pdf",
        "evidence-zip",
    ],
    "/map": ["live-map"],
    "/cases": ["orders"],
    "/cases/order-okt": ["case-map", "versions", "track-from", "track-to", "track-play"],
    "/devices": ["devices", "unknown-devices"],
    "/statistics": ["stats-filters", "stats-district", "chart-orders", "t-response", "export-xlsx"],
    "/audit": ["audit", "audit-filters", "audit-actor", "audit-object", "audit-older"],
}
COMMON_IDS = ["language", "nav-queue", "nav-map", "nav-cases", "nav-devices", "nav-audit", "logout"]
# The queue's heading in each language: proof the catalogue was applied.
QUEUE_TITLE = {"ru": "Очередь тревог", "ky": "Коркунуч белгилеринин кезеги", "en": "Alert queue"}
URL = re.compile(r"https?://[^\s\"'()<>]+")
# URLs in the vendored Leaflet that are never fetched: the SVG namespace, the
# attribution link (the console turns attribution off) and bug links in comments.
VENDOR_URLS = {
    "https://www.chartjs.org",  # Chart.js: its licence banner and a comment, nothing it loads
    "https://github.com/kurkle/color#readme",
    "http://www.w3.org/2000/svg",
    "https://leafletjs.com",
    "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
    # protomaps-leaflet: the base of `new URL(url, base)` for a relative tile URL, and
    # its default attribution links (the console sets its own attribution text).
    "http://example.com",
    "https://openstreetmap.org/copyright",
    "https://protomaps.com",
}


class Controls(HTMLParser):
    """Collects ids, labels and the form controls of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.assets: list[str] = []
        self.html_lang: str | None = None
        self._button: dict[str, str | None] | None = None
        self._button_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, **a})
        if tag == "button":
            self._button, self._button_text = {"tag": tag, **a}, ""
        if tag == "script" and a.get("src"):
            self.assets.append(str(a["src"]))
        if tag == "link" and a.get("rel") == "stylesheet":
            self.assets.append(str(a["href"]))

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self._button["text"] = self._button_text.strip()
            self.controls.append(self._button)
            self._button = None

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [
            c
            for c in self.controls
            if not c.get("aria-label")
            and c.get("id") not in self.label_for
            and not (c["tag"] == "button" and c.get("text"))
        ]


def parse(html: str) -> Controls:
    page = Controls()
    page.feed(html)
    return page


async def test_pages_redirect_to_login_without_a_session(w: World) -> None:
    async with w.client() as c:
        for path in PAGES:
            r = await c.get(path)
            assert r.status_code == 303, path
            assert r.headers["location"] == f"/login?next={quote(path, safe='')}"
        login = await c.get("/login")
    assert login.status_code == 200
    page = parse(login.text)
    assert page.html_lang == "ru"
    assert {"username", "password", "totp", "login-submit", "login-error"} <= page.ids
    assert 'role="alert"' in login.text
    assert page.unlabelled() == []


async def test_login_page_follows_the_language_cookie(w: World) -> None:
    async with w.client() as c:
        c.cookies.set("korgoo_lang", "en")
        english = await c.get("/login")
        c.cookies.set("korgoo_lang", "xx")
        unknown = await c.get("/login")
    assert parse(english.text).html_lang == "en" and "Sign in" in english.text
    assert parse(unknown.text).html_lang == "ru" and "Войти" in unknown.text


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
async def test_every_page_renders_in_the_users_language(w: World, lang: str) -> None:
    async with w.client() as c:
        await w.login("supervisor", c)
        r = await c.patch("/api/v1/session", json={"language": lang})
        assert r.status_code == 200, r.text
        for path, ids in PAGES.items():
            r = await c.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            page = parse(r.text)
            assert page.html_lang == lang, path
            missing = set(ids + COMMON_IDS) - page.ids
            assert not missing, (path, missing)
            assert page.unlabelled() == [], (path, page.unlabelled())
            token = re.search(r'<meta name="csrf-token" content="([^"]+)"', r.text)
            assert token and token.group(1) == c.headers["X-CSRF-Token"]
            assert "default-src 'self'" in r.headers["content-security-policy"]
        queue = await c.get("/")
    assert f"<h1>{QUEUE_TITLE[lang]}</h1>" in queue.text


async def test_evidence_export_is_offered_only_to_roles_that_may(w: World) -> None:
    alert_page = f"/alerts/{quote(ALERT_KEY, safe='')}"
    async with w.client() as c:
        await w.login("operator", c)
        operator = parse((await c.get(alert_page)).text)
    async with w.client() as c:
        await w.login("supervisor", c)
        html = (await c.get(alert_page)).text
    assert "evidence-export" not in operator.ids
    assert 'id="evidence-export"' in html
    assert f'action="/api/v1/alerts/{quote(ALERT_KEY)}/evidence.pdf"' in html


async def test_assets_of_every_page_are_served_and_leaflet_is_vendored(w: World) -> None:
    assets: set[str] = set()
    async with w.client() as c:
        await w.login("operator", c)
        for path in PAGES:
            assets |= set(parse((await c.get(path)).text).assets)
        assert "/static/vendor/leaflet/leaflet.js" in assets
        assert "/static/vendor/leaflet/leaflet.css" in assets
        # Every page script and the modules they import.
        modules = {f"/static/js/{p.name}" for p in (STATIC_DIR / "js").glob("*.js")}
        for asset in sorted(assets | modules):
            r = await c.get(asset)
            assert r.status_code == 200, asset
        leaflet = await c.get("/static/vendor/leaflet/leaflet.js")
    assert "Leaflet 1.9.4" in leaflet.text[:300]
    assert (STATIC_DIR / "vendor" / "leaflet" / "LICENSE").is_file()


async def test_no_page_or_static_file_loads_anything_from_elsewhere(w: World) -> None:
    async with w.client() as c:
        await w.login("supervisor", c)
        for path in [*PAGES, "/login"]:
            html = (await c.get(path)).text
            assert URL.findall(html) == [], path
    for f in STATIC_DIR.rglob("*"):
        if f.suffix not in (".js", ".css", ".html"):
            continue
        found = set(URL.findall(f.read_text(encoding="utf-8")))
        allowed = VENDOR_URLS if "vendor" in f.parts else set()
        assert found <= allowed, (f, found - allowed)
    templates = Path(STATIC_DIR).parent / "templates"
    for f in templates.glob("*.html"):
        assert URL.findall(f.read_text(encoding="utf-8")) == [], f


async def test_login_never_redirects_off_site(w: World) -> None:
    async with w.client() as c:
        await w.login("operator", c)
        elsewhere = await c.get("/login", params={"next": "//evil.example/x"})
        inside = await c.get("/login", params={"next": "/map"})
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/"
    assert inside.headers["location"] == "/map"


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
async def test_an_administrator_lands_on_the_administration_page(w: World, lang: str) -> None:
    async with w.client() as c:
        await w.login("admin", c)
        await c.patch("/api/v1/session", json={"language": lang})
        home = await c.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/admin"
        # Pages of case work send an administrator back to theirs.
        for path in ("/map", "/cases", f"/alerts/{quote(ALERT_KEY, safe='')}"):
            r = await c.get(path)
            assert (r.status_code, r.headers["location"]) == (303, "/admin"), path
        r = await c.get("/admin")
        assert r.status_code == 200
        page = parse(r.text)
        assert page.html_lang == lang
        assert {"users", "user-new", "user-form", "user-reason", "action-reason"} <= page.ids
        assert page.unlabelled() == []
        # Only the links the role can use, and no live badge it would never see live.
        assert {"nav-admin", "nav-devices", "nav-audit"} <= page.ids
        assert not page.ids & {"nav-queue", "nav-map", "nav-cases", "live-status", "p1-banner"}
        assert (await c.get("/audit")).status_code == 200


async def test_an_operator_sees_no_administration_or_audit_links(w: World) -> None:
    async with w.client() as c:
        await w.login("operator", c)
        page = parse((await c.get("/")).text)
        assert {"nav-queue", "nav-map", "nav-cases", "nav-devices", "live-status"} <= page.ids
        assert not page.ids & {"nav-admin", "nav-audit"}
        for path in ("/admin", "/audit"):
            r = await c.get(path)
            assert (r.status_code, r.headers["location"]) == (303, "/"), path
