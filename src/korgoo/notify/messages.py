"""The messages, from gettext templates in the recipient's language (ru, ky, en).

The catalogues are the console's (`locale/<lang>/LC_MESSAGES/korgoo.mo`); these
strings are extracted from this module (babel.cfg). An SMS says what has
happened and who to call, never where the respondent is or how far away. A
unit's message (`unit_*`) names the alert's rule, priority and district and
links to the unit's view, never the protected person's position.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import Translations

from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.domain.rules import CATALOGUE

LANGUAGES: Final = ("ru", "ky", "en")
DEFAULT_LANGUAGE: Final = "ru"
TIMEZONE: Final = "Asia/Bishkek"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


# template -> (e-mail subject, text); {centre} and {police} are phone numbers;
# a unit's message has {rule}, {priority}, {district} and {link}; the end of an
# order has {date} (when it ended, in the recipient's language and local time).
TEMPLATES: Final = {
    "prealert": (
        N_("Korgoo: warning"),
        N_(
            "Korgoo: he may be nearby. Stay where people are and keep your phone with you. "
            "Police: {police}. Centre: {centre}."
        ),
    ),
    "alert": (
        N_("Korgoo: danger"),
        N_("Korgoo: he is near. Go to a safe place now. Police: {police}. Centre: {centre}."),
    ),
    "all_clear": (
        N_("Korgoo: all clear"),
        N_("Korgoo: he has left the area. The centre keeps watching. Centre: {centre}."),
    ),
    "order_ended": (
        N_("Korgoo: protective order ended"),
        N_(
            "Korgoo: the protective order ended on {date}; the centre no longer monitors it. "
            "If you are in danger call the police: {police}. Centre: {centre}."
        ),
    ),
    "order_revoked": (
        N_("Korgoo: protective order revoked"),
        N_(
            "Korgoo: the protective order was revoked on {date}; the centre no longer "
            "monitors it. If you are in danger call the police: {police}. Centre: {centre}."
        ),
    ),
    "monitoring_interrupted": (
        N_("Korgoo: monitoring interrupted"),
        N_(
            "Korgoo: the centre's monitoring is interrupted for now. Do not rely on a warning "
            "from us; if you are in danger call the police: {police}. Centre: {centre}."
        ),
    ),
    "monitoring_restored": (
        N_("Korgoo: monitoring restored"),
        N_("Korgoo: the centre's monitoring works again. Centre: {centre}."),
    ),
    "unit_offer": (
        N_("Korgoo: {priority} alert for your unit"),
        N_("Korgoo: {priority} alert for your unit: {rule}, {district}. Open: {link}"),
    ),
    "unit_failover": (
        N_("Korgoo: {priority} alert not accepted by the police"),
        N_(
            "Korgoo: the police duty unit did not accept a {priority} alert in time: "
            "{rule}, {district}. Open: {link}"
        ),
    ),
    "unit_monitoring_interrupted": (
        N_("Korgoo: monitoring interrupted"),
        N_(
            "Korgoo: the centre's monitoring is interrupted for now ({district}): alerts may "
            "not reach you. Centre: {centre}."
        ),
    ),
    "unit_monitoring_restored": (
        N_("Korgoo: monitoring restored"),
        N_("Korgoo: the centre's monitoring works again ({district}). Centre: {centre}."),
    ),
}
# A unit's Web Push notification: (title, text), short for a phone's lock
# screen; tapping it opens the link, so the text does not carry it. Templates
# not named here show their e-mail subject and text.
PUSH_TEMPLATES: Final = {
    "unit_offer": (
        N_("Korgoo: {priority} alert"),
        N_("New alert {priority} in {district}: open Korgoo"),
    ),
    "unit_failover": (
        N_("Korgoo: {priority} alert not accepted"),
        N_("Alert {priority} in {district} not accepted by the police in time: open Korgoo"),
    ),
}
_RULE_LABELS: Final = {rule.value: spec.label for rule, spec in CATALOGUE.items()}
_DISTRICTS: Final = {j.code: j for j in JURISDICTIONS}


class Text(NamedTuple):
    subject: str
    body: str


def pick_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _catalogue(lang: str) -> Translations:
    loaded = Translations.load(str(LOCALE_DIR), [lang], "korgoo")
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no compiled catalogue for {lang!r} in {LOCALE_DIR}")
    return loaded


def local_date(iso: str, language: str, timezone: str = TIMEZONE) -> str:
    """An ISO-8601 time as a date and time said in `language`, in local time
    ("6 декабря 2026, 17:00"); '' for none."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo(timezone))
    return format_datetime(at, "d MMMM y, HH:mm", locale=pick_language(language))


def render(
    template: str,
    language: str,
    *,
    centre: str,
    police: str,
    params: Mapping[str, str] | None = None,
    push: bool = False,
) -> Text:
    """The subject and text of a template in `language` (Russian if unknown);
    `params` of a unit's message are shown in that language too. With `push`,
    a Web Push notification's title and text."""
    subject, body = (PUSH_TEMPLATES if push else {}).get(template, TEMPLATES[template])
    lang = pick_language(language)
    tr = _catalogue(lang)
    given = dict(params or {})
    rule = given.get("rule", "")
    district = _DISTRICTS.get(given.get("district", ""))
    values = {
        "centre": centre,
        "police": police,
        "priority": given.get("priority", ""),
        "rule": tr.ugettext(_RULE_LABELS[rule]) if rule in _RULE_LABELS else rule,
        "district": getattr(district, f"name_{lang}") if district else given.get("district", ""),
        "link": given.get("link", ""),
        "date": local_date(given.get("date", ""), lang),
    }
    return Text(tr.ugettext(subject).format(**values), tr.ugettext(body).format(**values))
