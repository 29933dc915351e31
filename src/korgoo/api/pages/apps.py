"""The respondent's and the protected person's phone apps: progressive web apps
served under /app/ (pages, manifests, service worker).

The pages are shells in the phone's language; their scripts (static/app/) call
the app API (`/app/api/v1`, see docs/apps-contract.md) with the device's own
credential, kept in IndexedDB by the enrolment page. Every word a script shows
comes from the catalogues, handed to the page translated as a JSON block.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from korgoo.api.pages.console import LANGUAGE_COOKIE, STATIC_DIR
from korgoo.settings import Settings
from korgoo.web.i18n import LANGUAGE_NAMES, LANGUAGES, environment, gettext, pick_language
from korgoo.web.labels import N_

APP_STATIC: Final = STATIC_DIR / "app"
SCOPE: Final = "/app/"
THEME: Final = "#0f1b2d"

# Words the apps' scripts show, keyed by the code the script uses: those of
# both apps, then each app's own (a page carries only its app's words).
COMMON_MESSAGES: Final = {
    "link_on": N_("Connected"),
    "link_off": N_("No connection"),
    "offline": N_("No connection. Try again when the phone is online."),
    "not_enrolled": N_("This phone is not enrolled."),
    "revoked": N_("This phone is no longer enrolled."),
    # The order's own end, with its date; nothing of the other person.
    "order_over": N_("Monitoring has stopped"),
    "order_ended": N_("The order ended on {date}. Monitoring has stopped."),
    "order_revoked": N_("The order was revoked on {date}. Monitoring has stopped."),
    # A date where the phone's browser has no patterns for the language (Kyrgyz in
    # many): "{day} January" is the day and its month as a date says them.
    "month_1": N_("{day} January"),
    "month_2": N_("{day} February"),
    "month_3": N_("{day} March"),
    "month_4": N_("{day} April"),
    "month_5": N_("{day} May"),
    "month_6": N_("{day} June"),
    "month_7": N_("{day} July"),
    "month_8": N_("{day} August"),
    "month_9": N_("{day} September"),
    "month_10": N_("{day} October"),
    "month_11": N_("{day} November"),
    "month_12": N_("{day} December"),
    "date_long": N_("{day_month} {year}, {time}"),
}

RESPONDENT_MESSAGES: Final = {
    "monitoring_on": N_("Monitoring is on"),
    "monitoring_starting": N_("Starting monitoring…"),
    "monitoring_blocked": N_(
        "Location access is blocked. The centre has been told. "
        "Allow location for this app in the phone's settings."
    ),
    "position_imprecise": N_("Your position is imprecise. Go outside or turn on GPS."),
    "allow_location": N_("Allow location"),
    "leave_now_title": N_("Leave now"),
    "leave_now_body": N_(
        "You are too close to a protected person. Move away now and keep going "
        "until this screen says you are clear."
    ),
    "leave_zone_title": N_("Leave this place now"),
    "leave_zone_body": N_("Your order forbids you to be here:"),
    "leave_zone_more": N_("Leave now and keep going until this screen says you are clear."),
    # A zone he was not told of: no name, no hint of whose place it is.
    "leave_area_title": N_("Leave this area now"),
    "leave_area_body": N_(
        "You must not be in this area. Leave now and keep going until this screen "
        "says you are clear."
    ),
    "clear": N_("You are clear. Keep away."),
    "keep_away": N_("Keep at least this far from the protected person:"),
    "metres": N_("m"),
    "no_entry": N_("Do not enter:"),
    "stay_in": N_("Be inside:"),
    "no_contact": N_("No contact with the protected person by any means"),
    "no_contact_body": N_("no calls, messages, visits, or contact through other people."),
    "always": N_("at all times"),
    "days": N_("Mon Tue Wed Thu Fri Sat Sun"),
    "checkin_title": N_("Identity check-in"),
    "checkin_body": N_("Take a photo of your face with the front camera and send it."),
    "checkin_sent": N_("Check-in sent. Thank you."),
    "checkin_late": N_("Too late: the check-in was missed. The centre has been told."),
    "checkin_failed": N_("The photo could not be sent. Try again."),
    "camera_blocked": N_("The camera is blocked. Allow the camera for this app."),
    "retake": N_("Retake"),
}

VICTIM_MESSAGES: Final = {
    "sharing_on": N_("Sharing your location. Your protection zone is active."),
    "sharing_paused": N_(
        "Sharing is PAUSED. The centre cannot see where you are and your "
        "protection zone around you is off."
    ),
    "pause": N_("Pause sharing"),
    "resume": N_("Share my location"),
    "panic_keep": N_("Keep holding…"),
    "panic_sending": N_("Sending your SOS…"),
    "panic_sent": N_("SOS sent. Waiting for the centre to confirm…"),
    "panic_queued": N_(
        "No connection. Your SOS will be sent as soon as possible. Call the police."
    ),
    # What has happened to her alarm, and nothing more (see apps/victim_view.py).
    "status_received": N_("The monitoring centre has received the alarm."),
    "status_handling": N_("An operator is handling the alarm."),
    "status_police_notified": N_("The police have been notified."),
    "prealert_title": N_("He may be nearby"),
    "prealert_body": N_(
        "The centre is watching. Stay where people are and keep your phone with you."
    ),
    "alert_title": N_("He is near"),
    "alert_body": N_("Go to a safe place now."),
    "all_clear_title": N_("All clear"),
    "all_clear_body": N_("He has left the area. The centre keeps watching."),
    "technical_title": N_("Technical notice"),
    "technical_battery_low": N_("Your phone's battery is low. Charge it to stay protected."),
    "technical_sharing_paused": N_("Your location sharing is paused."),
    "technical_no_signal": N_(
        "The centre is not receiving your position. Check that location is on."
    ),
    "technical_system": N_("The system has a problem. If you are in danger, call the police."),
    "technical_connection": N_(
        "No connection to the centre. If you are in danger, call the police."
    ),
    "dismiss": N_("OK"),
}

APP_MESSAGES: Final = {
    "respondent": COMMON_MESSAGES | RESPONDENT_MESSAGES,
    "victim": COMMON_MESSAGES | VICTIM_MESSAGES,
    "enrol": COMMON_MESSAGES,
}


def app_labels(app: str, lang: str) -> dict[str, str]:
    return {code: gettext(lang, message) for code, message in APP_MESSAGES[app].items()}


def security_headers() -> dict[str, str]:
    """Nothing from elsewhere; the camera preview and the photo are blobs."""
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "geolocation=(self), camera=(self), microphone=()",
    }


def manifest(app: str, lang: str) -> dict[str, object]:
    """The web app manifest: what the phone's home screen shows and opens."""
    names = {
        "respondent": N_("Korgoo monitoring"),
        "victim": N_("Korgoo protection"),
    }
    name = gettext(lang, names[app])
    return {
        "id": f"{SCOPE}{app}",
        "name": name,
        "short_name": "Korgoo",
        "lang": lang,
        "start_url": f"{SCOPE}{app}",
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {
                "src": f"/static/app/icons/{app}-{size}.png",
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ]
        + [{"src": f"/static/app/icons/{app}.svg", "sizes": "any", "type": "image/svg+xml"}],
    }


