"""The monitor of one order: its parties' positions, devices and episodes, and
the routing of fixes, signals and timers to the rules (`korgoo.engine.rules`).

All methods take the engine time `now` and append decisions to `out`; nothing
here reads a clock or does I/O.
"""

from __future__ import annotations

from korgoo.domain.decisions import Decision
from korgoo.domain.events import DeliveryDue, Fix, Signal, SignalKind
from korgoo.domain.rules import BATTERY_RULES, EpisodeKey, Rule
from korgoo.domain.terms import DeviceKind, OrderStatus, OrderTerms
from korgoo.engine import plausibility
from korgoo.engine.episode import Episode
from korgoo.engine.params import RuleParams
from korgoo.engine.rules import checkins, device, proximity, zones
from korgoo.engine.rules.common import close, instruct_clear
from korgoo.engine.track import Track

_BREACH_RULES = frozenset({Rule.PROXIMITY_BREACH, Rule.ZONE_EXCLUSION, Rule.ZONE_INCLUSION})
_PREALERT_RULES = frozenset({Rule.PROXIMITY_PREALERT, Rule.PROXIMITY_APPROACH})
# The live map's states, least grave first.
_STATE_RANK = ("compliant", "low_battery", "no_signal", "switched_off", "prealert", "breach")


class DeviceState:
    __slots__ = (
        "alarmed",
        "anchor",
        "battery_keys",
        "device_id",
        "kind",
        "last_contact",
        "last_t",
        "mock_last",
        "person_id",
        "power_kind",
        "respondent",
        "sharing",
        "sos_last",
        "strap_open",
        "suspect_ts",
        "timer_pending",
    )

    def __init__(self, device_id: str, kind: DeviceKind, person_id: str, respondent: bool):
        self.device_id = device_id
        self.kind = kind
        self.person_id = person_id
        self.respondent = respondent
        self.last_t = -1.0
        self.last_contact = 0.0
        self.power_kind = ""
        self.sharing = True
        self.sos_last = -1e18
        self.strap_open = False  # a bracelet off his ankle: its fixes are not where he is
        self.mock_last = -1e18
        self.timer_pending = False
        self.alarmed = False  # a contact-cleared episode may be open
        self.battery_keys: tuple[EpisodeKey, EpisodeKey] | None = None  # made when first reported
        self.anchor: plausibility.Anchor | None = None  # last accepted fix
        self.suspect_ts: tuple[float, ...] = ()  # device times of recent suspicious fixes


