"""Agencies and jurisdictions, for administrators: the agencies a user may be
placed in (with the roles each holds), and the rollout switch per jurisdiction
(`monitoring_enabled`: orders may be entered only where it is on). Each switch
names its reason and goes on the audit log in the same transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from korgoo.api.deps import ApiDep, not_found, require
from korgoo.api.permissions import CREATABLE_ROLES, Capability
from korgoo.api.responses import AgencyOut, JurisdictionOut
from korgoo.api.schemas import UserReason
from korgoo.domain.agencies import AGENCY_TYPE_OF_ROLE
from korgoo.domain.text import N_
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.registry import (
    list_agencies,
    list_jurisdictions,
    monitored_districts,
    set_monitoring,
)
from korgoo.store.users import User

router = APIRouter(tags=["agencies"])
Admin = Annotated[User, Depends(require(Capability.USERS_ADMIN))]


class MonitoringIn(BaseModel):
    monitoring_enabled: bool
    reason: UserReason  # why: on the audit log


def _name(record: Any, language: str) -> str:
    return str(getattr(record, f"name_{language}", record.name_ru))


@router.get("/agencies", response_model=list[AgencyOut])
def agencies(user: Admin, api: ApiDep) -> list[dict[str, Any]]:
    """Every agency with the districts it serves and the roles its users may have."""
    creatable = {r.value for r in CREATABLE_ROLES}
    roles = {
        t: sorted(r for r, k in AGENCY_TYPE_OF_ROLE.items() if k == t and r in creatable)
        for t in set(AGENCY_TYPE_OF_ROLE.values())
    }
    return [
        {
            "id": a.id,
            "type": a.type.value,
            "name": _name(a, user.language),
            "districts": list(a.districts),
            "roles": roles[a.type],
        }
        for a in list_agencies(api.db)
    ]


def _jurisdictions(api: Any, language: str) -> list[dict[str, Any]]:
    enabled = monitored_districts(api.db)
    return [
        {
            "code": j.code,
            "level": j.level.value,
            "name": _name(j, language),
            "parent": j.parent,
            "monitoring_enabled": j.code in enabled,
        }
        for j in list_jurisdictions(api.db)
    ]


@router.get("/jurisdictions", response_model=list[JurisdictionOut])
def jurisdictions(user: Admin, api: ApiDep) -> list[dict[str, Any]]:
    """Every jurisdiction and whether monitoring has been rolled out there."""
    return _jurisdictions(api, user.language)


@router.patch("/jurisdictions/{code}", response_model=JurisdictionOut)
def switch(code: str, body: MonitoringIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Switch monitoring on or off in a jurisdiction. Switching it off refuses new
    orders there; orders already entered keep being monitored."""
    with begin_write(api.db) as conn:
        if not set_monitoring(conn, code, body.monitoring_enabled):
            raise not_found(N_("Jurisdiction {code}", code=repr(code)))
        details = {"monitoring_enabled": body.monitoring_enabled, "reason": body.reason}
        audit_append(
            conn,
            admin.username,
            "jurisdiction.monitoring",
            f"jurisdiction:{code}",
            details,
            at=api.auth_clock(),
        )
    return next(j for j in _jurisdictions(api, admin.language) if j["code"] == code)
