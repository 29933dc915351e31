"""Delivery reports of the SMS gateway.

The provider calls this route (GET or POST, fields in the query, a form or
JSON, named by settings) with the centre's receipt token; the report is
recorded on the notification and on its alert's timeline. Without a token in
the settings the route does not exist (404).
"""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import ApiDep
from korgoo.api.responses import SmsReceiptOut
from korgoo.notify.channels import receipt_status
from korgoo.store.notifications import record_receipt

router = APIRouter(tags=["notifications"])


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
                raise ValueError("not an object")
            fields |= {str(k): str(v) for k, v in parsed.items()}
        else:
            fields |= dict(parse_qsl(body.decode(), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(422, f"the delivery report is not readable: {exc}") from None
    return fields


@router.api_route("/notify/sms-receipts", methods=["GET", "POST"], response_model=SmsReceiptOut)
async def sms_receipt(request: Request, api: ApiDep) -> dict[str, Any]:
    settings = api.settings
    if not settings.sms_receipt_token:
        raise HTTPException(404, "Delivery reports are not switched on.")
    token = request.query_params.get("token", "")
    if not hmac.compare_digest(token.encode(), settings.sms_receipt_token.encode()):
        raise HTTPException(401, "The delivery report lacks the centre's token.")
    fields = await _fields(request)
    ref = fields.get(settings.sms_receipt_field_ref, "")
    status = fields.get(settings.sms_receipt_field_status, "")
    if not ref:
        raise HTTPException(422, f"The report has no '{settings.sms_receipt_field_ref}'.")
    delivered = receipt_status(settings, status)
    if delivered is None:  # in progress (queued, sent to the network): nothing to record
        return {"recorded": False, "status": status}
    row = await run_in_threadpool(record_receipt, api.db, ref, delivered, api.now(), status)
    if row is None:
        raise HTTPException(404, "No SMS with this reference was sent.")
    return {"recorded": True, "status": row.status}
