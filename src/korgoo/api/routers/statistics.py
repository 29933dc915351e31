"""The centre's figures for the ministry: `GET /statistics` (JSON) and the same
as a table for other agencies (`/statistics.csv`, `/statistics.xlsx`, small
counts suppressed). Figures only: a role with `statistics.read` alone sees no
person, order, alert or position (see `permissions`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from korgoo.api.deps import Api, ApiDep, require
from korgoo.api.permissions import Capability, in_scope, scope
from korgoo.api.responses import StatisticsOut
from korgoo.api.routers.persons import DISTRICTS
from korgoo.api.schemas import CODE_MAX, TIME_MAX, CodeQuery, iso
from korgoo.domain.text import N_
from korgoo.figures.statistics import Statistics, compute
from korgoo.store.statistics import statistics_inputs
from korgoo.store.users import User
from korgoo.web.exports import to_csv, to_xlsx
from korgoo.web.i18n import pick_language

router = APIRouter(tags=["statistics"])
Reader = Annotated[User, Depends(require(Capability.STATISTICS_READ))]
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
Since = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=TIME_MAX,
        description="Start: a date (local midnight in Bishkek) or an ISO 8601 time. "
        "Default: 30 days before the end.",
    ),
]
Until = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=TIME_MAX,
        description="End: a date (counted whole, to its local midnight) or an ISO 8601 "
        "time (exclusive). Default: now.",
    ),
]
District = Annotated[
    str | None, Query(max_length=CODE_MAX, description="A district code, e.g. KG-GB-OKT.")
]


def _instant(text: str, tz: ZoneInfo, *, end: bool) -> float:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise HTTPException(
                422, N_("'{text}' is not a date (2026-01-31) or an ISO 8601 time.", text=text)
            ) from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=tz).timestamp()


def figures(
    api: Api, user: User, since: str | None, until: str | None, district: str | None
) -> Statistics:
    tz = ZoneInfo(api.settings.timezone)
    now = api.now()
    to_at = now if until is None else _instant(until, tz, end=True)
    from_at = to_at - DEFAULT_DAYS * 86400 if since is None else _instant(since, tz, end=False)
    if to_at <= from_at:
        raise HTTPException(422, N_("The period's end must come after its start."))
    if to_at - from_at > MAX_DAYS * 86400:
        raise HTTPException(
            422, N_("A period may be at most {max_days} days long.", max_days=MAX_DAYS)
        )
    if district is not None:
        if district not in DISTRICTS:
            raise HTTPException(
                422,
                N_(
                    "'{district}' is not a known district code (e.g. KG-GB-OKT).", district=district
                ),
            )
        if not in_scope(user, district):
            raise HTTPException(
                403, N_("District {district} is outside your districts.", district=district)
            )
    districts = (district,) if district is not None else scope(user)
    inputs = statistics_inputs(api.db, from_at=from_at, to_at=to_at, districts=districts)
    return compute(inputs, from_at=from_at, to_at=to_at, now=now, district=district)


def _json(s: Statistics) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(s)
    out["from_at"], out["to_at"] = iso(s.from_at), iso(s.to_at)
    return out


def _download(s: Statistics, suffix: str) -> str:
    stamp = datetime.fromtimestamp(s.to_at, UTC).strftime("%Y%m%d")
    where = f"-{s.district}" if s.district else ""
    return f'attachment; filename="korgoo-statistics{where}-{stamp}.{suffix}"'


@router.get("/statistics", response_model=StatisticsOut)
def statistics(
    user: Reader, api: ApiDep, since: Since = None, until: Until = None, district: District = None
) -> dict[str, Any]:
    """Orders, devices, alerts, false-alarm and breach rates, and response times
    over the period (default: the last 30 days), for one district or all the
    user's districts. See docs/statistics.md."""
    return _json(figures(api, user, since, until, district))


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(media_type: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a download's answer."""
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/statistics.csv", response_class=Response, responses=_file(CSV))
def statistics_csv(
    user: Reader,
    api: ApiDep,
    since: Since = None,
    until: Until = None,
    district: District = None,
    lang: CodeQuery = None,
) -> Response:
    """The figures as CSV in `lang` (default: the user's language); counts of 1 to 4 as "<5"."""
    s = figures(api, user, since, until, district)
    return Response(
        to_csv(s, pick_language(lang, user.language)),
        media_type=CSV,
        headers={"Content-Disposition": _download(s, "csv")},
    )


@router.get("/statistics.xlsx", response_class=Response, responses=_file(XLSX))
def statistics_xlsx(
    user: Reader,
    api: ApiDep,
    since: Since = None,
    until: Until = None,
    district: District = None,
    lang: CodeQuery = None,
) -> Response:
    """The figures as an Excel workbook in `lang`; counts of 1 to 4 as "<5"."""
    s = figures(api, user, since, until, district)
    return Response(
        to_xlsx(s, pick_language(lang, user.language)),
        media_type=XLSX,
        headers={"Content-Disposition": _download(s, "xlsx")},
    )
