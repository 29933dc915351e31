"""Whether the centre can monitor now: the banner of the console and the police
view polls `GET /api/v1/outage` (service.outage says when it cannot)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from korgoo.api.deps import require
from korgoo.api.permissions import Capability, scope
from korgoo.api.responses import OutageOut
from korgoo.api.schemas import iso
from korgoo.service.outage import OutageWatch
from korgoo.store.users import User

router = APIRouter(tags=["outage"])
Reader = Annotated[User, Depends(require(Capability.ORDERS_READ))]


@router.get("/outage", response_model=OutageOut)
def outage(user: Reader, request: Request) -> dict[str, Any]:
    """The current outage, if any: the centre sees every one; a police unit one
    that affects its districts (a district with a live order when it began)."""
    watch: OutageWatch = request.app.state.outage
    current = watch.current
    mine = scope(user)
    districts = [d for d in watch.districts if mine is None or d in mine]
    if current is None or (mine is not None and not districts):
        return {"active": False, "since": None, "causes": [], "districts": []}
    return {
        "active": True,
        "since": iso(current.started_at),
        "causes": list(current.causes),
        "districts": districts,
    }
