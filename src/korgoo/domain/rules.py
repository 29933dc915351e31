"""The rule catalogue: every rule the engine decides, declared once.

A rule's id is what stored decisions, alerts and the API carry, so the `Rule`
values are the ids themselves. Its version is recorded on every decision (bump
it when the rule's logic changes), its default priority is what the alert book
falls back on, and its label is the English msgid the console translates.

Keys: an alert is keyed `order:rule:subject:number` (`AlertKey`), one run of
one rule for one subject within an order's engine state is an `EpisodeKey`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from korgoo.domain.decisions import Priority


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Marks a label for extraction; the console translates it when shown."""
    return message


class Rule(StrEnum):
    PROXIMITY_BREACH = "proximity.breach"
    PROXIMITY_PREALERT = "proximity.prealert"
    PROXIMITY_APPROACH = "proximity.approach"
    ZONE_EXCLUSION = "zone.exclusion"
    ZONE_INCLUSION = "zone.inclusion"
    DEVICE_STRAP = "device.strap"
    PANIC = "panic"
    BATTERY_LOW = "battery.low"
    BATTERY_CRITICAL = "battery.critical"
    DEVICE_POWER_OFF = "device.power_off"
    DEVICE_NO_SIGNAL = "device.no_signal"
    DEVICE_MOCK_LOCATION = "device.mock_location"
    DEVICE_SPOOF = "device.spoof"
    DEVICE_MONITORING_LOST = "device.monitoring_lost"
    CHECKIN_MISSED = "checkin.missed"
    CHECKIN_REJECTED = "checkin.rejected"
    DELIVERY_UNCONFIRMED = "delivery.unconfirmed"


class RuleSpec(NamedTuple):
    rule: Rule
    version: int
    priority: Priority  # the default; the engine may decide another from context
    label: str  # gettext msgid
    params: tuple[str, ...]  # the `RuleParams` fields it reads


# Instantaneous alarms: their condition is over as soon as it happens (a press, a
# strap opened and closed, a faked fix), so the alert stays active until an
# operator acknowledges it and only then returns to normal (a latching alarm).
LATCHING_RULES: frozenset[str] = frozenset(
    {Rule.PANIC, Rule.DEVICE_STRAP, Rule.DEVICE_MOCK_LOCATION, Rule.CHECKIN_REJECTED}
)

_HYSTERESIS = ("probable_fixes", "probable_seconds", "clear_margin_m", "clear_seconds")
_CONFIDENCE = (
    "sigma_divisor",
    "drift_sigma_per_acc",
    "open_sky_m",
    "cell_accuracy_m",
    "p_possible",
    "p_probable",
    "p_certain",
    "p_clear",
    "support_s",
)
_PROXIMITY = (
    *_HYSTERESIS,
    *_CONFIDENCE,
    "still_report_s",
    "still_gap_s",
    "max_counterpart_age_s",
    "stale_speed_mps",
    "project_max_s",
    "project_sigma_at_max",
    "warning_drift_factor",
    "still_within_s",
    "late_episode_gap_s",
)
_BATTERY = ("battery_low_pct", "battery_critical_pct", "battery_hysteresis_pct")
_SILENCE = ("no_signal_bracelet_s", "no_signal_respondent_app_s", "no_signal_victim_app_s")

