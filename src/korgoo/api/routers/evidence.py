"""Evidence of one alert for the court: the signed bundle and the report (PDF).

The bundle needs `evidence.export` (supervisors), the report `evidence.report`
(supervisors, prosecutors, courts: see `permissions`); both need a `reason`,
which goes on the audit log with who exported what. Both are scoped like the
alert: outside the user's districts the alert is not found. Mounted before the alerts
router, whose `/alerts/{key:path}` would otherwise take these paths.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from korgoo.api.deps import Api, ApiDep, require
from korgoo.api.permissions import Capability, can
from korgoo.api.routers.alerts import find_alert
from korgoo.api.schemas import REASON_MAX, CodeQuery
from korgoo.domain.text import N_, said
from korgoo.evidence.bundle import Evidence, SelectionError, alert_selection, collect, export_bundle
from korgoo.evidence.keys import signing_key
from korgoo.evidence.report import export_report
from korgoo.store.users import User
from korgoo.web.i18n import environment, pick_language

router = APIRouter(tags=["evidence"])
Exporter = Annotated[User, Depends(require(Capability.EVIDENCE_EXPORT))]
Reporter = Annotated[User, Depends(require(Capability.EVIDENCE_REPORT))]
Reason = Annotated[str, Query(min_length=1, max_length=REASON_MAX, description="Why (audit log).")]


def _evidence(api: Api, user: User, key: str, reason: str) -> Evidence:
    if not reason.strip():
        raise HTTPException(422, N_("An export needs a reason."))
    find_alert(api, user, key)
    try:
        return collect(api.db, alert_selection(api.db, key, api.now()), api.service.params)
    except SelectionError as e:
        raise HTTPException(409, said(e)) from None


def _filename(evidence: Evidence, suffix: str) -> str:
    number = re.sub(r"[^A-Za-z0-9._-]+", "-", evidence.order.number)
    stamp = int(evidence.selection.to_at)
    return f'attachment; filename="evidence-{number}-{stamp}.{suffix}"'


@router.get(
    "/alerts/{key:path}/evidence.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def alert_bundle(key: str, reason: Reason, user: Exporter, api: ApiDep) -> Response:
    """The alert's evidence bundle: events from the order's first version, the
    decisions, order versions, rules and parameters, signed by the centre's key;
    `korgoo evidence verify` checks it."""
    evidence = _evidence(api, user, key, reason)
    done = export_bundle(
        api.db,
        evidence,
        key=signing_key(api.settings),
        actor=user.username,
        reason=reason,
        now=api.now(),
    )
    return Response(
        done.data,
        media_type="application/zip",
        headers={"Content-Disposition": _filename(evidence, "zip")},
    )


@router.get(
    "/alerts/{key:path}/evidence.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def alert_report(
    key: str, reason: Reason, user: Reporter, api: ApiDep, lang: CodeQuery = None
) -> Response:
    """The alert's evidence report in `lang` (default: the user's language). The
    protected person's positions are in it only for a role that may read them."""
    evidence = _evidence(api, user, key, reason)
    language = pick_language(lang, user.language)
    pdf = export_report(
        api.db,
        evidence,
        environment(language),
        language=language,
        protected_ok=can(user, Capability.LOCATIONS_PROTECTED_READ),
        actor=user.username,
        reason=reason,
        now=api.now(),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": _filename(evidence, "pdf")},
    )
