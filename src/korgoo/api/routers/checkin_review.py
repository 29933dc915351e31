"""Identity check-ins reviewed by an operator: the check-in photo beside the
respondent's reference photo, confirmed or rejected, and the reference photo
itself (uploaded on the person's record).

A rejection means someone else carries his phone: it enters the event log as a
`check_in_rejected` signal of the phone that sent the photo, so the engine
raises the alert (`checkin.rejected`) and a replay raises it again. Devices
cannot send that signal (the native gateway refuses it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, in_scope, scope
from korgoo.api.responses import CheckinOut, Out
from korgoo.api.routers.persons import visible_person
from korgoo.api.schemas import NOTE_MAX
from korgoo.apps.checkins import JPEG_MAGIC, MAX_PHOTO_BYTES, checkin_json
from korgoo.domain.events import Signal, SignalKind
from korgoo.domain.ingest import Message, StoreUnavailable, Verdict
from korgoo.domain.text import N_
from korgoo.store.audit import audit_append
from korgoo.store.checkins import Checkin, awaiting_review, load, record_review
from korgoo.store.db import begin_write
from korgoo.store.orders import latest_version, order_ids_in
from korgoo.store.registry import get_person, set_photo
from korgoo.store.users import User

router = APIRouter(tags=["checkins"])
Reader = Annotated[User, Depends(require(Capability.ALERTS_READ))]
Actor = Annotated[User, Depends(require(Capability.ALERTS_ACT))]
PersonWriter = Annotated[User, Depends(require(Capability.PERSONS_WRITE))]
PersonReader = Annotated[User, Depends(require(Capability.PERSONS_READ))]


class ReviewIn(BaseModel):
    outcome: Literal["confirmed", "rejected"]
    note: str = Field(default="", max_length=NOTE_MAX)


class CheckinToReviewOut(CheckinOut):
    order_number: str | None
    respondent_id: str | None
    reference_photo_url: str | None


class PersonPhotoOut(Out):
    person_id: str
    has_photo: bool


def _photo_url(checkin_id: str) -> str:
    return f"/api/v1/checkins/{checkin_id}/photo"


def _respondent(api: Api, order_id: str) -> tuple[str | None, bool]:
    """The order's respondent and whether a reference photo of him is on record."""
    version = latest_version(api.db, order_id)
    if version is None:
        return None, False
    person = get_person(api.db, version.respondent_id)
    return version.respondent_id, person is not None and person.photo_path is not None


def _to_review(
    api: Api, c: Checkin, respondents: dict[str, tuple[str | None, bool]]
) -> dict[str, Any]:
    ref = api.orders.get(c.order_id)
    if c.order_id not in respondents:  # one look-up per order, not per check-in
        respondents[c.order_id] = _respondent(api, c.order_id)
    respondent_id, has_photo = respondents[c.order_id]
    return checkin_json(c, _photo_url) | {
        "order_number": None if ref is None else ref.number,
        "respondent_id": respondent_id,
        "reference_photo_url": (
            f"/api/v1/persons/{respondent_id}/photo" if has_photo and respondent_id else None
        ),
    }


@router.get("/checkin-reviews", response_model=list[CheckinToReviewOut])
def to_review(user: Reader, api: ApiDep) -> list[dict[str, Any]]:
    """Check-in photos no operator has reviewed yet, oldest first, in the user's
    districts, each with the respondent's reference photo when there is one."""
    districts = scope(user)
    order_ids = None if districts is None else order_ids_in(api.db, districts)
    respondents: dict[str, tuple[str | None, bool]] = {}
    return [_to_review(api, c, respondents) for c in awaiting_review(api.db, order_ids)]


@router.post("/checkins/{checkin_id}/review", response_model=CheckinOut)
async def review(checkin_id: str, body: ReviewIn, user: Actor, api: ApiDep) -> dict[str, Any]:
    """Confirm that the photo shows the respondent, or reject it (a note saying
    why is required): a rejection raises a `checkin.rejected` alert."""
    found = await asyncio.to_thread(load, api.db, checkin_id=checkin_id)
    ref = api.orders.get(found[0].order_id) if found else None
    if not found or ref is None or not in_scope(user, ref.district):
        raise not_found(N_("Check-in {checkin_id}", checkin_id=checkin_id))
    c = found[0]
    if c.photo_path is None or c.device_id is None:
        raise HTTPException(409, N_("No photo has come for this check-in yet."))
    note = body.note.strip()
    if body.outcome == "rejected" and not note:
        raise HTTPException(422, N_("'note': say why the photo is rejected."))
    at = api.now()

    def store() -> bool:
        with begin_write(api.db) as conn:
            done = record_review(
                conn, checkin_id, review=body.outcome, by=user.username, at=at, note=note
            )
            if done:
                details = {"order_id": c.order_id, "outcome": body.outcome}
                subject = f"checkin:{c.id}"
                audit_append(conn, user.username, "checkin.reviewed", subject, details, at=at)
            return done

    if not await asyncio.to_thread(store):
        raise HTTPException(409, N_("This check-in has been reviewed already."))
    if body.outcome == "rejected":
        signal = Signal(c.device_id, at, at, SignalKind.CHECK_IN_REJECTED, source="centre")
        try:
            (outcome,) = await api.service.submit(
                [Message(event=signal, msg_key=f"{c.device_id}/review:{c.id}")]
            )
        except StoreUnavailable:
            raise HTTPException(
                503, N_("The store is busy; the review is kept, try again.")
            ) from None
        if outcome.verdict is Verdict.REJECTED:
            raise HTTPException(
                409, N_("The alert could not be raised: {reason}.", reason=outcome.reason)
            )
    reviewed = await asyncio.to_thread(load, api.db, checkin_id=checkin_id)
    return checkin_json(reviewed[0], _photo_url)


@router.post("/persons/{person_id}/photo", status_code=201, response_model=PersonPhotoOut)
async def upload_photo(
    person_id: str,
    user: PersonWriter,
    api: ApiDep,
    photo: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    """The person's reference photo (JPEG, at most 2 MB), replacing any earlier one."""
    await asyncio.to_thread(visible_person, api, user, person_id)
    data = await photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise HTTPException(413, N_("The photo is larger than 2 MB."))
    if not data.startswith(JPEG_MAGIC):
        raise HTTPException(422, N_("'photo': a JPEG image is expected."))
    at = api.now()
    path = Path(api.settings.person_photos_dir) / f"{person_id}.jpg"

    def store() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(path)
        with begin_write(api.db) as conn:
            set_photo(conn, person_id, str(path), at=at)
            audit_append(conn, user.username, "person.photo", f"person:{person_id}", {}, at=at)

    await asyncio.to_thread(store)
    return {"person_id": person_id, "has_photo": True}


@router.get(
    "/persons/{person_id}/photo",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def person_photo(person_id: str, user: PersonReader, api: ApiDep) -> FileResponse:
    person = visible_person(api, user, person_id)
    if person.photo_path is None or not Path(person.photo_path).exists():
        raise not_found(N_("Photo of person {person_id}", person_id=person_id))
    return FileResponse(Path(person.photo_path), media_type="image/jpeg")