class OrderMonitor:
    __slots__ = (
        "active",
        "checkin_due",
        "clear_pending",
        "deliveries",
        "devices",
        "ends_at",
        "episodes",
        "far_m",
        "instructed",
        "instructed_at",
        "leave_from",
        "near_m",
        "order_id",
        "params",
        "pending",
        "pkeys",
        "protected",
        "respondent",
        "starts_at",
        "terms",
        "warned",
        "zone_bounds",
        "zone_box",
        "zones",
    )

    def __init__(self, terms: OrderTerms, params: RuleParams, now: float):
        self.order_id = terms.order_id
        self.params = params
        self.terms = terms
        self.respondent = Track()
        self.protected: dict[str, Track] = {}
        self.devices: dict[str, DeviceState] = {}
        self.episodes: dict[EpisodeKey, Episode] = {}
        self.warned: dict[str, bool] | None = None  # made when first warned
        self.instructed = False
        self.instructed_at = 0.0
        self.clear_pending = False  # a clear waits for the hold after the last leave
        self.leave_from: tuple[float, float] | None = None  # his position at leave_now
        self.zones: list[zones.Zone] = []
        self.zone_bounds: zones.Box | None = None  # round all zones (`zones.bounds`)
        self.zone_box: zones.Box | None = None  # the same while every zone is quiet
        self.checkin_due = -1.0
        # Warnings awaiting a receipt, by message id, and whether already unconfirmed.
        self.deliveries: dict[str, tuple[DeliveryDue, bool]] | None = None
        self.active = False
        self.starts_at = self.ends_at = 0.0
        self.far_m = self.near_m = 0.0
        self.pkeys: dict[str, proximity.PartyKeys] | None = None  # made when first near
        self.pending: dict[str, proximity.Pending] | None = None  # made when first needed
        self.set_terms(terms, now, [])

    def ep(self, key: EpisodeKey) -> Episode:
        ep = self.episodes.get(key)
        if ep is None:
            ep = self.episodes[key] = Episode()
        return ep

    # -- order terms ---------------------------------------------------------

    def set_terms(self, terms: OrderTerms, now: float, out: list[Decision]) -> None:
        old_zone_ids = [z.spec.zone_id for z in self.zones]
        self.terms = terms
        self.zones = [zones.compile_zone(spec) for spec in terms.zones]
        kept = {spec.zone_id for spec in terms.zones}
        for zid in old_zone_ids:
            if zid not in kept:
                zones.removed(self, zid, now, out)
        self.zone_bounds = zones.bounds(self.zones, self.params)
        self.zone_box = zones.quiet_box(self)
        devices: dict[str, DeviceState] = {}
        for party in (terms.respondent, *terms.protected):
            is_resp = party.role == "respondent"
            if not is_resp and party.person_id not in self.protected:
                self.protected[party.person_id] = Track()
            for device_id, kind in party.devices:
                dev = self.devices.get(device_id)
                if dev is None:
                    dev = DeviceState(device_id, kind, party.person_id, is_resp)
                    dev.last_contact = max(now, terms.starts_at)
                devices[device_id] = dev
        self.devices = devices
        self.protected = {p.person_id: self.protected[p.person_id] for p in terms.protected}
        if self.pkeys:
            self.pkeys = {k: v for k, v in self.pkeys.items() if k in self.protected} or None
        if self.pending:
            self.pending = {k: v for k, v in self.pending.items() if k in self.protected} or None
        params = self.params
        # Beyond `near_m` only an approach warning or a crossing between fixes
        # can come of a pair, and both need a course: without one, that is far.
        self.near_m = terms.warning_distance_m + params.clear_margin_m
        self.far_m = max(self.near_m, params.approach_range_m)
        self.starts_at, self.ends_at = terms.starts_at, terms.ends_at
        self.active = terms.status is OrderStatus.ACTIVE
        if not terms.active_at(now):
            self.close_all(now, "order_not_in_force", out)

    def close_all(self, now: float, reason: str, out: list[Decision]) -> None:
        for key, ep in self.episodes.items():
            if ep.open:
                close(self, out, key, now, reason)

    # -- fixes ---------------------------------------------------------------

    def on_fix(self, fix: Fix, now: float, out: list[Decision]) -> DeviceState | None:
        dev = self.devices.get(fix.device_id)
        if dev is None or not (self.active and self.starts_at <= now < self.ends_at):
            return None
        t, at, last_t = fix.t, fix.at, dev.last_t
        late = t < last_t or at - t > self.params.late_after_s
        dev.last_contact = now
        if dev.alarmed:
            device.contact(self, dev, now, out)
        if late:
            self._late_fix(dev, fix, now, out)
            return dev
        if t == last_t:
            return dev  # sent twice: evaluated once (a second look is no new evidence)
        dev.last_t = t
        if fix.charging:
            device.charging(self, dev, now, out)
        if fix.battery is not None:
            device.battery(self, dev, fix.battery, t, now, out)
        if fix.mock:
            device.mock(self, dev, t, now, out)
            return dev  # a mocked position is no evidence either way
        if dev.strap_open:
            return dev  # the strap alert stands; the bracelet is not where he is
        lat = fix.lat
        lon = fix.lon
        acc = fix.acc
        speed = fix.speed
        anchor = dev.anchor
        if anchor is None:
            dev.anchor = plausibility.accept(None, t, lat, lon, acc, speed)
        else:
            verdict = plausibility.admit(anchor, t, lat, lon, acc, speed)
            if verdict is not plausibility.OK:
                # Not his position (nor hers): no rule sees it, so no instruction
                # answers it. Only his device is suspected; the log keeps both.
                if verdict.suspicious and dev.respondent:
                    device.implausible(self, dev, verdict, fix, now, out)
                return dev
        if dev.suspect_ts:
            device.plausible(self, dev, t, now, out)
        if dev.respondent:
            track = self.respondent
            heading = fix.heading
            track.update(t, at, lat, lon, acc, speed, heading)
            for pid, ptrack in self.protected.items():
                if ptrack.t >= 0.0:
                    proximity.on_position(self, pid, track, ptrack, speed, heading, now, out)
            # Outside the quiet zones' box he is far from every zone: the common
            # case, settled by four comparisons.
            box = self.zone_box
            if box is None:
                if self.zones:
                    zones.on_position(self, fix, now, out)
            elif not (
                track.acc <= box[4]
                and (
                    track.lat < box[0]
                    or track.lat > box[1]
                    or track.lon < box[2]
                    or track.lon > box[3]
                )
            ):
                zones.on_position(self, fix, now, out)
        elif dev.sharing:
            ptrack = self.protected[dev.person_id]
            ptrack.update(t, at, lat, lon, acc, speed, fix.heading)
            if self.respondent.t >= 0.0:
                proximity.on_position(
                    self, dev.person_id, self.respondent, ptrack, None, None, now, out
                )
        if self.clear_pending:
            instruct_clear(self, out, now)
        return dev

    def _late_fix(self, dev: DeviceState, fix: Fix, now: float, out: list[Decision]) -> None:
        """Evaluate a buffered or out-of-order fix for the record only.

        It never moves the live state: positions, episodes and hysteresis stay
        as the live stream left them. A breach it reveals is a late episode.
        """
        if fix.mock:
            return
        if dev.respondent:
            self.respondent.remember(fix.t, fix.lat, fix.lon, fix.acc)
            for pid, ptrack in self.protected.items():
                proximity.late_fix(self, pid, fix, ptrack, now, out, respondent_fix=True)
            zones.late_fix(self, fix, now, out)
        else:
            ptrack = self.protected[dev.person_id]
            ptrack.remember(fix.t, fix.lat, fix.lon, fix.acc)
            proximity.late_fix(
                self, dev.person_id, fix, self.respondent, now, out, respondent_fix=False
            )

    # -- signals ---------------------------------------------------------------

    def on_signal(self, sig: Signal, now: float, out: list[Decision]) -> None:
        dev = self.devices.get(sig.device_id)
        if dev is None or not self.terms.active_at(now):
            return
        kind = sig.kind
        t = sig.t
        if kind is SignalKind.SHARING_PAUSED:
            dev.sharing = False
            if not dev.respondent:
                self.protected[dev.person_id].forget()
                if self.pending:
                    # Nothing she shared before the pause is confirmed by what
                    # she shares after it.
                    self.pending.pop(dev.person_id, None)
                    self.pending = self.pending or None
            return
        if kind is SignalKind.SHARING_RESUMED:
            dev.sharing = True
        if kind is not SignalKind.POWER_OFF:
            dev.last_contact = now
            if dev.alarmed:
                device.contact(self, dev, now, out)
        if kind is SignalKind.STRAP_OPEN or kind is SignalKind.TAMPER:
            dev.strap_open = dev.respondent
            device.strap_opened(self, dev, kind, t, now, out)
        elif kind is SignalKind.STRAP_CLOSED:
            dev.strap_open = False
            close(self, out, EpisodeKey(Rule.DEVICE_STRAP, dev.device_id), now, "strap_closed")
        elif kind is SignalKind.SOS:
            device.panic(self, dev, t, now, out)
        elif kind is SignalKind.LOW_BATTERY:
            level = sig.value if sig.value is not None else self.params.battery_low_pct
            device.battery(self, dev, level, t, now, out)
        elif kind is SignalKind.HEARTBEAT:
            if sig.value is not None:
                device.battery(self, dev, sig.value, t, now, out)
        elif kind is SignalKind.CHARGING:
            device.charging(self, dev, now, out)
        elif kind is SignalKind.POWER_OFF or kind is SignalKind.POWER_CUT:
            dev.power_kind = kind.value
            device.alarm(self, Rule.DEVICE_POWER_OFF, dev, now, t, out, {"signal": kind.value})
        elif kind is SignalKind.MOCK_LOCATION:
            device.mock(self, dev, t, now, out)
        elif kind is SignalKind.PERMISSION_REVOKED or kind is SignalKind.APP_HIDDEN:
            evidence: dict[str, object] = {"signal": kind.value}
            device.alarm(self, Rule.DEVICE_MONITORING_LOST, dev, now, t, out, evidence)
        elif kind is SignalKind.CHECK_IN and dev.respondent:
            checkins.checked_in(self, t, now, out)
        elif kind is SignalKind.CHECK_IN_REJECTED and dev.respondent:
            checkins.rejected(self, sig, now, out)

    # -- timers ----------------------------------------------------------------

    def checkin_requested(self, due: float) -> None:
        checkins.requested(self, due)

    def checkin_deadline(self, due: float, out: list[Decision]) -> None:
        checkins.deadline(self, due, out)

    def no_signal_due(self, dev: DeviceState) -> float:
        return device.no_signal_due(self, dev)

    def no_signal(self, dev: DeviceState, due: float, out: list[Decision]) -> None:
        device.no_signal(self, dev, due, out)

    # -- views -----------------------------------------------------------------

    def state_label(self) -> str:
        """Compliance state for the live map: the gravest open condition. The map
        shows the respondent, so device conditions are those of the respondent's
        devices; one that said it is switching off is "switched_off" (its silence
        is no lost signal, its last battery reading no longer matters)."""
        best = 0
        for key, ep in self.episodes.items():
            if ep.open:
                best = max(best, _STATE_RANK.index(self._label_of(key)))
        return _STATE_RANK[best]

    def _label_of(self, key: EpisodeKey) -> str:
        rule = key.rule
        if rule in _BREACH_RULES:
            return "breach"
        if rule in _PREALERT_RULES:
            return "prealert"
        dev = self.devices.get(key.subject)
        if dev is None or not dev.respondent:
            return "compliant"
        if rule is Rule.DEVICE_POWER_OFF and dev.power_kind == SignalKind.POWER_OFF.value:
            return "switched_off"
        if rule is Rule.DEVICE_NO_SIGNAL:
            return "no_signal"
        if rule in BATTERY_RULES:
            return "low_battery"
        return "compliant"
