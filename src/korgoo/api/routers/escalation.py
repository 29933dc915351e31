"""The escalation policy, for supervisors: the table in force (one row per rule
and priority), its versions, and a new version from edited rows with a reason.

A new version goes through the event log (`Monitoring.policy_changed`), so the
alert book takes it in force in order with the engine's decisions and a replay
opens the same alerts with it; alerts already open keep the policy frozen on
them. The save goes on the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from korgoo.alerts.escalation import PolicyError, PolicyRow, PolicyTable, with_rows
from korgoo.api.deps import ApiDep, require
from korgoo.api.permissions import Capability
from korgoo.api.responses import Out
from korgoo.api.schemas import CODE_MAX, UserReason, iso
from korgoo.domain.decisions import Priority
from korgoo.domain.text import N_, said
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.escalation import list_versions
from korgoo.store.users import User

router = APIRouter(tags=["escalation"])
Manager = Annotated[User, Depends(require(Capability.ESCALATION_MANAGE))]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_s: float
    notify: str = Field(max_length=CODE_MAX)


class RowIn(BaseModel):
    """One (rule, priority) row; "*" as the rule is every rule without its own row."""

    model_config = ConfigDict(extra="forbid")
    rule: str = Field(max_length=CODE_MAX)
    priority: Priority
    ack_sla_s: float
    steps: list[StepIn] = Field(default=[], max_length=10)
    unit: str | None = Field(default=None, max_length=CODE_MAX)
    probation_unit: str | None = Field(default=None, max_length=CODE_MAX)
    accept_s: float = 120.0
    failover: list[str] = Field(default=["supervisor"], max_length=10)
    channels: dict[str, list[str]] = Field(default={}, max_length=10)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_version: str = Field(max_length=CODE_MAX)  # the version edited: refused if not in force
    rows: list[RowIn] = Field(min_length=1, max_length=100)
    reason: UserReason


class StepOut(Out):
    after_s: float
    notify: str


class RowOut(Out):
    rule: str
    priority: str
    ack_sla_s: float
    steps: list[StepOut]
    unit: str | None
    probation_unit: str | None
    accept_s: float
    failover: list[str]
    channels: dict[str, list[str]]


class TableOut(Out):
    version: str
    number: int
    rows: list[RowOut]


class VersionOut(Out):
    version: str
    number: int
    at: str | None
    author: str
    reason: str
    rows: list[RowOut]


class PolicyOut(Out):
    current: TableOut
    versions: list[VersionOut]  # newest first; the code's default is not listed


def _table(table: PolicyTable) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(table)
    return out


@router.get("/escalation-policy", response_model=PolicyOut)
def policy(user: Manager, api: ApiDep) -> dict[str, Any]:
    """The policy in force for alerts opening now, and the saved versions."""
    versions = [
        {
            **_table(v.table),
            "at": iso(v.at),
            "author": v.author,
            "reason": v.reason,
        }
        for v in list_versions(api.db, limit=50)
    ]
    return {"current": _table(api.service.escalation_policy()), "versions": versions}


@router.post("/escalation-policy", response_model=TableOut, status_code=201)
async def save(body: PolicyIn, user: Manager, api: ApiDep) -> dict[str, Any]:
    """A new version: the rows given replace the rows of their rule and priority
    (or are added). In force for alerts that open from now on."""
    current = api.service.escalation_policy()
    if body.base_version != current.version:
        raise HTTPException(
            409,
            N_(
                "The policy was changed meanwhile (now {version}); reload and edit again.",
                version=current.version,
            ),
        )
    try:
        rows = [msgspec.convert(r.model_dump(), PolicyRow, strict=False) for r in body.rows]
        table = with_rows(current, rows)
    except PolicyError as e:
        raise HTTPException(422, said(e)) from None
    except msgspec.ValidationError as e:
        raise HTTPException(422, str(e)) from None
    if not await api.service.policy_changed(table, user.username, body.reason):
        raise HTTPException(409, N_("Another version was saved meanwhile; reload and edit again."))
    details = {
        "version": table.version,
        "reason": body.reason,
        "rows": [r.model_dump() for r in body.rows],
    }

    def audit() -> None:
        with begin_write(api.db) as conn:
            audit_append(
                conn,
                user.username,
                "escalation_policy.saved",
                f"escalation_policy:{table.version}",
                details,
                at=api.now(),
            )

    await run_in_threadpool(audit)
    return _table(api.service.escalation_policy())
