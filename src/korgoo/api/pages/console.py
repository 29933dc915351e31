"""The monitoring-centre console: server-rendered page shells.

Each page is a Jinja2 template carrying the user, the CSRF token, the language
and the translated labels; its dynamic parts are drawn by a small ES module
calling the JSON API (`/api/v1`) and listening to its server-sent events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from korgoo.alerts.escalation import UNITS
from korgoo.api.deps import get_api, optional_session
from korgoo.api.permissions import CREATABLE_ROLES, Capability, capabilities
from korgoo.api.routers.tiles import TILE_PATH
from korgoo.domain.agencies import AGENCIES, AGENCY_TYPE_OF_ROLE, Agency
from korgoo.domain.jurisdictions import JURISDICTIONS, Level
from korgoo.settings import Settings
from korgoo.web.i18n import LANGUAGE_NAMES, LANGUAGES, environment, gettext, pick_language
from korgoo.web.labels import (
    DEVICE_KINDS,
    MONITORING_KINDS,
    N_,
    ORDER_KINDS,
    ORDER_STATUS,
    OUTCOMES,
    PARTIES,
    PERSON_LANGUAGES,
    PERSON_ROLES,
    POLICE_OUTCOMES,
    ROLES,
    RULES,
    ZONE_KINDS,
    script_labels,
)

STATIC_DIR: Final = Path(__file__).resolve().parents[2] / "web" / "static"
LANGUAGE_COOKIE: Final = "korgoo_lang"
DISTRICTS: Final = tuple(j.code for j in JURISDICTIONS)
# The statistics page's district filter (named from the page's labels).
CITY_DISTRICTS: Final = tuple(j.code for j in JURISDICTIONS if j.level == Level.DISTRICT)
# Jurisdiction codes for a choice of district, a city's districts first (the
# pilot works in Bishkek's).
DISTRICTS_FIRST: Final = [
    j.code for j in sorted(JURISDICTIONS, key=lambda j: j.level != Level.DISTRICT)
]


class Viewer(msgspec.Struct, frozen=True):
    """Who is looking at a page: what the shell needs to know of the session."""

    username: str
    display_name: str
    role: str
    language: str
    csrf: str
    permissions: frozenset[str] = frozenset()


ViewerLookup = Callable[[Request], Awaitable[Viewer | None]]


async def api_viewer(request: Request) -> Viewer | None:
    """The signed-in user of the request, from the API's session cookie."""
    session = await run_in_threadpool(optional_session, request, get_api(request))
    if session is None:
        return None
    user = session.user
    return Viewer(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        language=user.language,
        csrf=session.csrf,
        permissions=frozenset(c.value for c in capabilities(user)),
    )


def map_tiles(request: Request) -> dict[str, Any] | None:
    """What the maps need to draw the served tiles, or None (a plain grid)."""
    tiles = get_api(request).tiles
    if tiles is None:
        return None
    return {"url": TILE_PATH, "max_zoom": tiles.max_zoom}


def static_files() -> StaticFiles:
    """The console's CSS, scripts and the vendored Leaflet, to mount at /static."""
    return StaticFiles(directory=STATIC_DIR)


# Pages load nothing from elsewhere: the map's tiles come from Korgoo too.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


C = Capability
# The units an escalation policy row may offer an alert to, in words.
UNIT_NAMES: Final = {
    "police_duty": N_("Police duty unit"),
    "district_inspector": N_("District inspector"),
    "probation": N_("Probation officer"),
}
ESCALATION_WORDS: Final = {
    "any_rule": N_("Every other rule"),
    "edit": N_("Edit"),
    "saved": N_("A new version is in force"),
    "no_versions": N_("No version saved yet: the built-in policy is in force"),
}


