"""The engine's output: decisions about episodes, and messages to the parties.

An episode is one run of one rule on one order (for one subject: a protected
person, a zone, a device). Its identity `alert_key` = order:rule:subject:number
is what makes alert creation idempotent across retries, restarts and replays.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class DecisionKind(StrEnum):
    OPENED = "opened"  # a new episode: the alert is raised
    UPDATED = "updated"  # confidence or priority of a live episode changed
    CLEARED = "cleared"  # the condition returned to normal
    INSTRUCT = "instruct"  # a message to the respondent
    WARN = "warn"  # a message to a protected person
    REJECTED = "rejected"  # an input the engine refused, with the reason


class Confidence(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Decision(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: DecisionKind
    at: float  # engine time (server receive time of the event that caused it)
    order_id: str = ""
    rule: str = ""
    rule_version: int = 0
    params_rev: str = ""
    alert_key: str = ""
    subject: str = ""  # protected person id, zone id or device id
    priority: Priority | None = None
    confidence: Confidence | None = None
    pages: bool = False  # whether the alert should sound in the console
    late: bool = False  # decided on a fix older than the live state
    occurred_at: float = 0.0  # device time of the evidence
    message: str = ""  # message code for INSTRUCT / WARN, reason for REJECTED
    recipient: str = ""  # person id for INSTRUCT / WARN
    evidence: dict[str, object] = {}