CATALOGUE: Mapping[Rule, RuleSpec] = MappingProxyType(
    {
        spec.rule: spec
        for spec in (
            RuleSpec(
                Rule.PROXIMITY_BREACH,
                11,
                Priority.P1,
                N_("Too close to the protected person"),
                _PROXIMITY,
            ),
            RuleSpec(
                Rule.PROXIMITY_PREALERT,
                11,
                Priority.P3,
                N_("Within the warning distance"),
                _PROXIMITY,
            ),
            RuleSpec(
                Rule.PROXIMITY_APPROACH,
                11,
                Priority.P2,
                N_("Approaching the protected person"),
                (
                    "probable_seconds",
                    "clear_seconds",
                    "approach_ttb_s",
                    "approach_min_closing_mps",
                    "approach_range_m",
                ),
            ),
            RuleSpec(
                Rule.ZONE_EXCLUSION,
                7,
                Priority.P2,
                N_("Entered an exclusion zone"),
                (*_HYSTERESIS, *_CONFIDENCE, "late_episode_gap_s"),
            ),
            RuleSpec(
                Rule.ZONE_INCLUSION,
                7,
                Priority.P2,
                N_("Left the curfew zone"),
                (*_HYSTERESIS, *_CONFIDENCE, "late_episode_gap_s"),
            ),
            RuleSpec(Rule.DEVICE_STRAP, 1, Priority.P2, N_("Strap opened or tampered with"), ()),
            RuleSpec(Rule.PANIC, 1, Priority.P1, N_("Panic button"), ("repeat_window_s",)),
            RuleSpec(Rule.BATTERY_LOW, 1, Priority.P3, N_("Battery low"), _BATTERY),
            RuleSpec(Rule.BATTERY_CRITICAL, 1, Priority.P2, N_("Battery critical"), _BATTERY),
            RuleSpec(Rule.DEVICE_POWER_OFF, 1, Priority.P2, N_("Device switched off"), ()),
            RuleSpec(Rule.DEVICE_NO_SIGNAL, 1, Priority.P2, N_("No signal"), _SILENCE),
            RuleSpec(
                Rule.DEVICE_MOCK_LOCATION,
                1,
                Priority.P2,
                N_("Fake location"),
                ("repeat_window_s",),
            ),
            RuleSpec(
                Rule.DEVICE_SPOOF,
                1,
                Priority.P2,
                N_("Impossible positions (spoofing)"),
                (),
            ),
            RuleSpec(
                Rule.DEVICE_MONITORING_LOST, 1, Priority.P2, N_("Monitoring permission lost"), ()
            ),
            RuleSpec(Rule.CHECKIN_MISSED, 1, Priority.P3, N_("Identity check-in missed"), ()),
            RuleSpec(Rule.CHECKIN_REJECTED, 1, Priority.P2, N_("Identity check-in rejected"), ()),
            RuleSpec(
                Rule.DELIVERY_UNCONFIRMED,
                1,
                Priority.P2,
                N_("Warning not confirmed by the protected person's phone"),
                (),
            ),
        )
    }
)

# Families, for the checks that concern a whole kind of rule.
PROXIMITY_RULES = frozenset(
    {Rule.PROXIMITY_BREACH, Rule.PROXIMITY_PREALERT, Rule.PROXIMITY_APPROACH}
)
ZONE_RULES = frozenset({Rule.ZONE_EXCLUSION, Rule.ZONE_INCLUSION})
BATTERY_RULES = frozenset({Rule.BATTERY_LOW, Rule.BATTERY_CRITICAL})
# Rules whose alert is raised at most once per subject: their key has no number.
UNNUMBERED_RULES = frozenset({Rule.DELIVERY_UNCONFIRMED})

_BY_ID: Mapping[str, Rule] = MappingProxyType({r.value: r for r in Rule})


class EpisodeKey(NamedTuple):
    """One rule for one subject (a protected person, a zone, a device) within an order."""

    rule: Rule
    subject: str


REOPEN_SEP = "/reopened-"


class AlertKey(NamedTuple):
    """The identity of one episode's alert: `order:rule:subject:number`.

    Subjects may contain ':' (device ids of some gateways); the rule, which never
    does, is what the parts are split around. A rule in `UNNUMBERED_RULES` has
    no number (`number` is 0).
    """

    order_id: str
    rule: Rule
    subject: str
    number: int = 0

    def __str__(self) -> str:
        if self.rule in UNNUMBERED_RULES:
            return f"{self.order_id}:{self.rule.value}:{self.subject}"
        return f"{self.order_id}:{self.rule.value}:{self.subject}:{self.number}"

    @classmethod
    def parse(cls, text: str) -> AlertKey:
        """The key of an alert (a reopened alert's suffix is ignored); ValueError if
        the text is not an alert key."""
        parts = episode_key(text).split(":")
        for i in range(1, len(parts) - 1):
            rule = _BY_ID.get(parts[i])
            if rule is None:
                continue
            order_id = ":".join(parts[:i])
            if rule in UNNUMBERED_RULES:
                return cls(order_id, rule, ":".join(parts[i + 1 :]))
            number = parts[-1]
            if number.isdigit() and i < len(parts) - 2:
                return cls(order_id, rule, ":".join(parts[i + 1 : -1]), int(number))
        raise ValueError(f"not an alert key: {text!r}")


def episode_key(alert_key: str) -> str:
    """The engine's key an alert belongs to (a reopened alert has a suffix)."""
    return alert_key.partition(REOPEN_SEP)[0]


def reopen_count(alert_key: str) -> int:
    """How many times the episode had been reopened when this alert was raised."""
    suffix = alert_key.partition(REOPEN_SEP)[2]
    return int(suffix) if suffix.isdigit() else 0


def reopened_key(alert_key: str, reopening: int) -> str:
    return f"{alert_key}{REOPEN_SEP}{reopening}" if reopening else alert_key
