"""From the engine's decisions to the apps, and delivery monitoring.

The notifier follows the pipeline's bus. Each WARN to a protected person with a
victim app, each INSTRUCT to a respondent with a respondent app, and each panic
alert raised for a person with a victim app becomes a stored message with an
id, sent over the device's live stream (`Hub`) or, without one, by Web Push.

Warnings and instructions are tied to the alert whose episode caused them (the
engine emits them right after that episode's decision, in the same
evaluation), so a receipt is recorded as a stage on that alert's timeline. A
safety warning (prealert, alert) to a protected person and its receipt go into
the event log (`DeliveryDue`, `DeliveryReceipt`): the engine raises the P2
alert `delivery.unconfirmed` ("call the protected person") when no receipt
came within `receipt_timeout_s`, and the notifier adds a note on the causing
alert.

Credentials of app devices whose enrolment no longer holds (unassigned, order
ended) are revoked here too, so a connected app hears `revoked` at once. Before
that, each sweep records the end of the orders whose term has run out and tells
their device holders (`apps/order_end.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
import structlog

from korgoo.alerts.book import AlertBook
from korgoo.alerts.machine import POLICE_DELIVERED, AlertError
from korgoo.alerts.model import Transition, TransitionKind
from korgoo.apps import order_end
from korgoo.apps import respondent_view as rv
from korgoo.apps import victim_view as vv
from korgoo.apps.push import Gone, Pusher, PushFailed
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import DeliveryDue, DeliveryReceipt
from korgoo.domain.ingest import Message
from korgoo.domain.rules import (
    BATTERY_RULES,
    PROXIMITY_RULES,
    ZONE_RULES,
    Rule,
    episode_key,
)
from korgoo.domain.terms import DeviceKind
from korgoo.notify.model import Channel
from korgoo.service.effects import Effects
from korgoo.service.port import Monitoring
from korgoo.store import app_records as records
from korgoo.store.db import begin_write
from korgoo.store.orders import OrderVersion, expired_orders, terms_at

log = structlog.get_logger("korgoo.apps")
Action = Callable[[AlertBook], list[Transition]]

RECEIPT_ACTOR = "app"
DELIVERY_ACTOR = "delivery"
# Warning codes -> the level the victim app shows.
LEVELS = {
    "prealert": "prealert",
    "approach": "prealert",
    "alert": "alert",
    "all_clear": "all_clear",
}
MONITORED_LEVELS = frozenset({"prealert", "alert"})
# Message code -> rules whose episode may have caused it.
_PROXIMITY_OR_EXCLUSION = PROXIMITY_RULES | {Rule.ZONE_EXCLUSION}
_CAUSES: dict[str, frozenset[Rule]] = {
    "prealert": frozenset({Rule.PROXIMITY_PREALERT, Rule.PROXIMITY_APPROACH}),
    "approach": frozenset({Rule.PROXIMITY_APPROACH, Rule.PROXIMITY_PREALERT}),
    "alert": frozenset({Rule.PROXIMITY_BREACH, Rule.ZONE_EXCLUSION}),
    "all_clear": _PROXIMITY_OR_EXCLUSION,
    "technical_no_signal": frozenset({Rule.DEVICE_NO_SIGNAL}),
    "technical_battery_low": BATTERY_RULES,
    "leave_now": frozenset({Rule.PROXIMITY_BREACH}),
    "leave_zone": ZONE_RULES,
    "clear": ZONE_RULES | {Rule.PROXIMITY_BREACH},
}
STAGE_OF_EVENT = {"warning": "victim_warned", "instruction": "respondent_instructed"}
_STAGED_CODES = frozenset(
    {"prealert", "approach", "alert", "leave_now", "leave_zone", rv.LEAVE_AREA}
)


def level_of(code: str) -> str:
    return LEVELS.get(code, "technical" if code.startswith("technical") else "alert")


class Outgoing(NamedTuple):
    event: str
    data: dict[str, Any]


class Hub:
    """The live streams of app devices (one device may have several tabs open)."""

    def __init__(self) -> None:
        self._streams: dict[str, set[asyncio.Queue[Outgoing | None]]] = {}

    def open(self, device_id: str) -> asyncio.Queue[Outgoing | None]:
        queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(1000)
        self._streams.setdefault(device_id, set()).add(queue)
        return queue

    def close(self, device_id: str, queue: asyncio.Queue[Outgoing | None]) -> None:
        streams = self._streams.get(device_id)
        if streams is not None:
            streams.discard(queue)
            if not streams:
                del self._streams[device_id]

    def connected(self, device_id: str) -> bool:
        return bool(self._streams.get(device_id))

    def send(self, device_id: str, event: str, data: dict[str, Any]) -> bool:
        """Queue a frame on every stream of the device; False if it has none."""
        streams = self._streams.get(device_id, set())
        for queue in streams:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(Outgoing(event, data))
        return bool(streams)

    def end_all(self) -> None:
        """Close every stream (the server is stopping)."""
        for streams in list(self._streams.values()):
            for queue in list(streams):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(None)

    def end(self, device_id: str, event: str, data: dict[str, Any]) -> None:
        """A last frame, then close the device's streams."""
        for queue in list(self._streams.get(device_id, set())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(Outgoing(event, data))
                queue.put_nowait(None)


def victim_frame(event: str, data: Mapping[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(dict(data), ensure_ascii=False)}\n\n"


def frame_for(kind: str, event: str, data: Mapping[str, Any]) -> str:
    """A stream frame; a respondent's goes through his one serializer."""
    if kind == DeviceKind.RESPONDENT_APP.value:
        return rv.frame(event, data)
    return victim_frame(event, data)


def cause(decisions: Sequence[Decision], index: int, code: str) -> str | None:
    """The episode key of the alert decision that caused the message at `index`:
    the nearest earlier decision of the same order from a rule that sends this code."""
    message = decisions[index]
    rules = _CAUSES.get(code, frozenset())
    for d in reversed(decisions[:index]):
        if d.order_id == message.order_id and d.alert_key and d.rule in rules:
            return d.alert_key
    return None


class Notifier:
    def __init__(
        self,
        service: Monitoring,
        db: sa.Engine,
        hub: Hub,
        pusher: Pusher | None,
        *,
        receipt_timeout_s: float,
        check_every_s: float = 1.0,
        notice_channels: Callable[[], Collection[Channel]] = frozenset,
    ) -> None:
        self.service = service
        # The SMS and e-mail channels switched on, read when an order ends.
        self.notice_channels = notice_channels
        self.db = db
        self.hub = hub
        self.pusher = pusher
        self.receipt_timeout_s = receipt_timeout_s
        self.check_every_s = check_every_s
        self._tasks: list[asyncio.Task[None]] = []
        self._queue: asyncio.Queue[Any] | None = None
        # Orders a warning's DeliveryDue before its receipt's DeliveryReceipt in the log.
        self._receipts = asyncio.Lock()

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> None:
        self._queue = self.service.subscribe()
        self._tasks = [
            asyncio.create_task(self._follow(self._queue), name="korgoo-apps-notifier"),
            asyncio.create_task(self._watch(), name="korgoo-apps-revocations"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._queue is not None:
            self.service.unsubscribe(self._queue)
            self._queue = None

    async def _follow(self, queue: asyncio.Queue[Any]) -> None:
        while True:
            effects = await queue.get()
            try:
                await self.handle(effects)
            except Exception as exc:  # one bad evaluation must not stop the apps' messages
                log.error("notifier_failed", error=repr(exc))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_every_s)
            try:
                await self.end_expired_orders()
                await self.sweep_revocations()
            except Exception as exc:
                log.error("revocation_sweep_failed", error=repr(exc))

    # -- decisions to messages ---------------------------------------------------------

    async def handle(self, effects: Effects) -> list[records.AppMessage]:
        """Store and deliver the apps' messages for one evaluation, and note the
        warnings found unconfirmed; returns the messages."""
        made: list[records.AppMessage] = []
        if any(_for_apps(d) for d in effects.decisions):
            made = await asyncio.to_thread(self._store_messages, effects)
            for m in made:
                await self.deliver(m)
                if m.monitored:
                    await self._await_receipt(m)
        for d in effects.decisions:
            if d.kind is DecisionKind.OPENED and d.rule == Rule.DELIVERY_UNCONFIRMED:
                await self._unconfirmed(d)
        await self._tell_status(effects)
        return made

    async def _tell_status(self, effects: Effects) -> None:
        """Her app hears when an alarm of hers was acknowledged or the police were
        notified: a `status` frame about the message that stood for it."""
        changed = {
            t.alert_key
            for t in effects.transitions
            if t.kind is TransitionKind.ACKNOWLEDGED
            or (t.kind is TransitionKind.STAGE and t.details.get("stage") == POLICE_DELIVERED)
        }
        alerts = {a.alert_key: a for a in effects.alerts if a.alert_key in changed}
        for key, alert in alerts.items():
            sent = await asyncio.to_thread(records.messages_of_alert, self.db, key)
            for m in sent:
                if vv.is_alarm(m):
                    self.hub.send(m.device_id, "status", vv.status_frame(m.id, alert))

    def _store_messages(self, effects: Effects) -> list[records.AppMessage]:
        live = {episode_key(a.alert_key): a.alert_key for a in effects.alerts}
        made: list[records.AppMessage] = []
        decisions = effects.decisions
        with begin_write(self.db) as conn:
            for i, d in enumerate(decisions):
                for device, event, payload, key, monitored in self._messages(decisions, i, live):
                    made.append(
                        records.add_message(
                            conn,
                            message_id=payload["id"],
                            device_id=device.device_id,
                            event=event,
                            payload=payload,
                            order_id=d.order_id,
                            person_id=device.person_id,
                            at=d.at,
                            alert_key=key,
                            monitored=monitored,
                        )
                    )
        return made

    def _messages(
        self, decisions: Sequence[Decision], i: int, live: Mapping[str, str]
    ) -> list[tuple[records.AppDevice, str, dict[str, Any], str | None, bool]]:
        d = decisions[i]
        out: list[tuple[records.AppDevice, str, dict[str, Any], str | None, bool]] = []
        if d.kind is DecisionKind.WARN:
            key = cause(decisions, i, d.message)
            key = live.get(key, key) if key else None
            level = level_of(d.message)
            for device in records.devices_of(self.db, d.recipient, DeviceKind.VICTIM_APP):
                payload = {
                    "id": records.new_id(),
                    "level": level,
                    "code": d.message,
                    "at": rv.iso(d.at),
                }
                out.append((device, "warning", payload, key, level in MONITORED_LEVELS))
        elif d.kind is DecisionKind.INSTRUCT:
            key = cause(decisions, i, d.message)
            key = live.get(key, key) if key else None
            devices = records.devices_of(self.db, d.recipient, DeviceKind.RESPONDENT_APP)
            if devices:
                names = self._zone_names(d.order_id, d.at)
                for device in devices:
                    instruction = rv.instruction(d, records.new_id(), names)
                    if instruction is not None:
                        out.append((device, "instruction", instruction, key, False))
        elif d.kind is DecisionKind.OPENED and d.rule == Rule.PANIC:
            key = live.get(d.alert_key, d.alert_key)
            for device in records.devices_of(self.db, d.subject, DeviceKind.VICTIM_APP):
                payload = {"id": records.new_id(), "at": rv.iso(d.at)}
                out.append((device, "panic_received", payload, key, False))
        return out

    def _zone_names(self, order_id: str, at: float) -> dict[str, str]:
        return rv.disclosed_zone_names(terms_at(self.db, order_id, at))

    # -- delivery ---------------------------------------------------------------------

    async def deliver(self, m: records.AppMessage) -> str | None:
        """Send over the live stream, else by Web Push; returns the channel used."""
        device = await asyncio.to_thread(records.app_device, self.db, m.device_id)
        kind = device.kind if device is not None else ""
        data = rv.guard(m.payload) if kind == DeviceKind.RESPONDENT_APP.value else m.payload
        channel: str | None = None
        if self.hub.send(m.device_id, m.event, data):
            channel = "stream"
        elif self.pusher is not None:
            sub = await asyncio.to_thread(records.subscription, self.db, m.device_id)
            if sub is not None:
                try:
                    await self.pusher.send(sub, m.event, data)
                    channel = "push"
                except Gone:
                    await asyncio.to_thread(records.drop_subscription, self.db, m.device_id)
                except PushFailed as exc:
                    log.warning("push_failed", device_id=m.device_id, error=str(exc))
        if channel is not None:
            await asyncio.to_thread(records.mark_sent, self.db, m.id, channel, self.service.clock())
        return channel

    async def send(
        self,
        device: records.AppDevice,
        event: str,
        payload: dict[str, Any],
        *,
        order_id: str,
    ) -> records.AppMessage:
        """Store and deliver one message that does not come from a decision (check-ins)."""
        at = self.service.clock()

        def store() -> records.AppMessage:
            with begin_write(self.db) as conn:
                return records.add_message(
                    conn,
                    message_id=payload["id"],
                    device_id=device.device_id,
                    event=event,
                    payload=payload,
                    order_id=order_id,
                    person_id=device.person_id,
                    at=at,
                )

        m = await asyncio.to_thread(store)
        await self.deliver(m)
        return m

    # -- receipts -----------------------------------------------------------------------

    async def receipt(self, device_id: str, message_id: str) -> records.AppMessage | None:
        """The app confirms it showed a message. Recorded once; for a warning or an
        instruction, as a stage on the causing alert's timeline. None if the
        message is not this device's."""
        m = await asyncio.to_thread(records.message, self.db, message_id)
        if m is None or m.device_id != device_id:
            return None
        at = self.service.clock()
        async with self._receipts:
            first = await asyncio.to_thread(records.record_receipt, self.db, message_id, at)
            if first and m.monitored:
                receipt = DeliveryReceipt(order_id=m.order_id, message_id=m.id, at=at)
                await self.service.submit([Message(event=receipt, msg_key=f"receipt:{m.id}")])
        if not first:
            return m
        if m.monitored:
            await self.service.settle()  # a late receipt has cleared delivery.unconfirmed
        stage = STAGE_OF_EVENT.get(m.event)
        code = str(m.payload.get("code", ""))
        if stage and m.alert_key and code in _STAGED_CODES:
            await self._act_softly(_staging(m.alert_key, stage, at))
        return m

    async def _await_receipt(self, m: records.AppMessage) -> None:
        """Put a sent safety warning into the event log, for the engine to raise
        delivery.unconfirmed if no receipt comes by its due time."""
        async with self._receipts:
            sent = await asyncio.to_thread(records.message, self.db, m.id)
            if sent is None or sent.receipt_at is not None:
                return  # confirmed already: there is nothing to wait for
            due = DeliveryDue(
                order_id=sent.order_id,
                at=self.service.clock(),
                due=sent.created_at + self.receipt_timeout_s,
                message_id=sent.id,
                person_id=sent.person_id,
                device_id=sent.device_id,
                level=str(sent.payload.get("level", "")),
                code=str(sent.payload.get("code", "")),
                created_at=sent.created_at,
                sent_at=sent.sent_at,
                channel=sent.channel,
                cause=sent.alert_key,
            )
            await self.service.submit([Message(event=due, msg_key=f"delivery:{sent.id}")])

    async def _unconfirmed(self, d: Decision) -> None:
        """The engine found a warning unconfirmed: mark the message, and note it on
        the alert that caused the warning."""
        message_id = str(d.evidence.get("message_id", ""))
        first = await asyncio.to_thread(records.mark_unconfirmed, self.db, message_id, d.at)
        if not first:
            return
        cause = d.evidence.get("cause")
        if cause:
            note = (
                f"The {d.evidence.get('level', '')} warning to the protected person was not "
                f"confirmed by her app within {self.receipt_timeout_s:.0f} s "
                f"(alert {d.alert_key}): call her."
            )
            await self._act_softly(_noting(str(cause), d.at, note))
        log.warning("warning_unconfirmed", message_id=message_id, order_id=d.order_id)

    async def _act_softly(self, action: Action) -> None:
        """An alert action that may find the alert resolved meanwhile: then nothing to record."""
        try:
            await self.service.act(action)
        except AlertError as exc:
            log.info("alert_action_skipped", reason=str(exc))

    # -- the end of an order -----------------------------------------------------------

    async def tell_order_end(self, ended: OrderVersion) -> list[records.AppMessage]:
        """The `order_ended` message (ended or revoked, and when) to each app
        enrolled on the order whose credential still stands."""
        sent: list[records.AppMessage] = []
        for person_id in (ended.respondent_id, *ended.protected_ids):
            for kind in (DeviceKind.RESPONDENT_APP, DeviceKind.VICTIM_APP):
                devices = await asyncio.to_thread(records.devices_of, self.db, person_id, kind)
                for device in devices:
                    if device.order_id == ended.order_id:
                        payload = order_end.end_payload(ended)
                        sent.append(
                            await self.send(device, "order_ended", payload, order_id=ended.order_id)
                        )
        return sent

    async def end_expired_orders(self) -> list[OrderVersion]:
        """Record the end of every active order whose end time has passed, with
        the SMS to her in the same transaction; hand the new version to the
        engine and tell the apps."""
        now = self.service.clock()
        ended: list[OrderVersion] = []
        for order_id in await asyncio.to_thread(expired_orders, self.db, now):
            version = await asyncio.to_thread(
                order_end.end_expired, self.db, order_id, now, self.notice_channels()
            )
            if version is None:
                continue
            terms = await asyncio.to_thread(terms_at, self.db, order_id, now)
            if terms is not None:
                await self.service.order_changed(terms)
            await self.tell_order_end(version)
            log.info("order_expired", order_id=order_id, version=version.version)
            ended.append(version)
        return ended

    # -- revocation ----------------------------------------------------------------------

    async def sweep_revocations(self) -> list[str]:
        now = self.service.clock()
        fallen = await asyncio.to_thread(records.fallen_devices, self.db, now)
        for device_id, reason in fallen.items():
            await self.revoke(device_id, reason)
        return list(fallen)

    async def revoke(self, device_id: str, reason: str) -> None:
        at = self.service.clock()

        def store() -> bool:
            with begin_write(self.db) as conn:
                return records.revoke(conn, device_id, reason, at)

        await asyncio.to_thread(store)
        self.service.forget_secret(device_id)
        self.hub.end(device_id, "revoked", rv.revoked())
        log.info("app_revoked", device_id=device_id, reason=reason)


def _staging(alert_key: str, stage: str, at: float) -> Action:
    return lambda book: book.record_stage(alert_key, stage, at, RECEIPT_ACTOR)


def _noting(alert_key: str, at: float, text: str) -> Action:
    return lambda book: book.add_note(alert_key, DELIVERY_ACTOR, at, text)


def _for_apps(d: Decision) -> bool:
    return d.kind in (DecisionKind.WARN, DecisionKind.INSTRUCT) or (
        d.kind is DecisionKind.OPENED and d.rule == Rule.PANIC
    )
