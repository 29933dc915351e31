"""Languages of the console: gettext catalogues (Babel) and local date/time.

Each language gets its own Jinja2 environment with its translations installed,
so a request renders with `_()` in the user's language without shared mutable
state between concurrent requests. Times are shown in Asia/Bishkek.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from korgoo.domain.text import Text

LANGUAGES: Final = ("ru", "ky", "en")
DEFAULT_LANGUAGE: Final = "ru"
DOMAIN: Final = "korgoo"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"
LANGUAGE_NAMES: Final = {"ru": "Русский", "ky": "Кыргызча", "en": "English"}


def pick_language(*candidates: str | None) -> str:
    """The first supported language among the candidates, else Russian."""
    for lang in candidates:
        if lang and lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> Translations:
    """The compiled catalogue of `lang` (a missing one would fall back to msgids)."""
    loaded = Translations.load(str(LOCALE_DIR), [pick_language(lang)], DOMAIN)
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no compiled catalogue for {lang!r} in {LOCALE_DIR}")
    return loaded


def gettext(lang: str, message: str) -> str:
    return translations(lang).ugettext(message)


def say(text: Text | object, lang: str) -> str:
    """A `Text` (message id and values) in `lang`; anything else as it reads."""
    if isinstance(text, Text):
        return text.render(lambda message: gettext(lang, message))
    return str(text)


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local_datetime"] = lambda t: local_datetime(t, lang)
    return env


def local_datetime(t: float | datetime | None, lang: str, *, tz: str = "Asia/Bishkek") -> str:
    """A time as the operator reads it: date and time in Asia/Bishkek, in `lang`."""
    if t is None:
        return "—"
    moment = t if isinstance(t, datetime) else datetime.fromtimestamp(t, UTC)
    return format_datetime(moment, "medium", tzinfo=ZoneInfo(tz), locale=pick_language(lang))
