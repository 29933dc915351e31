"""The audit log, for supervisors, administrators (and later prosecutors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from korgoo.api.deps import ApiDep, require
from korgoo.api.permissions import Capability
from korgoo.api.responses import AuditEntryOut
from korgoo.api.schemas import CodeQuery, IdQuery, SearchQuery, TimeQuery, iso, parse_time
from korgoo.domain.text import said
from korgoo.store.audit import audit_entries
from korgoo.store.users import User

router = APIRouter(tags=["audit"])
Reader = Annotated[User, Depends(require(Capability.AUDIT_READ))]


@router.get("/audit", response_model=list[AuditEntryOut])
def audit(
    _: Reader,
    api: ApiDep,
    since: TimeQuery = None,
    until: TimeQuery = None,
    actor: IdQuery = None,
    action: CodeQuery = None,
    subject: SearchQuery = None,
    subject_contains: SearchQuery = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,  # a database integer
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """Entries newest first; `since`/`until` (ISO-8601) bound their time. An
    `action` ending in "." takes every action it begins; `subject_contains`
    matches a part of the subject (any case); `before_id` gives the page of
    entries older than that one (the last id of the page before)."""
    try:
        t0 = None if since is None else parse_time(since, "since")
        t1 = None if until is None else parse_time(until, "until")
    except ValueError as e:
        raise HTTPException(422, said(e)) from None
    entries = audit_entries(
        api.db,
        since=t0,
        until=t1,
        actor=actor or None,
        action=action or None,
        subject=subject or None,
        subject_contains=subject_contains or None,
        before_id=before_id,
        limit=limit,
    )
    return [
        {
            "id": e.id,
            "at": iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "details": e.details,
        }
        for e in entries
    ]
