"""The hot path: gateways -> durable batched append -> ack -> engine -> alerts.

One writer serialises every store write on its own thread, so SQLite's single
writer never contends and the event loop keeps serving sockets during fsync.
Messages from all gateways are gathered into one batch per commit; each
gateway's `submit` returns only when its messages are committed, so nothing is
acknowledged that is not durably stored.

After the commit the engine sees the new events in log order. Its decisions,
the alert transitions they cause and the alerts themselves are written in one
transaction, idempotently: a restart replays the log through a fresh engine
and applies to the alert book only the decisions the store does not hold yet,
so a restart never doubles an alert. The SMS and e-mail notifications the
decisions cause go into the outbox in that same transaction (`notify.outbox`),
and so do the messages to a unit an alert is offered or passed on to.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import msgspec
import sqlalchemy as sa
import structlog

from korgoo.alerts.book import AlertBook, BookState
from korgoo.alerts.escalation import PolicyError, PolicyTable, decode, default_table, encode
from korgoo.alerts.machine import ENGINE, POLICY, SLA
from korgoo.alerts.model import Alert, Transition
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import Event, Fix, OrderChange, PolicyChange, Signal, Tick
from korgoo.domain.ingest import DeviceInfo, Message, Outcome, StoreUnavailable, Verdict
from korgoo.domain.rules import episode_key
from korgoo.domain.terms import OrderTerms
from korgoo.engine import DEFAULT_PARAMS, Engine, RuleParams
from korgoo.engine.validate import fix_problem, signal_problem
from korgoo.notify.channels import enabled_channels
from korgoo.notify.outbox import enqueue, enqueue_units
from korgoo.service import metrics
from korgoo.service.bus import LocalBus
from korgoo.service.effects import Effects
from korgoo.service.snapshot import EMPTY_ALERTS, EMPTY_ORDERS, AlertsView, OrderLive
from korgoo.settings import Settings
from korgoo.store.alerts import append_transitions, load_open_alerts, save_alert
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write, reachable
from korgoo.store.decisions import append_decisions, body_of, last_decided_seq, stored_at
from korgoo.store.devices import device_secret_ok, load_devices, record_unknown_device
from korgoo.store.escalation import list_versions, save_version
from korgoo.store.events import EventLog

log = structlog.get_logger("korgoo.pipeline")

Clock = Callable[[], float]
SYSTEM_ACTORS = frozenset({ENGINE, SLA, POLICY})


@dataclass
class _Unstored:
    """An evaluation whose decisions, transitions and alerts the store refused.

    While one is held the pipeline acknowledges nothing, evaluates nothing and
    takes no operator action: decisions reach the store in event order with no
    gap, so recovery after a restart (which re-applies the decisions of every
    event after the last stored one) can never skip them.
    """

    effects: Effects
    decisions: list[tuple[int, Decision]]
    changed: dict[str, Alert]


@dataclass
class _Pending:
    messages: Sequence[Message]
    future: asyncio.Future[list[Outcome]]
    enqueued: float


class Pipeline:
    """The embedded monitoring centre's core loop; implements `gateways.ingest.Ingest`."""

    def __init__(
        self,
        db: sa.Engine,
        settings: Settings,
        *,
        params: RuleParams = DEFAULT_PARAMS,
        clock: Clock = time.time,
        bus: LocalBus | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.params = params
        self.clock = clock
        self.bus = bus or LocalBus()
        # The engine and the alert book are touched only on the writer thread;
        # everyone else reads the snapshots published after each change.
        self._engine = Engine(params)
        self._book = AlertBook(
            default_table(settings.police_accept_s, tuple(settings.agency_channels.split(","))),
            order_district=self._order_district,
            order_kind=self._order_kind,
        )
        # Policy versions of the log not yet in force in the book, by event seq:
        # each takes force after the decisions of its own and earlier events.
        self._policy_changes: list[tuple[int, PolicyChange | None, PolicyTable]] = []
        self._policy = self._book.table  # the version in force, for the API to read
        self._orders: Mapping[str, OrderLive] = EMPTY_ORDERS
        self._alerts = EMPTY_ALERTS
        self._orders_of_device: dict[str, tuple[str, ...]] = {}
        self.log = EventLog()
        self._devices: dict[str, DeviceInfo] = {}
        self._secrets: dict[str, bytes] = {}  # digests of secrets already verified
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="korgoo-store")
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._ready = False
        self._last_seq = 0
        # When the batch in hand was taken (the clock's time); None while idle.
        # A batch held long is a stalled pipeline (domain.outage).
        self.busy_since: float | None = None
        self._unstored: _Unstored | None = None
        self._retrying: asyncio.Task[None] | None = None
        self.fixes_processed = 0
        self._channels = enabled_channels(settings)  # SMS / e-mail notifications switched on

    # -- life cycle ------------------------------------------------------------

    async def start(self, *, tick_every: float | None = 1.0) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self._recover)
        self._ready = True
        self._task = asyncio.create_task(self._write_loop(), name="korgoo-writer")
        if tick_every:
            self._ticker = asyncio.create_task(self._tick_loop(tick_every), name="korgoo-tick")

    async def stop(self) -> None:
        """Finish what was submitted (committed and evaluated), then stop."""
        self._ready = False
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._task is not None:
            self._queue.put_nowait(None)  # after everything already queued
            await self._task
        self._writer.shutdown(wait=True)

    def _recover(self) -> None:
        """Rebuild the engine by replaying the log; restore live alerts from the store."""
        self._devices = load_devices(self.db)
        self._book.load(load_open_alerts(self.db))
        # Versions whose events retention may have taken from the log; a replayed
        # event of the same version puts the same table in force again.
        self._policy_changes = [(v.seq, None, v.table) for v in reversed(list_versions(self.db))]
        done = last_decided_seq(self.db)
        pending: list[tuple[int, Decision]] = []
        replayed = 0
        for seq, event in self.log.iter_events(self.db):
            decisions = self._engine.apply(event)
            replayed += 1
            if type(event) is PolicyChange:
                self._policy_arrived(seq, event)
            if seq > done:
                pending.extend((seq, d) for d in decisions)
            self._last_seq = seq
        # A timer's decision is stored under the last event evaluated before the
        # clock fired it, and a replay makes it with the next event: one already
        # stored is not stored and applied again.
        fired = stored_at(self.db, done) if pending else set()
        pending = [(seq, d) for seq, d in pending if body_of(d) not in fired]
        if pending:
            self._persist(pending)
        self._flush_policies(self._last_seq + 1)
        self._index_devices()
        self._publish_orders(self._engine.monitors)
        self._alerts = AlertsView(self._book.live())
        log.info("recovered", events=replayed, decisions_applied=len(pending))

    # -- Ingest ------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._ready

    def lookup_device(self, device_id: str) -> DeviceInfo | None:
        return self._devices.get(device_id)

    def authenticate(self, device_id: str, secret: str) -> bool:
        digest = hashlib.sha256(secret.encode()).digest()
        known = self._secrets.get(device_id)
        if known is not None:
            return known == digest
        # argon2 is slow by design: verify once, then remember a digest in memory.
        if device_id in self._devices and device_secret_ok(self.db, device_id, secret):
            self._secrets[device_id] = digest
            return True
        return False

    def device_enrolled(self, info: DeviceInfo) -> None:
        self._devices[info.device_id] = info

    def forget_secret(self, device_id: str) -> None:
        self._secrets.pop(device_id, None)

    async def unknown_device(self, protocol: str, ident: str, remote: str, raw: bytes) -> None:
        metrics.UNKNOWN.labels(protocol).inc()
        log.warning("unknown_device", protocol=protocol, ident=ident, remote=remote)
        at = self.clock()

        def write() -> int:
            with begin_write(self.db) as conn:
                return record_unknown_device(conn, protocol, ident, remote=remote, raw=raw, at=at)

        pruned = await asyncio.get_running_loop().run_in_executor(self._writer, write)
        metrics.UNKNOWN_PRUNED.inc(pruned)

    async def submit(self, messages: Sequence[Message]) -> list[Outcome]:
        if not self._ready:
            raise StoreUnavailable("the monitoring pipeline is not running")
        future: asyncio.Future[list[Outcome]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(messages, future, time.perf_counter()))
        metrics.QUEUE_DEPTH.set(self._queue.qsize())
        return await future

    async def order_changed(self, terms: OrderTerms) -> None:
        """A new order version, or new devices on it, or its end, enters the log
        and the engine; returns once the engine has evaluated it.

        The key holds the time and a digest of the terms: new devices on the same
        version, or terms changing back, are new events; applying the same terms
        twice changes nothing in the engine.
        """
        change = OrderChange(at=self.clock(), terms=terms)
        digest = hashlib.sha256(msgspec.json.encode(terms)).hexdigest()[:16]
        key = f"order:{terms.order_id}:{terms.version}:{change.at!r}:{digest}"
        await self.submit([Message(event=change, msg_key=key)])
        await self.settle()

    async def settle(self) -> None:
        """Wait until the engine has evaluated everything committed so far: the
        writer thread runs work in order, so an empty job behind it is a barrier."""
        await asyncio.get_running_loop().run_in_executor(self._writer, lambda: None)

    # -- the writer --------------------------------------------------------------

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        batch_max = self.settings.batch_max
        wait_s = self.settings.batch_wait_ms / 1000.0
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first.messages)
            deadline = loop.time() + wait_s
            while size < batch_max:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
                size += len(item.messages)
            metrics.QUEUE_DEPTH.set(self._queue.qsize())
            self.busy_since = self.clock()
            try:
                await self._process(loop, batch)
            finally:
                self.busy_since = None

    async def _process(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        if self._unstored is not None and not await self._store_unstored(loop):
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(
                        StoreUnavailable("decisions of earlier messages are not stored yet")
                    )
            return
        try:
            outcomes, accepted = await loop.run_in_executor(self._writer, self._commit, batch)
        except Exception as exc:  # the store could not commit: acknowledge nothing
            self._ready = False
            metrics.STORE_FAILURES.inc()
            log.error("commit_failed", error=str(exc))
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(StoreUnavailable(str(exc)))
            await asyncio.sleep(0.5)
            self._ready = await loop.run_in_executor(self._writer, self._probe)
            return
        now = time.perf_counter()
        for item, result in zip(batch, outcomes, strict=True):
            if not item.future.done():
                item.future.set_result(result)
            metrics.ACK_SECONDS.observe(now - item.enqueued)
        if accepted:
            try:
                effects = await loop.run_in_executor(self._writer, self._evaluate, accepted)
            except StoreUnavailable as exc:
                metrics.STORE_FAILURES.inc()
                log.error("decisions_not_stored", error=str(exc), first_seq=accepted[0][0])
                self._retry_later()
                return
            except Exception as exc:
                # The events are stored and acknowledged; a restart replays them.
                # Say so loudly rather than let the writer die.
                metrics.EVALUATION_FAILURES.inc()
                log.error("evaluation_failed", error=repr(exc), first_seq=accepted[0][0])
                return
            self.bus.publish(effects)

    def _probe(self) -> bool:
        return reachable(self.db)

    async def _store_unstored(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Try again to store the held evaluation; publish it once stored."""
        effects = await loop.run_in_executor(self._writer, self._write_unstored)
        if effects is None:
            return self._unstored is None
        self.bus.publish(effects)
        return True

    def _write_unstored(self) -> Effects | None:
        held = self._unstored
        if held is None:
            return None
        try:
            self._write(held.effects, held.decisions, held.changed)
        except Exception as exc:
            log.warning("decisions_still_not_stored", error=str(exc))
            return None
        self._unstored = None
        self._ready = True
        log.info("decisions_stored_after_failure", decisions=len(held.decisions))
        return held.effects

    def _retry_later(self) -> None:
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._retry_loop(), name="korgoo-retry-store")

    async def _retry_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._unstored is not None:
            await asyncio.sleep(0.5)
            await self._store_unstored(loop)

    def _commit(self, batch: list[_Pending]) -> tuple[list[list[Outcome]], list[tuple[int, Event]]]:
        started = time.perf_counter()
        items: list[tuple[Event, str | None]] = []
        where: list[tuple[int, int]] = []  # (batch item, message) of each stored item
        outcomes: list[list[Outcome]] = []
        for bi, pending in enumerate(batch):
            result: list[Outcome] = []
            for mi, message in enumerate(pending.messages):
                problem = _problem(message.event, self.params)
                if problem is not None:
                    metrics.REJECTED.labels(problem).inc()
                    result.append(Outcome(Verdict.REJECTED, reason=problem))
                    continue
                result.append(Outcome(Verdict.ACCEPTED))
                items.append((message.event, message.msg_key or None))
                where.append((bi, mi))
            outcomes.append(result)
        accepted: list[tuple[int, Event]] = []
        if items:
            with self.db.connect() as conn:
                seqs = self.log.append(conn, items)
                conn.commit()
            for (bi, mi), seq, (event, _) in zip(where, seqs, items, strict=True):
                if seq is None:
                    outcomes[bi][mi] = Outcome(Verdict.DUPLICATE)
                    metrics.DUPLICATES.inc()
                else:
                    outcomes[bi][mi] = Outcome(Verdict.ACCEPTED, seq=seq)
                    accepted.append((seq, event))
        metrics.COMMIT_SECONDS.observe(time.perf_counter() - started)
        metrics.STORED.inc(len(accepted))
        return outcomes, accepted

    def _evaluate(self, accepted: list[tuple[int, Event]]) -> Effects:
        out: list[tuple[int, Decision]] = []
        apply = self._engine.apply
        fixes = 0
        devices: set[str] = set()
        orders_changed = False
        for seq, event in accepted:
            cls = type(event)
            if cls is Fix:
                fixes += 1
                devices.add(event.device_id)  # type: ignore[union-attr]
            elif cls is Signal:
                devices.add(event.device_id)  # type: ignore[union-attr]
            elif cls is OrderChange:
                orders_changed = True
            elif cls is PolicyChange:
                self._policy_arrived(seq, event)  # type: ignore[arg-type]
            for d in apply(event):
                out.append((seq, d))
            self._last_seq = seq
        self.fixes_processed += fixes
        effects = self._persist(out)
        self._flush_policies(self._last_seq + 1)
        if orders_changed:
            self._index_devices()
        touched = {oid for did in devices for oid in self._orders_of_device.get(did, ())}
        touched.update(d.order_id for _, d in out if d.order_id)
        if orders_changed:
            touched.update(self._engine.monitors)
        self._publish_orders(touched)
        return effects

    def tick(self) -> Effects:
        """Advance the clock: silence timers, order ends, check-ins, SLA escalations."""
        if self._unstored is not None:
            return Effects()  # timers fire at their due time once evaluation resumes
        now = self.clock()
        decisions = [(self._last_seq, d) for d in self._engine.apply(Tick(at=now))]
        effects = self._persist(decisions)
        escalations = self._book.tick(now)
        if escalations:
            effects.transitions.extend(escalations)
            self._store_effects(Effects(transitions=escalations), [])
        if decisions:
            self._publish_orders({d.order_id for _, d in decisions if d.order_id})
        return effects

    async def advance(self) -> Effects:
        """Tick now (on the writer thread, in order with the batches) and publish."""
        effects = await asyncio.get_running_loop().run_in_executor(self._writer, self.tick)
        if effects.decisions or effects.transitions:
            self.bus.publish(effects)
        return effects

    async def _tick_loop(self, every: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(every)
            try:
                effects = await loop.run_in_executor(self._writer, self.tick)
            except (sa.exc.SQLAlchemyError, StoreUnavailable) as exc:
                log.error("tick_failed", error=str(exc))
                if self._unstored is not None:
                    self._retry_later()
                continue
            if effects.decisions or effects.transitions:
                self.bus.publish(effects)

    def _persist(self, items: list[tuple[int, Decision]]) -> Effects:
        """Apply decisions to the alert book and store decisions, transitions and
        alerts in one transaction."""
        effects = Effects(decisions=[d for _, d in items])
        if not items:
            return effects
        for seq, d in items:
            if self._policy_changes:
                self._flush_policies(seq)
            if d.kind is DecisionKind.REJECTED:
                metrics.REJECTED.labels(d.message).inc()
                continue
            effects.transitions.extend(self._book.apply(d))
        kept = [(s, d) for s, d in items if d.kind is not DecisionKind.REJECTED]
        self._store_effects(effects, kept)
        metrics.DECISIONS.inc(len(kept))
        return effects

    def _store_effects(
        self,
        effects: Effects,
        decisions: list[tuple[int, Decision]],
        *,
        undo: BookState | None = None,
    ) -> None:
        """Store what an evaluation or action changed, in one transaction.

        If the store refuses, an operator action is undone (`undo`: the book as it
        was) so nothing has happened; an evaluation, whose events are already
        stored and acknowledged, is held and stored before anything else.
        """
        changed = self._book.take_changed()
        if not (decisions or effects.transitions or changed):
            return
        try:
            self._write(effects, decisions, changed)
        except Exception as exc:
            if undo is not None:
                self._book.restore(undo)
            else:
                self._unstored = _Unstored(effects, decisions, changed)
                self._ready = False
            raise StoreUnavailable(f"the store refused the decisions: {exc}") from exc

    def _write(
        self, effects: Effects, decisions: list[tuple[int, Decision]], changed: dict[str, Alert]
    ) -> None:
        with self.db.begin() as conn:
            append_decisions(conn, decisions)
            if decisions and self._channels:
                # The outbox: the notifications these decisions cause, in their transaction.
                live = {episode_key(k): k for k in (*self._book.live(), *changed)}
                enqueue(conn, decisions, live, self._channels)
            append_transitions(conn, effects.transitions)
            if effects.transitions and self._channels:
                # The units an alert is offered to are told in the offer's transaction.
                enqueue_units(
                    conn,
                    effects.transitions,
                    changed,
                    self._channels,
                    self.settings.agency_channels.split(","),
                    self.settings.public_url,
                )
            for alert in changed.values():
                save_alert(conn, alert)
            for t in effects.transitions:
                if t.actor not in SYSTEM_ACTORS:  # what a person did goes on the audit log
                    details = {"details": t.details} if t.details else {}
                    audit_append(
                        conn, t.actor, f"alert.{t.kind.value}", t.alert_key, details, at=t.at
                    )
        effects.alerts.extend(changed.values())
        if changed:
            self._alerts = AlertsView(self._book.live())

    # -- the escalation policy in force -------------------------------------------

    def _policy_arrived(self, seq: int, change: PolicyChange) -> None:
        try:
            table = decode(change.table)
        except (PolicyError, msgspec.ValidationError, msgspec.DecodeError) as exc:
            log.error("policy_version_refused", seq=seq, error=str(exc))
            return
        self._policy_changes.append((seq, change, table))

    def _flush_policies(self, before_seq: int) -> None:
        """Put in force the versions of events before `before_seq`, in log order,
        and record the new ones in the versions table."""
        due = sorted((c for c in self._policy_changes if c[0] < before_seq), key=lambda c: c[0])
        if not due:
            return
        self._policy_changes = [c for c in self._policy_changes if c[0] >= before_seq]
        for seq, change, table in due:
            if table.number >= self._book.table.number:
                self._book.set_table(table)
            if change is not None:
                try:
                    with self.db.begin() as conn:
                        save_version(conn, change, seq)
                except sa.exc.SQLAlchemyError as exc:  # the log has it: a restart records it
                    log.error("policy_version_not_recorded", seq=seq, error=str(exc))
        self._policy = self._book.table

    def escalation_policy(self) -> PolicyTable:
        """The escalation policy table in force for alerts opening now."""
        return self._policy

    async def policy_changed(self, table: PolicyTable, author: str, reason: str) -> bool:
        """Put a new version in force through the log (in order with the
        decisions); False if that version number was already taken (a
        concurrent edit). Returns once evaluated."""
        change = PolicyChange(
            at=self.clock(),
            version=table.version,
            table=encode(table),
            author=author,
            reason=reason,
        )
        key = f"esc_policy:{table.number}"
        [outcome] = await self.submit([Message(event=change, msg_key=key)])
        await self.settle()
        return outcome.verdict is Verdict.ACCEPTED

    # -- snapshots ---------------------------------------------------------------

    def _order_district(self, order_id: str) -> str | None:
        """The district an order was issued in, from the engine's terms."""
        monitor = self._engine.monitors.get(order_id)
        return None if monitor is None else monitor.terms.district

    def _order_kind(self, order_id: str) -> str | None:
        """The order's kind, from the engine's terms (probation alerts go to probation)."""
        monitor = self._engine.monitors.get(order_id)
        return None if monitor is None else monitor.terms.kind.value

    def _index_devices(self) -> None:
        """Device -> orders it reports for, from the engine's current terms."""
        index: dict[str, list[str]] = {}
        for oid, m in self._engine.monitors.items():
            for did in m.devices:
                index.setdefault(did, []).append(oid)
        self._orders_of_device = {did: tuple(oids) for did, oids in index.items()}

    def _publish_orders(self, order_ids: Iterable[str]) -> None:
        monitors = self._engine.monitors
        updated = dict(self._orders)
        for oid in order_ids:
            m = monitors.get(oid)
            if m is None:
                continue
            r = m.respondent
            state = self._engine.status(oid)
            if r.known:
                live = OrderLive(m.terms, state, r.t, r.lat, r.lon, r.acc)
            else:
                live = OrderLive(m.terms, state)
            if updated.get(oid) != live:
                updated[oid] = live
        self._orders = MappingProxyType(updated)

    def live_orders(self) -> Mapping[str, OrderLive]:
        """Every order the engine monitors, as of the last evaluation (immutable)."""
        return self._orders

    def order_state(self, order_id: str) -> str:
        """Compliance state for the map: compliant, prealert, breach, no_signal, ..."""
        live = self._orders.get(order_id)
        return "unknown" if live is None else live.state

    def order_terms(self, order_id: str) -> OrderTerms | None:
        """The terms the engine monitors the order by now."""
        live = self._orders.get(order_id)
        return None if live is None else live.terms

    def open_alerts(self) -> tuple[Alert, ...]:
        """The live alerts in queue order (immutable snapshot)."""
        return self._alerts.queue

    def alert(self, alert_key: str) -> Alert | None:
        """A live alert by key, from the snapshot."""
        return self._alerts.by_key.get(alert_key)

    def subscribe(self) -> asyncio.Queue[Any]:
        """A queue of every `Effects` published from now on."""
        return self.bus.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None:
        self.bus.unsubscribe(queue)

    def announce(self, alert_keys: Sequence[str]) -> None:
        """Publish the live alerts among `alert_keys` (their timelines grew)."""
        by_key = self._alerts.by_key
        alerts = [by_key[k] for k in dict.fromkeys(alert_keys) if k in by_key]
        if alerts:
            self.bus.publish(Effects(alerts=alerts))

    # -- operator actions go through the book and are stored at once ------------

    async def act(self, action: Callable[[AlertBook], list[Transition]]) -> Effects:
        """Run an operator action on the book (on the writer thread, in order with
        the engine's decisions) and store what it changed before returning."""

        def run() -> Effects:
            if self._unstored is not None:
                raise StoreUnavailable("the store is refusing writes; nothing was changed")
            before = self._book.checkpoint()
            effects = Effects(transitions=action(self._book))
            self._store_effects(effects, [], undo=before)
            return effects

        effects = await asyncio.get_running_loop().run_in_executor(self._writer, run)
        self.bus.publish(effects)
        return effects


def _problem(event: Event, params: RuleParams) -> str | None:
    if isinstance(event, Fix):
        return fix_problem(event, params)
    if isinstance(event, Signal):
        return signal_problem(event, params)
    return None