def pages_router(settings: Settings, viewer: ViewerLookup | None = None) -> APIRouter:
    """The console's HTML pages. `viewer` finds the session's user (the API's
    session lookup by default); without one, a page redirects to /login."""
    lookup = viewer or api_viewer
    router = APIRouter(include_in_schema=False)
    headers = SECURITY_HEADERS

    def render(
        request: Request, who: Viewer | None, template: str, script: str, **context: Any
    ) -> HTMLResponse:
        lang = pick_language(who.language if who else None, request.cookies.get(LANGUAGE_COOKIE))
        html = (
            environment(lang)
            .get_template(template)
            .render(
                lang=lang,
                user=who,
                role_label=gettext(lang, ROLES.get(who.role, who.role)) if who else "",
                csrf=who.csrf if who else "",
                languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
                labels=script_labels(lang),
                tiles=map_tiles(request),
                timezone=settings.timezone,
                script=script,
                path=request.url.path,
                **context,
            )
        )
        return HTMLResponse(html, headers=headers)

    async def page(
        request: Request, template: str, script: str, need: Capability, **context: Any
    ) -> Response:
        who = await lookup(request)
        if who is None:
            # The raw path keeps an alert key's escapes for the way back.
            raw = request.scope.get("raw_path", request.url.path.encode())
            query = f"?{request.url.query}" if request.url.query else ""
            target = raw.decode("latin-1") + query
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        if need not in who.permissions:
            # A page the role cannot use: to the page it can (or to none at all).
            home = landing(who.permissions)
            if home is not None and home != request.url.path:
                return RedirectResponse(home, status_code=303)
            return render(request, who, "nothing.html", "nothing")
        return render(request, who, template, script, **context)

    @router.get("/login")
    async def login(request: Request) -> Response:
        if await lookup(request) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), 303)
        return render(request, None, "login.html", "login")

    @router.get("/")
    async def queue(request: Request) -> Response:
        return await page(
            request, "queue.html", "queue", C.ALERTS_READ, rules=RULES, districts=DISTRICTS
        )

    @router.get("/alerts/{alert_key:path}")
    async def alert(request: Request, alert_key: str) -> Response:
        return await page(
            request,
            "alert.html",
            "alert",
            C.ALERTS_READ,
            alert_key=alert_key,
            outcomes=OUTCOMES,
            parties=PARTIES,
        )

    @router.get("/map")
    async def live_map(request: Request) -> Response:
        return await page(request, "live_map.html", "live_map", C.TRACKS_READ)

    @router.get("/handover")
    async def handover(request: Request) -> Response:
        return await page(request, "handover.html", "handover", C.ALERTS_ACT)

    @router.get("/checkins")
    async def checkins(request: Request) -> Response:
        return await page(request, "checkins.html", "checkins", C.ALERTS_READ)

    @router.get("/cases")
    async def cases(request: Request) -> Response:
        return await page(
            request,
            "cases.html",
            "cases",
            C.ORDERS_READ,
            districts=DISTRICTS,
            order_status=ORDER_STATUS,
            order_kinds=ORDER_KINDS,
            district_codes=DISTRICTS_FIRST,
        )

    @router.get("/cases/{order_id}")
    async def case(request: Request, order_id: str) -> Response:
        return await page(
            request, "case.html", "case", C.ORDERS_READ, order_id=order_id, zone_kinds=ZONE_KINDS
        )

    @router.get("/persons")
    async def persons(request: Request) -> Response:
        return await page(
            request,
            "persons.html",
            "persons",
            C.PERSONS_READ,
            person_roles=PERSON_ROLES,
            person_languages=PERSON_LANGUAGES,
            district_codes=DISTRICTS_FIRST,
        )

    @router.get("/devices")
    async def devices(request: Request) -> Response:
        return await page(
            request, "devices.html", "devices", C.DEVICES_READ, device_kinds=DEVICE_KINDS
        )

    @router.get("/admin")
    async def admin(request: Request) -> Response:
        return await page(
            request,
            "admin.html",
            "admin",
            C.USERS_ADMIN,
            roles={r.value: ROLES[r.value] for r in sorted(CREATABLE_ROLES)},
            districts=DISTRICTS,
            agencies=[(a, agency_roles(a)) for a in AGENCIES],
        )

    @router.get("/police")
    async def police(request: Request) -> Response:
        return await page(
            request,
            "police.html",
            "police",
            C.POLICE_RESPOND,
            police_outcomes=POLICE_OUTCOMES,
            monitoring_kinds=MONITORING_KINDS,
            person_languages=PERSON_LANGUAGES,
        )

    @router.get("/police-sw.js")
    async def police_worker() -> Response:
        # Served beside /police so that it may control it (scope /police); never
        # cached by HTTP, so an update reaches the phones on their next visit.
        return FileResponse(
            STATIC_DIR / "js" / "police_sw.js",
            media_type="text/javascript",
            headers={**headers, "Cache-Control": "no-cache"},
        )

    @router.get("/requests")
    async def requests(request: Request) -> Response:
        return await page(request, "requests.html", "requests", C.ORDERS_READ)

    @router.get("/caseload")
    async def caseload(request: Request) -> Response:
        return await page(request, "caseload.html", "caseload", C.PROBATION_CASELOAD)

    @router.get("/audit")
    async def audit(request: Request) -> Response:
        return await page(request, "audit.html", "audit", C.AUDIT_READ)

    @router.get("/escalation")
    async def escalation(request: Request) -> Response:
        who = await lookup(request)
        lang = pick_language(who.language if who else None, request.cookies.get(LANGUAGE_COOKIE))
        units = [("", N_("Nobody (the centre only)"))] + [(u, UNIT_NAMES[u]) for u in UNITS]
        words: dict[str, Any] = {k: gettext(lang, v) for k, v in ESCALATION_WORDS.items()}
        words["units"] = {code: gettext(lang, name) for code, name in units}
        return await page(
            request,
            "escalation.html",
            "escalation",
            C.ESCALATION_MANAGE,
            units=list(words["units"].items()),
            words=words,
        )

    @router.get("/statistics")
    async def statistics(request: Request) -> Response:
        return await page(
            request, "statistics.html", "statistics", C.STATISTICS_READ, districts=CITY_DISTRICTS
        )

    return router


# Where each role starts: the first page of this list that it may use.
LANDINGS: Final = (
    ("/", Capability.ALERTS_READ),
    ("/admin", Capability.USERS_ADMIN),
    ("/police", Capability.POLICE_RESPOND),
    ("/caseload", Capability.PROBATION_CASELOAD),
    ("/cases", Capability.ORDERS_READ),
    ("/audit", Capability.AUDIT_READ),
    ("/devices", Capability.DEVICES_READ),
    ("/statistics", Capability.STATISTICS_READ),
    ("/escalation", Capability.ESCALATION_MANAGE),
)


def agency_roles(agency: Agency) -> list[str]:
    """The roles an administrator may give in `agency`."""
    creatable = {r.value for r in CREATABLE_ROLES}
    return [r for r, t in AGENCY_TYPE_OF_ROLE.items() if t == agency.type and r in creatable]


def landing(permissions: frozenset[str]) -> str | None:
    """The page a user with these capabilities lands on; None if no page is theirs."""
    return next((path for path, need in LANDINGS if need in permissions), None)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"
