"""The channels: e-mail over SMTP and SMS through an HTTP gateway.

Each adapter sends one message and answers the provider's reference, or raises
`ChannelError` (`permanent` when trying again cannot help: a refused address).
Both carry the notification's id as an idempotency key where the provider
allows it: the SMS gateway gets it as the client reference (a gateway that
deduplicates on it sends a resent message once), the e-mail as its Message-ID.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

import httpx

from korgoo.notify.model import Channel
from korgoo.settings import Settings


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Outgoing(NamedTuple):
    id: str  # the notification's idempotency key
    to: str
    subject: str
    body: str
    language: str
    link: str = ""  # what a Web Push notification opens when tapped


class Sent(NamedTuple):
    ref: str  # the provider's reference, matched by its delivery report
    delivered: bool  # the channel's acceptance is its delivery (SMTP)


class Adapter(Protocol):
    channel: Channel

    async def send(self, message: Outgoing) -> Sent: ...


def enabled_channels(settings: Settings) -> frozenset[Channel]:
    """The channels configured: a gateway URL for SMS, a server for e-mail,
    Web Push unless switched off."""
    on = set()
    if settings.sms_url:
        on.add(Channel.SMS)
    if settings.smtp_host:
        on.add(Channel.EMAIL)
    if settings.user_push:
        on.add(Channel.PUSH)
    return frozenset(on)


class Smtp:
    """E-mail through an SMTP server (the centre's relay). Accepted by the server
    counts as delivered: SMTP has no receipt from the mailbox."""

    channel = Channel.EMAIL

    def __init__(self, settings: Settings) -> None:
        self.s = settings

    async def send(self, message: Outgoing) -> Sent:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: Outgoing) -> Sent:
        s = self.s
        mail = EmailMessage()
        mail["From"] = s.smtp_from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        domain = s.smtp_from.rpartition("@")[2] or "korgoo.invalid"
        mail["Message-ID"] = f"<{message.id}@{domain}>"
        mail["Content-Language"] = message.language
        mail.set_content(message.body)
        try:
            smtp: smtplib.SMTP
            if s.smtp_ssl:
                context = ssl.create_default_context()
                smtp = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s, context=context
                )
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            with smtp:
                if s.smtp_starttls and not s.smtp_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"the server refused {message.to}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"smtp: {exc!r}") from exc
        if refused:
            raise ChannelError(f"the server refused {sorted(refused)}", permanent=True)
        return Sent(mail["Message-ID"], delivered=True)


class SmsGateway:
    """SMS through a provider's HTTP API, shaped by settings: the URL (a template
    with {to} {text} {sender} {ref}), GET or POST, a form or JSON body with the
    provider's field names, its authentication and its fixed fields. The
    provider's message id comes from its JSON answer (`sms_answer_id`); its
    delivery reports come to `/api/v1/notify/sms-receipts`."""

    channel = Channel.SMS

    def __init__(self, settings: Settings, *, callback_url: str = "") -> None:
        self.s = settings
        self.callback_url = callback_url
        self._client: httpx.AsyncClient | None = None

    def _fields(self, message: Outgoing) -> dict[str, Any]:
        s = self.s
        fields: dict[str, Any] = dict(s.sms_extra)
        fields[s.sms_field_to] = message.to
        fields[s.sms_field_text] = message.body
        if s.sms_field_sender:
            fields[s.sms_field_sender] = s.sms_sender
        if s.sms_field_ref:
            fields[s.sms_field_ref] = message.id
        if s.sms_field_callback and self.callback_url:
            fields[s.sms_field_callback] = self.callback_url
        return fields

    def _auth(self) -> tuple[httpx.Auth | None, dict[str, str]]:
        s = self.s
        if s.sms_auth == "basic":
            return httpx.BasicAuth(s.sms_user, s.sms_password), {}
        if s.sms_auth == "bearer":
            return None, {"Authorization": f"Bearer {s.sms_token}"}
        if s.sms_auth == "header":
            return None, {s.sms_auth_header: s.sms_token}
        return None, {}

    def url(self, message: Outgoing) -> str:
        values = {
            "to": message.to,
            "text": message.body,
            "sender": self.s.sms_sender,
            "ref": message.id,
        }
        return self.s.sms_url.format_map({k: quote(v, safe="") for k, v in values.items()})

    async def send(self, message: Outgoing) -> Sent:
        s = self.s
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=s.sms_timeout_s)
        auth, headers = self._auth()
        fields = self._fields(message)
        request: dict[str, Any] = {"headers": headers}
        if auth is not None:
            request["auth"] = auth
        method = s.sms_method.upper()
        if s.sms_body == "json":
            request["json"] = fields
        elif s.sms_body == "form" and method != "GET":
            request["data"] = fields
        elif s.sms_body != "none":
            request["params"] = fields
        try:
            r = await self._client.request(method, self.url(message), **request)
        except httpx.HTTPError as exc:
            raise ChannelError(f"sms gateway: {exc!r}") from exc
        if r.status_code >= 500 or r.status_code in (408, 429):
            raise ChannelError(f"sms gateway answered {r.status_code}")
        if r.status_code >= 400:
            refusal = f"sms gateway refused: {r.status_code} {r.text[:200]}"
            raise ChannelError(refusal, permanent=True)
        return Sent(_answer_id(r, s.sms_answer_id) or message.id, delivered=False)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _answer_id(r: httpx.Response, field: str) -> str:
    if not field:
        return ""
    try:
        body = r.json()
    except ValueError:
        return ""
    value = body.get(field) if isinstance(body, Mapping) else None
    return "" if value is None else str(value)


def receipt_status(settings: Settings, status: str) -> bool | None:
    """A delivery report's status: True delivered, False lost, None in progress."""
    delivered = {v.strip().lower() for v in settings.sms_delivered.split(",") if v.strip()}
    undelivered = {v.strip().lower() for v in settings.sms_undelivered.split(",") if v.strip()}
    value = status.strip().lower()
    if value in delivered:
        return True
    if value in undelivered:
        return False
    return None
