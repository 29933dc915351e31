"""Routing of events to order monitors, and the engine's timers.

Timers (device silence, order end, check-in and receipt deadlines) fire at
their due time, before any event at or after it is applied. Ticks only advance
the clock; so the decisions do not depend on how often ticks come, and a replay of the
stored log (which holds no ticks) gives the same decisions as the live run.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import (
    CheckinDue,
    DeliveryDue,
    DeliveryReceipt,
    Event,
    Fix,
    OrderChange,
    Signal,
    Tick,
)
from korgoo.domain.terms import OrderStatus
from korgoo.engine.monitor import OrderMonitor
from korgoo.engine.params import DEFAULT_PARAMS, RuleParams
from korgoo.engine.rules import delivery
from korgoo.engine.validate import fix_problem, signal_problem

# Timer kinds, in the order they fire when due at the same instant.
_ORDER_END = 0
_CHECKIN = 1
_SILENCE = 2
_DELIVERY = 3


class Engine:
    def __init__(self, params: RuleParams = DEFAULT_PARAMS) -> None:
        self.params = params
        self.now = 0.0
        self.monitors: dict[str, OrderMonitor] = {}
        self._by_device: dict[str, list[OrderMonitor]] = {}
        # (due, kind, seq, order id, device id or message id)
        self._timers: list[tuple[float, int, int, str, str]] = []
        self._timer_seq = 0
        self.rejected: dict[str, int] = {}

    # -- input ---------------------------------------------------------------

    def apply(self, event: Event) -> list[Decision]:
        out: list[Decision] = []
        now = self.now
        at = event.at
        if at > now:
            now = self.now = at
        timers = self._timers
        if timers and timers[0][0] <= now:
            self._fire(now, out)
        cls = type(event)
        if cls is Fix:
            # Most events are fixes: routed here, without a call of their own.
            fix: Fix = event  # type: ignore[assignment]
            monitors = self._by_device.get(fix.device_id)
            if monitors is None:
                self._reject("unknown_device", fix.device_id, now, out)
                return out
            lat, lon, acc = fix.lat, fix.lon, fix.acc
            p = self.params
            # The plain comparisons are the fast check; NaN fails them all, and the
            # full check then names the reason.
            if not (
                -90.0 <= lat <= 90.0
                and -180.0 <= lon <= 180.0
                and 0.0 < acc <= p.max_accuracy_m
                and fix.t <= fix.at + p.max_future_s
            ):
                problem = fix_problem(fix, p)
                if problem is not None:
                    self._reject(problem, fix.device_id, now, out)
                    return out
            for m in monitors:
                dev = m.on_fix(fix, now, out)
                if dev is not None and not dev.timer_pending:
                    self._arm_silence(m, fix.device_id)
        elif cls is Signal:
            self._signal(event, now, out)  # type: ignore[arg-type]
        elif cls is OrderChange:
            self._order(event, now, out)  # type: ignore[arg-type]
        elif cls is CheckinDue:
            self._checkin(event, out)  # type: ignore[arg-type]
        elif cls is DeliveryDue:
            self._delivery_due(event)  # type: ignore[arg-type]
        elif cls is DeliveryReceipt:
            self._delivery_receipt(event, now, out)  # type: ignore[arg-type]
        return out

    def apply_all(self, events: Iterable[Event]) -> list[Decision]:
        out: list[Decision] = []
        for event in events:
            out.extend(self.apply(event))
        return out

    def tick(self, at: float) -> list[Decision]:
        return self.apply(Tick(at=at))

    # -- handlers -------------------------------------------------------------

    def _signal(self, sig: Signal, now: float, out: list[Decision]) -> None:
        monitors = self._by_device.get(sig.device_id)
        if monitors is None:
            self._reject("unknown_device", sig.device_id, now, out)
            return
        problem = signal_problem(sig, self.params)
        if problem is not None:
            self._reject(problem, sig.device_id, now, out)
            return
        for m in monitors:
            m.on_signal(sig, now, out)
            self._arm_silence(m, sig.device_id)

    def _order(self, change: OrderChange, now: float, out: list[Decision]) -> None:
        terms = change.terms
        m = self.monitors.get(terms.order_id)
        if m is None:
            m = OrderMonitor(terms, self.params, now)
            self.monitors[terms.order_id] = m
        else:
            self._unindex(m)
            m.set_terms(terms, now, out)
        if terms.status is OrderStatus.ACTIVE:
            for device_id in m.devices:
                self._by_device.setdefault(device_id, []).append(m)
        if terms.status is OrderStatus.ACTIVE:
            self._push(terms.ends_at, _ORDER_END, terms.order_id, "")
            for device_id in m.devices:
                self._arm_silence(m, device_id)

    def _checkin(self, ev: CheckinDue, out: list[Decision]) -> None:
        m = self.monitors.get(ev.order_id)
        if m is not None:
            m.checkin_requested(ev.due)
            self._push(ev.due, _CHECKIN, ev.order_id, "")

    def _delivery_due(self, ev: DeliveryDue) -> None:
        m = self.monitors.get(ev.order_id)
        if m is not None:
            delivery.due(m, ev)
            self._push(ev.due, _DELIVERY, ev.order_id, ev.message_id)

    def _delivery_receipt(self, ev: DeliveryReceipt, now: float, out: list[Decision]) -> None:
        m = self.monitors.get(ev.order_id)
        if m is not None:
            delivery.receipt(m, ev, now, out)

    def _reject(self, reason: str, device_id: str, now: float, out: list[Decision]) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        out.append(Decision(kind=DecisionKind.REJECTED, at=now, subject=device_id, message=reason))

    # -- timers ---------------------------------------------------------------

    def _push(self, due: float, kind: int, order_id: str, device_id: str) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, kind, self._timer_seq, order_id, device_id))

    def _arm_silence(self, m: OrderMonitor, device_id: str) -> None:
        dev = m.devices.get(device_id)
        if dev is not None and not dev.timer_pending:
            dev.timer_pending = True
            self._push(m.no_signal_due(dev), _SILENCE, m.order_id, device_id)

    def _fire(self, now: float, out: list[Decision]) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            due, kind, _, order_id, device_id = heapq.heappop(timers)
            m = self.monitors.get(order_id)
            if m is None:
                continue
            if kind == _ORDER_END:
                if m.terms.ends_at == due:
                    m.close_all(due, "order_ended", out)
            elif kind == _CHECKIN:
                m.checkin_deadline(due, out)
            elif kind == _DELIVERY:
                delivery.deadline(m, device_id, due, out)
            else:
                dev = m.devices.get(device_id)
                if dev is None:
                    continue
                actual = m.no_signal_due(dev)
                if actual > due:
                    # Contact since the timer was set: re-arm for the new due time.
                    heapq.heappush(timers, (actual, kind, self._next_seq(), order_id, device_id))
                    continue
                dev.timer_pending = False
                m.no_signal(dev, due, out)

    def _next_seq(self) -> int:
        self._timer_seq += 1
        return self._timer_seq

    def _unindex(self, m: OrderMonitor) -> None:
        for device_id in m.devices:
            monitors = self._by_device.get(device_id)
            if monitors is None:
                continue
            monitors[:] = [x for x in monitors if x is not m]
            if not monitors:
                del self._by_device[device_id]

    # -- views ----------------------------------------------------------------

    def status(self, order_id: str) -> str:
        m = self.monitors.get(order_id)
        return m.state_label() if m is not None else "unknown"
