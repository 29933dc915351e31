"""A protected person's notification settings, and the SMS gateway's delivery reports.

Her SMS number is the person's phone; here are the language her SMS and e-mail
are written in and an e-mail address to fall back on, and the channels she
would be sent over now (none while she has the victim app: it warns her).

The provider calls this route (GET or POST, fields in the query, a form or
JSON, named by settings) with the centre's receipt token; the report is
recorded on the notification and on its alert's timeline. Without a token in
the settings the route does not exist (404).
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import ApiDep, require
from korgoo.api.permissions import Capability
from korgoo.api.responses import NotifySettingsOut, SmsReceiptOut
from korgoo.api.routers.persons import visible_person
from korgoo.api.schemas import NotifySettingsIn
from korgoo.domain.text import N_
from korgoo.notify.channels import enabled_channels, receipt_status
from korgoo.notify.messages import DEFAULT_LANGUAGE
from korgoo.notify.model import Recipient
from korgoo.notify.policy import route_for
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.notifications import contacts, preferences, record_receipt, set_preferences
from korgoo.store.users import User

router = APIRouter(tags=["notifications"])
Reader = Annotated[User, Depends(require(Capability.PERSONS_READ))]
Writer = Annotated[User, Depends(require(Capability.PERSONS_WRITE))]


def _settings_json(api: ApiDep, person_id: str) -> dict[str, Any]:
    set_ = preferences(api.db, person_id)
    language, email = set_ if set_ is not None else (DEFAULT_LANGUAGE, None)
    with api.db.connect() as conn:
        (contact,) = contacts(conn, [person_id])
    her = Recipient(person_id, language, contact.phone, email, contact.has_app)
    route = route_for(her, enabled_channels(api.settings))
    return {
        "person_id": person_id,
        "language": language,
        "email": email,
        "phone": contact.phone,
        "channels": [channel.value for channel, _ in route],
    }


@router.get("/persons/{person_id}/notify", response_model=NotifySettingsOut)
def notify_settings(person_id: str, user: Reader, api: ApiDep) -> dict[str, Any]:
    visible_person(api, user, person_id)
    return _settings_json(api, person_id)


@router.put("/persons/{person_id}/notify", response_model=NotifySettingsOut)
def set_notify_settings(
    person_id: str, body: NotifySettingsIn, user: Writer, api: ApiDep
) -> dict[str, Any]:
    visible_person(api, user, person_id)
    at = api.now()
    with begin_write(api.db) as conn:
        set_preferences(conn, person_id, language=body.language, email=body.email)
        details = {"language": body.language, "email": body.email is not None}
        audit_append(conn, user.username, "person.notify", f"person:{person_id}", details, at=at)
    return _settings_json(api, person_id)


async def _fields(request: Request) -> dict[str, str]:
    fields = dict(request.query_params)
    body = await request.body()
    if not body:
        return fields
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    try:
        if kind == "application/json":
            parsed = json.loads(body)
            if not isinstance(parsed, dict):
                raise ValueError(N_("not an object"))
            fields |= {str(k): str(v) for k, v in parsed.items()}
        else:
            fields |= dict(parse_qsl(body.decode(), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(
            422, N_("the delivery report is not readable: {exc}", exc=exc)
        ) from None
    return fields


# One handler, two operations: providers report by GET or by POST.
@router.get("/notify/sms-receipts", response_model=SmsReceiptOut, operation_id="sms_receipt_by_get")
@router.post(
    "/notify/sms-receipts", response_model=SmsReceiptOut, operation_id="sms_receipt_by_post"
)
async def sms_receipt(request: Request, api: ApiDep) -> dict[str, Any]:
    settings = api.settings
    if not settings.sms_receipt_token:
        raise HTTPException(404, N_("Delivery reports are not switched on."))
    token = request.query_params.get("token", "")
    if not hmac.compare_digest(token.encode(), settings.sms_receipt_token.encode()):
        raise HTTPException(401, N_("The delivery report lacks the centre's token."))
    fields = await _fields(request)
    ref = fields.get(settings.sms_receipt_field_ref, "")
    status = fields.get(settings.sms_receipt_field_status, "")
    if not ref:
        raise HTTPException(
            422,
            N_(
                "The report has no '{sms_receipt_field_ref}'.",
                sms_receipt_field_ref=settings.sms_receipt_field_ref,
            ),
        )
    delivered = receipt_status(settings, status)
    if delivered is None:  # in progress (queued, sent to the network): nothing to record
        return {"recorded": False, "status": status}
    found = await run_in_threadpool(record_receipt, api.db, ref, delivered, api.now(), status)
    if found is None:
        raise HTTPException(404, N_("No SMS with this reference was sent."))
    row, recorded = found
    if recorded and row.alert_key:
        api.service.announce([row.alert_key])
    return {"recorded": recorded, "status": row.status}
