"""The monitor of one order: its parties' positions, devices and episodes.

All methods take the engine time `now` and append decisions to `out`; nothing
here reads a clock or does I/O. Messages to the respondent (INSTRUCT) carry a
message code and at most a static zone's id: never the protected person's
position, a distance or a bearing.
"""

from __future__ import annotations

import math

from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.rules import (
    BATTERY_RULES,
    CATALOGUE,
    PROXIMITY_RULES,
    ZONE_RULES,
    AlertKey,
    EpisodeKey,
    Rule,
)
from korgoo.domain.schedule import schedule_active
from korgoo.domain.terms import DeviceKind, OrderStatus, OrderTerms, ZoneSpec
from korgoo.engine.episode import Episode, Step, force_clear, observe
from korgoo.engine.params import RuleParams
from korgoo.engine.track import Track
from korgoo.geo import CompiledZone, Containment, classify_within, distance_m, stale_radius_m

PAGING = (Confidence.CERTAIN, Confidence.PROBABLE)
# The episode keys of proximity breach, prealert and approach for one protected person.
PartyKeys = tuple[EpisodeKey, EpisodeKey, EpisodeKey]


class DeviceState:
    __slots__ = (
        "alarmed",
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
        self.mock_last = -1e18
        self.timer_pending = False
        self.alarmed = False  # a contact-cleared episode may be open


class OrderMonitor:
    __slots__ = (
        "active",
        "checkin_due",
        "devices",
        "ends_at",
        "episodes",
        "far_m",
        "instructed",
        "order_id",
        "params",
        "pkeys",
        "protected",
        "respondent",
        "starts_at",
        "terms",
        "warned",
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
        self.zones: list[tuple[ZoneSpec, CompiledZone]] = []
        self.checkin_due = -1.0
        self.active = False
        self.starts_at = self.ends_at = 0.0
        self.far_m = 0.0
        self.pkeys: dict[str, PartyKeys] | None = None  # made when first near
        self.set_terms(terms, now, [])

    # -- order terms ---------------------------------------------------------

    def set_terms(self, terms: OrderTerms, now: float, out: list[Decision]) -> None:
        old_zone_ids = [spec.zone_id for spec, _ in self.zones]
        self.terms = terms
        self.zones = [(spec, CompiledZone(spec)) for spec in terms.zones]
        kept = {spec.zone_id for spec in terms.zones}
        for zid in old_zone_ids:
            if zid not in kept:
                for rule in (Rule.ZONE_EXCLUSION, Rule.ZONE_INCLUSION):
                    self._force_clear(rule, zid, now, "zone_removed", out)
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
        params = self.params
        self.far_m = max(terms.warning_distance_m + params.clear_margin_m, params.approach_range_m)
        self.starts_at, self.ends_at = terms.starts_at, terms.ends_at
        self.active = terms.status is OrderStatus.ACTIVE
        if not terms.active_at(now):
            self.close_all(now, "order_not_in_force", out)

    def close_all(self, now: float, reason: str, out: list[Decision]) -> None:
        for key, ep in self.episodes.items():
            if ep.open:
                self._force_clear(key.rule, key.subject, now, reason, out)

    # -- fixes ---------------------------------------------------------------

    def on_fix(self, fix: Fix, now: float, out: list[Decision]) -> DeviceState | None:
        dev = self.devices.get(fix.device_id)
        if dev is None or not (self.active and self.starts_at <= now < self.ends_at):
            return None
        t = fix.t
        late = t < dev.last_t or fix.at - t > self.params.late_after_s
        dev.last_contact = now
        if dev.alarmed:
            self._contact(dev, now, out)
        if late:
            self._late_fix(dev, fix, now, out)
            return dev
        dev.last_t = t
        if fix.charging:
            self._charging(dev, now, out)
        if fix.battery is not None:
            self._battery(dev, fix.battery, t, now, out)
        if fix.mock:
            self._mock(dev, t, now, out)
            return dev  # a mocked position is no evidence either way
        if dev.respondent:
            track = self.respondent
            track.update(t, fix.at, fix.lat, fix.lon, fix.acc, fix.speed)
            for pid, ptrack in self.protected.items():
                if ptrack.t >= 0.0:
                    self._proximity(pid, track, ptrack, fix.speed, fix.heading, now, out)
            if self.zones:
                self._zones(fix, now, out)
        elif dev.sharing:
            ptrack = self.protected[dev.person_id]
            ptrack.update(t, fix.at, fix.lat, fix.lon, fix.acc, fix.speed)
            if self.respondent.t >= 0.0:
                self._proximity(dev.person_id, self.respondent, ptrack, None, None, now, out)
        return dev

    def _proximity(
        self,
        pid: str,
        r: Track,
        v: Track,
        speed: float | None,
        heading: float | None,
        now: float,
        out: list[Decision],
    ) -> None:
        p = self.params
        dt = r.t - v.t
        if abs(dt) > p.max_counterpart_age_s:
            return  # no evidence of where the other party is now
        # The older of the two fixes is widened by its age.
        rr = r.acc if dt >= 0 else stale_radius_m(r.acc, -dt, p.stale_speed_mps)
        rv = v.acc if dt <= 0 else stale_radius_m(v.acc, dt, p.stale_speed_mps)
        d = distance_m(r.lat, r.lon, v.lat, v.lon)
        lower = d - rr - rv
        pkeys = self.pkeys
        keys = None if pkeys is None else pkeys.get(pid)
        if lower > self.far_m and (keys is None or _idle(self.episodes, *keys)):
            return  # far away and nothing open or pending: the common case
        if keys is None:
            keys = self._party_keys(pid)
        b_key, w_key, _ = keys
        terms = self.terms
        dmin, dwarn = terms.min_distance_m, terms.warning_distance_m
        t = max(r.t, v.t)
        evidence = {
            "distance_m": round(d, 1),
            "respondent_radius_m": round(rr, 1),
            "protected_radius_m": round(rv, 1),
            "respondent_fix": [r.t, r.lat, r.lon, r.acc],
            "protected_fix": [v.t, v.lat, v.lon, v.acc],
            "counterpart_age_s": round(abs(dt), 1),
        }
        cb = classify_within(d, rr, rv, dmin)
        ep = self._ep(b_key)
        was_paging = ep.open and ep.confidence in PAGING
        step = observe(
            ep,
            cb,
            lower > dmin + p.clear_margin_m,
            t,
            p.probable_fixes,
            p.probable_seconds,
            p.clear_seconds,
        )
        if step != Step.NONE:
            self._episode_step(
                Rule.PROXIMITY_BREACH, pid, ep, step, cb, now, t, dmin, evidence, out, was_paging
            )
        breach_paging = ep.open and ep.confidence in PAGING
        if breach_paging:
            self._force_clear(Rule.PROXIMITY_APPROACH, pid, now, "superseded_by_breach", out)
        cw = classify_within(d, rr, rv, dwarn)
        wep = self._ep(w_key)
        wstep = observe(
            wep,
            cw,
            lower > dwarn + p.clear_margin_m,
            t,
            p.probable_fixes,
            p.probable_seconds,
            p.clear_seconds,
            min_level=Confidence.PROBABLE,
        )
        if wstep == Step.OPENED:
            self._emit(
                DecisionKind.OPENED,
                Rule.PROXIMITY_PREALERT,
                pid,
                wep,
                now,
                t,
                out,
                Priority.P3,
                wep.confidence,
                True,
                evidence | {"limit_m": dwarn},
            )
            if not breach_paging:
                self._warn(pid, "prealert", now, out)
        elif wstep == Step.CLEARED:
            self._emit(
                DecisionKind.CLEARED,
                Rule.PROXIMITY_PREALERT,
                pid,
                wep,
                now,
                t,
                out,
                evidence=evidence | {"limit_m": dwarn},
            )
            self._all_clear(pid, now, out)
        if speed is not None and heading is not None and not breach_paging:
            self._approach(pid, r, v, d, speed, heading, now, t, evidence, out)

    def _approach(
        self,
        pid: str,
        r: Track,
        v: Track,
        d: float,
        speed: float,
        heading: float,
        now: float,
        t: float,
        evidence: dict[str, object],
        out: list[Decision],
    ) -> None:
        # Closing speed from the reported velocity, not from differences of
        # noisy positions: a device standing still under 80 m jitter reports
        # a speed near zero, so jitter never looks like an approach.
        p = self.params
        dmin = self.terms.min_distance_m
        level: Confidence | None = None
        if speed >= p.approach_min_closing_mps and dmin < d <= p.approach_range_m:
            coslat = math.cos(math.radians(r.lat))
            bearing = math.atan2((v.lon - r.lon) * coslat, v.lat - r.lat)
            closing = speed * math.cos(math.radians(heading) - bearing)
            if closing >= p.approach_min_closing_mps and (d - dmin) / closing <= p.approach_ttb_s:
                level = Confidence.PROBABLE
                evidence = evidence | {"time_to_breach_s": round((d - dmin) / closing, 1)}
        ep = self._ep(EpisodeKey(Rule.PROXIMITY_APPROACH, pid))
        step = observe(ep, level, level is None, t, 2, p.probable_seconds, p.clear_seconds)
        if step == Step.OPENED:
            self._emit(
                DecisionKind.OPENED,
                Rule.PROXIMITY_APPROACH,
                pid,
                ep,
                now,
                t,
                out,
                Priority.P2,
                level,
                True,
                evidence,
            )
            self._warn(pid, "approach", now, out)
        elif step == Step.CLEARED:
            self._emit(
                DecisionKind.CLEARED,
                Rule.PROXIMITY_APPROACH,
                pid,
                ep,
                now,
                t,
                out,
                evidence=evidence,
            )
            self._all_clear(pid, now, out)

    def _zones(self, fix: Fix, now: float, out: list[Decision]) -> None:
        p = self.params
        lat, lon, acc, t = fix.lat, fix.lon, fix.acc, fix.t
        tz = self.terms.timezone
        for spec, z in self.zones:
            exclusion = z.kind == "exclusion"
            rule = Rule.ZONE_EXCLUSION if exclusion else Rule.ZONE_INCLUSION
            key = EpisodeKey(rule, z.zone_id)
            ep = self.episodes.get(key)
            idle = ep is None or (not ep.open and ep.pending is None)
            if exclusion and idle and z.far_outside(lat, lon, acc + p.clear_margin_m):
                continue
            if spec.schedule and not schedule_active(spec.schedule, t, tz):
                if ep is not None and ep.open:
                    self._force_clear(rule, z.zone_id, now, "schedule_ended", out)
                elif ep is not None:
                    ep.pending = None
                    ep.pending_n = 0
                continue
            level, clear = zone_level(z, exclusion, lat, lon, acc, p.clear_margin_m)
            ep = self._ep(key)
            was_paging = ep.open and ep.confidence in PAGING
            step = observe(
                ep, level, clear, t, p.probable_fixes, p.probable_seconds, p.clear_seconds
            )
            if step == Step.NONE:
                continue
            evidence: dict[str, object] = {
                "zone_id": z.zone_id,
                "zone_name": spec.name,
                "signed_distance_m": round(z.signed_distance_m(lat, lon), 1),
                "respondent_fix": [t, lat, lon, acc],
            }
            self._episode_step(
                rule, z.zone_id, ep, step, level, now, t, 0.0, evidence, out, was_paging
            )

    # -- the record of late fixes ----------------------------------------------

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
                self._late_proximity(pid, fix, fix.acc, ptrack, now, out, respondent_fix=True)
            tz = self.terms.timezone
            for spec, z in self.zones:
                exclusion = z.kind == "exclusion"
                if exclusion and z.far_outside(fix.lat, fix.lon, fix.acc):
                    continue
                if spec.schedule and not schedule_active(spec.schedule, fix.t, tz):
                    continue
                level, _ = zone_level(z, exclusion, fix.lat, fix.lon, fix.acc, 0.0)
                if level in PAGING:
                    sd = z.signed_distance_m(fix.lat, fix.lon)
                    rule = Rule.ZONE_EXCLUSION if exclusion else Rule.ZONE_INCLUSION
                    evidence: dict[str, object] = {
                        "zone_id": z.zone_id,
                        "zone_name": spec.name,
                        "signed_distance_m": round(sd, 1),
                        "respondent_fix": [fix.t, fix.lat, fix.lon, fix.acc],
                    }
                    self._late_episode(rule, z.zone_id, fix.t, level, now, out, evidence)
        else:
            ptrack = self.protected[dev.person_id]
            ptrack.remember(fix.t, fix.lat, fix.lon, fix.acc)
            self._late_proximity(
                dev.person_id, fix, fix.acc, self.respondent, now, out, respondent_fix=False
            )

    def _late_proximity(
        self,
        pid: str,
        fix: Fix,
        acc: float,
        other: Track,
        now: float,
        out: list[Decision],
        respondent_fix: bool,
    ) -> None:
        near = other.nearest(fix.t)
        if near is None:
            return
        ot, olat, olon, oacc = near
        age = abs(fix.t - ot)
        p = self.params
        if age > p.max_counterpart_age_s:
            return
        rad = stale_radius_m(oacc, age, p.stale_speed_mps)
        d = distance_m(fix.lat, fix.lon, olat, olon)
        level = classify_within(d, acc, rad, self.terms.min_distance_m)
        if level not in PAGING:
            return
        mine = [fix.t, fix.lat, fix.lon, fix.acc]
        theirs = [ot, olat, olon, oacc]
        self._late_episode(
            Rule.PROXIMITY_BREACH,
            pid,
            fix.t,
            level,
            now,
            out,
            {
                "distance_m": round(d, 1),
                "respondent_fix": mine if respondent_fix else theirs,
                "protected_fix": theirs if respondent_fix else mine,
                "counterpart_age_s": round(age, 1),
                "limit_m": self.terms.min_distance_m,
            },
        )

    def _late_episode(
        self,
        rule: Rule,
        subject: str,
        t: float,
        level: Confidence | None,
        now: float,
        out: list[Decision],
        evidence: dict[str, object],
    ) -> None:
        ep = self._ep(EpisodeKey(rule, subject))
        gap = self.params.late_episode_gap_s
        if ep.late_last_t >= 0.0 and abs(t - ep.late_last_t) <= gap:
            ep.late_last_t = max(ep.late_last_t, t)
            return  # the same past episode, already on record
        ep.late_last_t = t
        ep.late_number = ep.next_number()
        for kind in (DecisionKind.OPENED, DecisionKind.CLEARED):
            opened = kind is DecisionKind.OPENED
            self._emit(
                kind,
                rule,
                subject,
                ep,
                now,
                t,
                out,
                Priority.P2,
                level,
                opened,
                evidence,
                "" if opened else "late_record",
                late=True,
                number=ep.late_number,
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
            return
        if kind is SignalKind.SHARING_RESUMED:
            dev.sharing = True
        if kind is not SignalKind.POWER_OFF:
            dev.last_contact = now
            if dev.alarmed:
                self._contact(dev, now, out)
        if kind is SignalKind.STRAP_OPEN or kind is SignalKind.TAMPER:
            prio = Priority.P1 if self._near_victim() else Priority.P2
            ep = self._ep(EpisodeKey(Rule.DEVICE_STRAP, dev.device_id))
            if not ep.open:
                ep.open = True
                ep.confidence = Confidence.CERTAIN
                ep.next_number()
                self._emit(
                    DecisionKind.OPENED,
                    Rule.DEVICE_STRAP,
                    dev.device_id,
                    ep,
                    now,
                    t,
                    out,
                    prio,
                    Confidence.CERTAIN,
                    True,
                    {"signal": kind.value},
                )
        elif kind is SignalKind.STRAP_CLOSED:
            self._force_clear(Rule.DEVICE_STRAP, dev.device_id, now, "strap_closed", out)
        elif kind is SignalKind.SOS:
            if t - dev.sos_last > self.params.repeat_window_s:
                prio = Priority.P2 if dev.respondent else Priority.P1
                track = self.respondent if dev.respondent else self.protected[dev.person_id]
                evidence: dict[str, object] = {"signal": "sos", "person_id": dev.person_id}
                if track.known:
                    evidence["last_fix"] = [track.t, track.lat, track.lon, track.acc]
                self._instant(Rule.PANIC, dev.person_id, now, t, prio, evidence, out)
            dev.sos_last = t
        elif kind is SignalKind.LOW_BATTERY:
            level = sig.value if sig.value is not None else self.params.battery_low_pct
            self._battery(dev, level, t, now, out)
        elif kind is SignalKind.HEARTBEAT:
            if sig.value is not None:
                self._battery(dev, sig.value, t, now, out)
        elif kind is SignalKind.CHARGING:
            self._charging(dev, now, out)
        elif kind is SignalKind.POWER_OFF or kind is SignalKind.POWER_CUT:
            dev.power_kind = kind.value
            self._device_alarm(Rule.DEVICE_POWER_OFF, dev, now, t, out, {"signal": kind.value})
        elif kind is SignalKind.MOCK_LOCATION:
            self._mock(dev, t, now, out)
        elif kind is SignalKind.PERMISSION_REVOKED or kind is SignalKind.APP_HIDDEN:
            self._device_alarm(
                Rule.DEVICE_MONITORING_LOST, dev, now, t, out, {"signal": kind.value}
            )
        elif kind is SignalKind.CHECK_IN and dev.respondent:
            if self.checkin_due >= 0.0 and t <= self.checkin_due:
                self.checkin_due = -1.0
            self._force_clear(
                Rule.CHECKIN_MISSED, self.terms.respondent.person_id, now, "checked_in", out
            )

    def _device_alarm(
        self,
        rule: Rule,
        dev: DeviceState,
        now: float,
        t: float,
        out: list[Decision],
        evidence: dict[str, object],
    ) -> bool:
        """A device condition that the device's next contact clears; True if it opened."""
        ep = self._ep(EpisodeKey(rule, dev.device_id))
        if ep.open:
            return False
        ep.open = True
        ep.next_number()
        dev.alarmed = True
        prio = Priority.P2 if dev.respondent else Priority.P4
        self._emit(
            DecisionKind.OPENED,
            rule,
            dev.device_id,
            ep,
            now,
            t,
            out,
            prio,
            Confidence.CERTAIN,
            dev.respondent,
            evidence,
        )
        return True

    def checkin_requested(self, due: float) -> None:
        self.checkin_due = due

    def checkin_deadline(self, due: float, now: float, out: list[Decision]) -> None:
        if self.checkin_due != due or not self.terms.active_at(due):
            return
        self.checkin_due = -1.0
        subject = self.terms.respondent.person_id
        ep = self._ep(EpisodeKey(Rule.CHECKIN_MISSED, subject))
        if not ep.open:
            ep.open = True
            ep.next_number()
            self._emit(
                DecisionKind.OPENED,
                Rule.CHECKIN_MISSED,
                subject,
                ep,
                now,
                due,
                out,
                Priority.P3,
                Confidence.CERTAIN,
                True,
                {"due": due},
            )

    def no_signal_due(self, dev: DeviceState) -> float:
        p = self.params
        if dev.kind is DeviceKind.BRACELET:
            return dev.last_contact + p.no_signal_bracelet_s
        if dev.kind is DeviceKind.RESPONDENT_APP:
            return dev.last_contact + p.no_signal_respondent_app_s
        return dev.last_contact + p.no_signal_victim_app_s

    def no_signal(self, dev: DeviceState, due: float, out: list[Decision]) -> None:
        """Called by the engine when a device's silence timer runs out at `due`."""
        if not self.terms.active_at(due) or (not dev.respondent and not dev.sharing):
            return
        power = self.episodes.get(EpisodeKey(Rule.DEVICE_POWER_OFF, dev.device_id))
        if power is not None and power.open and dev.power_kind == SignalKind.POWER_OFF.value:
            return  # a device that said it is switching off: that alert already stands
        evidence: dict[str, object] = {"last_contact": dev.last_contact, "kind": dev.kind.value}
        opened = self._device_alarm(Rule.DEVICE_NO_SIGNAL, dev, due, due, out, evidence)
        if opened and not dev.respondent:
            self._warn(dev.person_id, "technical_no_signal", due, out)

    # -- device helpers -------------------------------------------------------

    def _contact(self, dev: DeviceState, now: float, out: list[Decision]) -> None:
        dev.alarmed = False
        did = dev.device_id
        self._force_clear(Rule.DEVICE_NO_SIGNAL, did, now, "contact", out)
        self._force_clear(Rule.DEVICE_MONITORING_LOST, did, now, "contact", out)
        if dev.power_kind == SignalKind.POWER_OFF.value:
            dev.power_kind = ""
            self._force_clear(Rule.DEVICE_POWER_OFF, did, now, "contact", out)

    def _charging(self, dev: DeviceState, now: float, out: list[Decision]) -> None:
        did = dev.device_id
        self._force_clear(Rule.BATTERY_LOW, did, now, "charging", out)
        self._force_clear(Rule.BATTERY_CRITICAL, did, now, "charging", out)
        if dev.power_kind == SignalKind.POWER_CUT.value:
            dev.power_kind = ""
            self._force_clear(Rule.DEVICE_POWER_OFF, did, now, "power_restored", out)

    def _battery(
        self, dev: DeviceState, level: float, t: float, now: float, out: list[Decision]
    ) -> None:
        p = self.params
        did = dev.device_id
        for rule, limit, prio in (
            (Rule.BATTERY_LOW, p.battery_low_pct, Priority.P3),
            (Rule.BATTERY_CRITICAL, p.battery_critical_pct, Priority.P2),
        ):
            key = EpisodeKey(rule, did)
            ep = self.episodes.get(key)
            if level <= limit:
                if ep is None:
                    ep = self._ep(key)
                if not ep.open:
                    ep.open = True
                    ep.next_number()
                    self._emit(
                        DecisionKind.OPENED,
                        rule,
                        did,
                        ep,
                        now,
                        t,
                        out,
                        prio if dev.respondent else Priority.P4,
                        Confidence.CERTAIN,
                        dev.respondent,
                        {"battery_pct": level},
                    )
                    if not dev.respondent and rule == Rule.BATTERY_LOW:
                        self._warn(dev.person_id, "technical_battery_low", now, out)
            elif ep is not None and ep.open and level >= limit + p.battery_hysteresis_pct:
                self._force_clear(rule, did, now, "battery_recovered", out)

    def _mock(self, dev: DeviceState, t: float, now: float, out: list[Decision]) -> None:
        if t - dev.mock_last > self.params.repeat_window_s and dev.respondent:
            self._instant(
                Rule.DEVICE_MOCK_LOCATION,
                dev.device_id,
                now,
                t,
                Priority.P2,
                {"signal": "mock_location"},
                out,
            )
        dev.mock_last = t

    def _near_victim(self) -> bool:
        r = self.respondent
        if not r.known:
            return False
        limit = self.terms.warning_distance_m
        for v in self.protected.values():
            if v.known and distance_m(r.lat, r.lon, v.lat, v.lon) - r.acc - v.acc <= limit:
                return True
        return False

    # -- decisions ------------------------------------------------------------

    def _party_keys(self, pid: str) -> PartyKeys:
        if self.pkeys is None:
            self.pkeys = {}
        keys = self.pkeys[pid] = (
            EpisodeKey(Rule.PROXIMITY_BREACH, pid),
            EpisodeKey(Rule.PROXIMITY_PREALERT, pid),
            EpisodeKey(Rule.PROXIMITY_APPROACH, pid),
        )
        return keys

    def _ep(self, key: EpisodeKey) -> Episode:
        ep = self.episodes.get(key)
        if ep is None:
            ep = self.episodes[key] = Episode()
        return ep

    def _emit(
        self,
        kind: DecisionKind,
        rule: Rule,
        subject: str,
        ep: Episode,
        now: float,
        t: float,
        out: list[Decision],
        priority: Priority | None = None,
        confidence: Confidence | None = None,
        pages: bool = False,
        evidence: dict[str, object] | None = None,
        message: str = "",
        *,
        late: bool = False,
        number: int = 0,
    ) -> None:
        out.append(
            Decision(
                kind=kind,
                at=now,
                order_id=self.order_id,
                rule=rule,
                rule_version=CATALOGUE[rule].version,
                params_rev=self.params.revision,
                alert_key=str(AlertKey(self.order_id, rule, subject, number or ep.number)),
                late=late,
                subject=subject,
                priority=priority,
                confidence=confidence,
                pages=pages,
                occurred_at=t,
                message=message,
                evidence=evidence or {},
            )
        )

    def _instant(
        self,
        rule: Rule,
        subject: str,
        now: float,
        t: float,
        prio: Priority,
        evidence: dict[str, object],
        out: list[Decision],
    ) -> None:
        """An alarm that is over as soon as it happens: raised, and at once
        returned to normal (it still needs an operator)."""
        ep = self._ep(EpisodeKey(rule, subject))
        ep.next_number()
        self._emit(
            DecisionKind.OPENED,
            rule,
            subject,
            ep,
            now,
            t,
            out,
            prio,
            Confidence.CERTAIN,
            True,
            evidence,
        )
        self._emit(DecisionKind.CLEARED, rule, subject, ep, now, t, out, message="instant")

    def _force_clear(
        self, rule: Rule, subject: str, now: float, reason: str, out: list[Decision]
    ) -> None:
        ep = self.episodes.get(EpisodeKey(rule, subject))
        if ep is None or not force_clear(ep):
            return
        self._emit(DecisionKind.CLEARED, rule, subject, ep, now, now, out, message=reason)
        if rule in PROXIMITY_RULES and subject in self.protected:
            self._all_clear(subject, now, out)
        elif rule in ZONE_RULES:
            self._instruct_clear(now, out)
            if rule == Rule.ZONE_EXCLUSION:
                for pid in self.protected:
                    self._all_clear(pid, now, out)

    def _episode_step(
        self,
        rule: Rule,
        subject: str,
        ep: Episode,
        step: int,
        level: Confidence | None,
        now: float,
        t: float,
        limit: float,
        evidence: dict[str, object],
        out: list[Decision],
        was_paging: bool,
    ) -> None:
        if limit:
            evidence = evidence | {"limit_m": limit}
        conf = ep.confidence
        paging = conf in PAGING
        prio = _priority(rule) if paging else Priority.P4
        if step == Step.OPENED:
            self._emit(
                DecisionKind.OPENED, rule, subject, ep, now, t, out, prio, conf, paging, evidence
            )
        elif step == Step.RAISED:
            self._emit(
                DecisionKind.UPDATED, rule, subject, ep, now, t, out, prio, conf, paging, evidence
            )
        elif step == Step.CLEARED:
            self._emit(DecisionKind.CLEARED, rule, subject, ep, now, t, out, evidence=evidence)
            self._instruct_clear(now, out)
            if rule == Rule.PROXIMITY_BREACH:
                self._all_clear(subject, now, out)
            elif rule == Rule.ZONE_EXCLUSION:
                for pid in self.protected:
                    self._all_clear(pid, now, out)
            return
        if paging and not was_paging:
            self._instruct(
                "leave_now" if rule == Rule.PROXIMITY_BREACH else "leave_zone",
                "" if rule == Rule.PROXIMITY_BREACH else subject,
                now,
                out,
            )
            if rule == Rule.PROXIMITY_BREACH:
                self._warn(subject, "alert", now, out)
            elif rule == Rule.ZONE_EXCLUSION:
                for pid in self.protected:
                    self._warn(pid, "alert", now, out)

    def _warn(self, pid: str, message: str, now: float, out: list[Decision]) -> None:
        if not message.startswith("technical"):
            if self.warned is None:
                self.warned = {}
            self.warned[pid] = True
        out.append(
            Decision(
                kind=DecisionKind.WARN,
                at=now,
                order_id=self.order_id,
                message=message,
                recipient=pid,
            )
        )

    def _all_clear(self, pid: str, now: float, out: list[Decision]) -> None:
        if not self.warned or not self.warned.get(pid):
            return
        for rule in PROXIMITY_RULES:
            ep = self.episodes.get(EpisodeKey(rule, pid))
            if ep is not None and ep.open:
                return
        for key, ep in self.episodes.items():
            if key.rule is Rule.ZONE_EXCLUSION and ep.open:
                return
        self.warned[pid] = False
        out.append(
            Decision(
                kind=DecisionKind.WARN,
                at=now,
                order_id=self.order_id,
                message="all_clear",
                recipient=pid,
            )
        )

    def _instruct(self, message: str, subject: str, now: float, out: list[Decision]) -> None:
        # Only a message code and, for a static zone, the zone's id: nothing from
        # which the protected person's position could be worked out.
        if message != "clear":
            self.instructed = True
        out.append(
            Decision(
                kind=DecisionKind.INSTRUCT,
                at=now,
                order_id=self.order_id,
                message=message,
                subject=subject,
                recipient=self.terms.respondent.person_id,
            )
        )

    def _instruct_clear(self, now: float, out: list[Decision]) -> None:
        if not self.instructed:
            return
        for key, ep in self.episodes.items():
            if ep.open and (key.rule is Rule.PROXIMITY_BREACH or key.rule in ZONE_RULES):
                return
        self.instructed = False
        self._instruct("clear", "", now, out)

    def state_label(self) -> str:
        """Compliance state for the live map."""
        eps = self.episodes
        label = "compliant"
        for key, ep in eps.items():
            if not ep.open:
                continue
            rule = key.rule
            if rule in (Rule.PROXIMITY_BREACH, Rule.ZONE_EXCLUSION, Rule.ZONE_INCLUSION):
                return "breach"
            if rule in (Rule.PROXIMITY_PREALERT, Rule.PROXIMITY_APPROACH):
                label = "prealert"
            elif rule == Rule.DEVICE_NO_SIGNAL and label == "compliant":
                label = "no_signal"
            elif rule in BATTERY_RULES and label == "compliant":
                label = "low_battery"
        return label


def _idle(episodes: dict[EpisodeKey, Episode], *keys: EpisodeKey) -> bool:
    for key in keys:
        ep = episodes.get(key)
        if ep is not None and (ep.open or ep.pending is not None):
            return False
    return True


def _priority(rule: str) -> Priority:
    if rule == Rule.PROXIMITY_BREACH:
        return Priority.P1
    return Priority.P2


def zone_level(
    z: CompiledZone, exclusion: bool, lat: float, lon: float, acc: float, margin: float
) -> tuple[Confidence | None, bool]:
    """How surely a fix breaches a zone, and whether it clearly complies.

    Exclusion: inside is a breach, clear when the centre is outside by the margin.
    Inclusion (curfew): outside is a breach, clear when the centre is inside.
    An uncertain fix is probable when its centre is on the breaching side, else
    possible. The exact (slower, for polygons) signed distance is computed only
    when containment alone cannot tell.
    """
    c = z.classify(lat, lon, acc)
    if exclusion:
        if c is Containment.INSIDE:
            return Confidence.CERTAIN, False
        if c is Containment.OUTSIDE and acc >= margin:
            return None, True
        sd = z.signed_distance_m(lat, lon)
        if c is Containment.OUTSIDE:
            return None, sd > margin
        return (Confidence.PROBABLE if sd <= 0.0 else Confidence.POSSIBLE), sd > margin
    if c is Containment.OUTSIDE:
        return Confidence.CERTAIN, False
    if c is Containment.INSIDE:
        return None, True
    sd = z.signed_distance_m(lat, lon)
    return (Confidence.PROBABLE if sd > 0.0 else Confidence.POSSIBLE), sd < 0.0
