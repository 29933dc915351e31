"""The 422 answer to a malformed request, in the reader's language: one clause per
field naming it and what is wrong (with the limit, for a value too long).

The console sends its page's language as `Accept-Language` (see static/js/common.js);
a client that sends none is answered in English, the API's own language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from korgoo.web.i18n import LANGUAGES, gettext

API_LANGUAGE: Final = "en"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


# Pydantic's error type -> the clause said about the field ({field}, {limit}).
_CLAUSES: Final = {
    "missing": N_("'{field}' is required"),
    "string_too_long": N_("'{field}' may have at most {limit} characters"),
    "too_long": N_("'{field}' may have at most {limit} items"),
    "string_too_short": N_("'{field}' needs at least {limit} characters"),
    "too_short": N_("'{field}' needs at least {limit} items"),
}
_LIMITS: Final = ("max_length", "min_length")
# Any other error: the field, and pydantic's own words in English.
# Translators: {message} stays in English; say that the value is not accepted.
_OTHER: Final = N_("'{field}': {message}")
_NOT_JSON: Final = N_("the request body is not valid JSON")
_SENTENCE: Final = N_("Invalid request: {problems}.")


def request_language(accept_language: str, cookie: str | None = None) -> str:
    """The first supported language of an `Accept-Language` header ("ky,ru;q=0.8"),
    else of the console's language cookie, else English."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return cookie if cookie in LANGUAGES else API_LANGUAGE


def _clause(error: Mapping[str, Any], lang: str) -> str:
    if error.get("type") == "json_invalid":
        return gettext(lang, _NOT_JSON)
    loc = [str(p) for p in error.get("loc", ())]
    named = [p for p in loc if p not in ("body", "query", "path", "header")]
    field = ".".join(named or loc[:1] or ["body"])
    ctx = error.get("ctx") or {}
    limit = next((ctx[k] for k in _LIMITS if k in ctx), None)
    template = _CLAUSES.get(str(error.get("type")))
    if template is not None and (limit is not None or error.get("type") == "missing"):
        return gettext(lang, template).format(field=field, limit=limit)
    message = str(error.get("msg", "invalid value"))
    return gettext(lang, _OTHER).format(field=field, message=message)


def describe_errors(errors: Sequence[Mapping[str, Any]], lang: str = API_LANGUAGE) -> str:
    """Pydantic's errors as one sentence: "Invalid request: 'text' may have at most
    2000 characters."."""
    problems = "; ".join(_clause(e, lang) for e in errors)
    return gettext(lang, _SENTENCE).format(problems=problems)
