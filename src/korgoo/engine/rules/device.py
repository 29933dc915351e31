"""Devices: strap and tamper, panic, battery, power, silence (no signal), mocked
locations, impossible positions (spoofing) and lost monitoring permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from korgoo.domain.decisions import Decision, Priority
from korgoo.domain.events import Fix, SignalKind
from korgoo.domain.rules import EpisodeKey, Rule
from korgoo.domain.terms import DeviceKind
from korgoo.engine import plausibility
from korgoo.engine.rules.common import close, instant, raise_certain, warn
from korgoo.engine.rules.proximity import near_victim

if TYPE_CHECKING:
    from korgoo.engine.monitor import DeviceState, OrderMonitor


def strap_opened(
    m: OrderMonitor, dev: DeviceState, kind: SignalKind, t: float, now: float, out: list[Decision]
) -> None:
    raise_certain(
        m,
        out,
        EpisodeKey(Rule.DEVICE_STRAP, dev.device_id),
        at=now,
        occurred_at=t,
        priority=Priority.P1 if near_victim(m) else Priority.P2,
        pages=True,
        evidence={"signal": kind.value},
    )


def panic(m: OrderMonitor, dev: DeviceState, t: float, now: float, out: list[Decision]) -> None:
    if t - dev.sos_last > m.params.repeat_window_s:
        track = m.respondent if dev.respondent else m.protected[dev.person_id]
        evidence: dict[str, object] = {"signal": "sos", "person_id": dev.person_id}
        if track.known:
            evidence["last_fix"] = [track.t, track.lat, track.lon, track.acc]
        r = m.respondent
        if r.known:  # where he is picks the police unit to send (docs/escalation.md)
            evidence["respondent_fix"] = [r.t, r.lat, r.lon, r.acc]
        instant(
            m,
            out,
            EpisodeKey(Rule.PANIC, dev.person_id),
            at=now,
            occurred_at=t,
            priority=Priority.P2 if dev.respondent else Priority.P1,
            evidence=evidence,
        )
    dev.sos_last = t


def battery(
    m: OrderMonitor, dev: DeviceState, level: float, t: float, now: float, out: list[Decision]
) -> None:
    p = m.params
    keys = dev.battery_keys
    if keys is None:
        keys = dev.battery_keys = (
            EpisodeKey(Rule.BATTERY_LOW, dev.device_id),
            EpisodeKey(Rule.BATTERY_CRITICAL, dev.device_id),
        )
    low, critical = keys
    for key, limit, prio in (
        (low, p.battery_low_pct, Priority.P3),
        (critical, p.battery_critical_pct, Priority.P2),
    ):
        if level <= limit:
            opened = raise_certain(
                m,
                out,
                key,
                at=now,
                occurred_at=t,
                priority=prio if dev.respondent else Priority.P4,
                pages=dev.respondent,
                evidence={"battery_pct": level},
            )
            if opened and not dev.respondent and key is low:
                warn(m, out, dev.person_id, "technical_battery_low", now)
        elif level >= limit + p.battery_hysteresis_pct:
            close(m, out, key, now, "battery_recovered")


def charging(m: OrderMonitor, dev: DeviceState, now: float, out: list[Decision]) -> None:
    did = dev.device_id
    close(m, out, EpisodeKey(Rule.BATTERY_LOW, did), now, "charging")
    close(m, out, EpisodeKey(Rule.BATTERY_CRITICAL, did), now, "charging")
    if dev.power_kind == SignalKind.POWER_CUT.value:
        dev.power_kind = ""
        close(m, out, EpisodeKey(Rule.DEVICE_POWER_OFF, did), now, "power_restored")


def contact(m: OrderMonitor, dev: DeviceState, now: float, out: list[Decision]) -> None:
    """The device was heard from: the conditions its silence raised are over."""
    dev.alarmed = False
    did = dev.device_id
    close(m, out, EpisodeKey(Rule.DEVICE_NO_SIGNAL, did), now, "contact")
    close(m, out, EpisodeKey(Rule.DEVICE_MONITORING_LOST, did), now, "contact")
    if dev.power_kind == SignalKind.POWER_OFF.value:
        dev.power_kind = ""
        close(m, out, EpisodeKey(Rule.DEVICE_POWER_OFF, did), now, "contact")


def mock(m: OrderMonitor, dev: DeviceState, t: float, now: float, out: list[Decision]) -> None:
    if t - dev.mock_last > m.params.repeat_window_s and dev.respondent:
        instant(
            m,
            out,
            EpisodeKey(Rule.DEVICE_MOCK_LOCATION, dev.device_id),
            at=now,
            occurred_at=t,
            priority=Priority.P2,
            evidence={"signal": "mock_location"},
        )
    dev.mock_last = t


def implausible(
    m: OrderMonitor,
    dev: DeviceState,
    verdict: plausibility.Verdict,
    fix: Fix,
    now: float,
    out: list[Decision],
) -> None:
    """A suspicious fix of the respondent's device: one impossible fix, or
    `SPOOF_COUNT` suspicious ones within `SPOOF_WINDOW_S`, open one episode."""
    t = fix.t
    recent = (*(s for s in dev.suspect_ts if t - s <= plausibility.SPOOF_WINDOW_S), t)
    dev.suspect_ts = recent[-plausibility.SPOOF_COUNT :]
    impossible = verdict.reason is plausibility.Reason.IMPOSSIBLE
    if not impossible and len(recent) < plausibility.SPOOF_COUNT:
        return
    raise_certain(
        m,
        out,
        EpisodeKey(Rule.DEVICE_SPOOF, dev.device_id),
        at=now,
        occurred_at=t,
        priority=Priority.P2,
        pages=True,
        evidence={
            "reason": verdict.reason.value,
            "jump_m": round(verdict.jump_m, 1),
            "implied_speed_mps": round(verdict.speed_mps, 1),
            "respondent_fix": [t, fix.lat, fix.lon, fix.acc],
            "suspicious_fixes": len(recent),
        },
    )


def plausible(m: OrderMonitor, dev: DeviceState, t: float, now: float, out: list[Decision]) -> None:
    """A plausible fix: a spoofing episode ends after a quiet period."""
    if dev.suspect_ts and t - dev.suspect_ts[-1] > plausibility.SPOOF_CLEAR_S:
        dev.suspect_ts = ()
        close(m, out, EpisodeKey(Rule.DEVICE_SPOOF, dev.device_id), now, "plausible_track")


def alarm(
    m: OrderMonitor,
    rule: Rule,
    dev: DeviceState,
    now: float,
    t: float,
    out: list[Decision],
    evidence: dict[str, object],
) -> bool:
    """A device condition that the device's next contact clears; True if it opened."""
    opened = raise_certain(
        m,
        out,
        EpisodeKey(rule, dev.device_id),
        at=now,
        occurred_at=t,
        priority=Priority.P2 if dev.respondent else Priority.P4,
        pages=dev.respondent,
        evidence=evidence,
    )
    if opened:
        dev.alarmed = True
    return opened


def no_signal_due(m: OrderMonitor, dev: DeviceState) -> float:
    p = m.params
    if dev.kind is DeviceKind.BRACELET:
        return dev.last_contact + p.no_signal_bracelet_s
    if dev.kind is DeviceKind.RESPONDENT_APP:
        return dev.last_contact + p.no_signal_respondent_app_s
    return dev.last_contact + p.no_signal_victim_app_s


def no_signal(m: OrderMonitor, dev: DeviceState, due: float, out: list[Decision]) -> None:
    """The device's silence timer ran out at `due`."""
    if not m.terms.active_at(due) or (not dev.respondent and not dev.sharing):
        return
    power = m.episodes.get(EpisodeKey(Rule.DEVICE_POWER_OFF, dev.device_id))
    if power is not None and power.open and dev.power_kind == SignalKind.POWER_OFF.value:
        return  # a device that said it is switching off: that alert already stands
    evidence: dict[str, object] = {"last_contact": dev.last_contact, "kind": dev.kind.value}
    opened = alarm(m, Rule.DEVICE_NO_SIGNAL, dev, due, due, out, evidence)
    if opened and not dev.respondent:
        warn(m, out, dev.person_id, "technical_no_signal", due)