def apps_router(settings: Settings) -> APIRouter:
    """GET /app/respondent, /app/victim, /app/enrol, their manifests and /app/sw.js."""
    router = APIRouter(include_in_schema=False)
    headers = security_headers()

    def language(request: Request) -> str:
        return pick_language(request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE))

    def render(request: Request, app: str) -> HTMLResponse:
        lang = language(request)
        html = (
            environment(lang)
            .get_template(f"app_{app}.html")
            .render(
                lang=lang,
                app=app,
                languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
                labels=app_labels(app, lang),
                timezone=settings.timezone,
                theme=THEME,
            )
        )
        return HTMLResponse(html, headers=headers)

    @router.get("/app/respondent")
    async def respondent(request: Request) -> Response:
        return render(request, "respondent")

    @router.get("/app/victim")
    async def victim(request: Request) -> Response:
        return render(request, "victim")

    @router.get("/app/enrol")
    async def enrol(request: Request) -> Response:
        return render(request, "enrol")

    @router.get("/app/manifest-{app}.json")
    async def app_manifest(request: Request, app: str) -> Response:
        if app not in ("respondent", "victim"):
            return JSONResponse({"detail": "no such app"}, status_code=404)
        return JSONResponse(
            manifest(app, language(request)),
            media_type="application/manifest+json",
            headers={"Cache-Control": "no-cache"},
        )

    @router.get("/app/sw.js")
    async def service_worker() -> Response:
        # Served from /app/ so that its scope is /app/; never cached by HTTP, so
        # an update reaches the phones on their next visit.
        return FileResponse(
            APP_STATIC / "sw.js",
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": SCOPE},
        )

    return router
