"""Who gets what, over which channels, and when to try again. Pure.

A protected person who has no victim app gets her warnings (prealert, alert)
and the all-clear by SMS to her phone, then by e-mail if the SMS cannot be
sent; one with the app is warned by the app (`apps.notifier`) and gets
nothing here. The messages say only what has happened: never the
respondent's position or his distance from her.

An alert offered to a police or probation unit, or passed on to the centre
supervisor when the duty unit does not accept it in time, is sent to every
user of that unit's role in the district, over the channels of
`agency_route` (docs/notifications.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Final, NamedTuple

from korgoo.alerts.machine import POLICY
from korgoo.alerts.model import Transition, TransitionKind
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.rules import PROXIMITY_RULES, Rule
from korgoo.notify.model import TEMPLATE_OF_CODE, UNIT_ROLES, Channel, Notification, Recipient

PROTECTED: Final = "protected"
# The order a protected person's channels are tried in.
PROTECTED_ROUTE: Final = (Channel.SMS, Channel.EMAIL)
# Rules whose episode may cause each template (for the alert's timeline).
_CAUSES: Final = {
    "prealert": frozenset({Rule.PROXIMITY_PREALERT, Rule.PROXIMITY_APPROACH}),
    "alert": frozenset({Rule.PROXIMITY_BREACH, Rule.ZONE_EXCLUSION}),
    "all_clear": PROXIMITY_RULES | {Rule.ZONE_EXCLUSION},
}


def notification_id(seq: int, decision: Decision, person_id: str) -> str:
    """The idempotency key: a replay of the same decision of the same event
    (after a restart) gives the same key, so the outbox holds it once."""
    text = f"{seq}:{decision.order_id}:{decision.at!r}:{decision.message}:{person_id}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def recipients_of(items: Sequence[tuple[int, Decision]]) -> set[str]:
    """The persons the policy may write to for these decisions."""
    return {
        d.recipient
        for _, d in items
        if d.kind is DecisionKind.WARN and d.message in TEMPLATE_OF_CODE and d.recipient
    }


def route_for(person: Recipient, enabled: Collection[Channel]) -> tuple[tuple[Channel, str], ...]:
    """Her channels in failover order: those switched on for which she has an address."""
    if person.has_app:
        return ()
    address = {Channel.SMS: person.phone, Channel.EMAIL: person.email}
    return tuple(
        (channel, str(address[channel]))
        for channel in PROTECTED_ROUTE
        if channel in enabled and address[channel]
    )


# The order a unit's channels are tried in unless KORGOO_AGENCY_CHANNELS says
# otherwise. "push" (Web Push) is first: a user who switched it on in the
# police view has it on his phone at once, and it costs nothing.
AGENCY_CHANNELS: Final = ("push", "sms", "email")


def agency_route(
    person: Recipient, order: Sequence[str], enabled: Collection[Channel]
) -> tuple[tuple[Channel, str], ...]:
    """A unit member's channels in failover order: those named in `order` that
    are switched on and for which the user has an address, each once (Web
    Push goes to his subscribed browsers, found by his user name when sent)."""
    address = {
        Channel.SMS: person.phone,
        Channel.EMAIL: person.email,
        Channel.PUSH: person.person_id if person.has_push else None,
    }
    route: list[tuple[Channel, str]] = []
    for name in order:
        channel = next((c for c in Channel if c.value == name.strip()), None)
        if channel is None or channel not in enabled or any(c == channel for c, _ in route):
            continue
        to = address.get(channel)
        if to:
            route.append((channel, to))
    return tuple(route)


class UnitOffer(NamedTuple):
    """An alert offered to a unit (or passed on to the supervisor) in a district."""

    transition: Transition  # the `escalated` line that caused it
    unit: str  # a key of UNIT_ROLES
    district: str
    cause: str  # offer | failover


def unit_offers(transitions: Sequence[Transition]) -> list[UnitOffer]:
    """The escalation policy's offers among `transitions`: the offer to a unit,
    and the acceptance timeout that passes it on to the supervisor."""
    out: list[UnitOffer] = []
    for t in transitions:
        if t.kind is not TransitionKind.ESCALATED or t.actor != POLICY:
            continue
        unit, district = t.details.get("notify"), t.details.get("district")
        if not isinstance(unit, str) or unit not in UNIT_ROLES:
            continue
        if not isinstance(district, str) or not district:
            continue
        out.append(UnitOffer(t, unit, district, "failover" if t.details.get("reason") else "offer"))
    return out


def unit_notification_id(offer: UnitOffer, username: str) -> str:
    """The idempotency key of one user's message: the replayed offer (same alert,
    time, unit) gives the same key."""
    t = offer.transition
    text = f"{t.alert_key}:{t.at!r}:{offer.cause}:{offer.unit}:{offer.district}:{username}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cause(decisions: Sequence[Decision], index: int, template: str) -> str:
    """The episode key of the alert that caused the warning at `index`: the
    nearest earlier decision of the same order from a rule that sends it."""
    warning = decisions[index]
    rules = _CAUSES.get(template, frozenset())
    for d in reversed(decisions[:index]):
        if d.order_id == warning.order_id and d.alert_key and d.rule in rules:
            return d.alert_key
    return ""


def plan(
    items: Sequence[tuple[int, Decision]],
    recipients: Mapping[str, Recipient],
    live: Mapping[str, str],
    enabled: Collection[Channel],
) -> list[Notification]:
    """The notifications one evaluation's decisions cause. `live` maps an
    episode key to the key of its alert (a reopened alert has a suffix)."""
    out: list[Notification] = []
    decisions = [d for _, d in items]
    for i, (seq, d) in enumerate(items):
        if d.kind is not DecisionKind.WARN:
            continue
        template = TEMPLATE_OF_CODE.get(d.message)
        person = recipients.get(d.recipient)
        if template is None or person is None:
            continue
        route = route_for(person, enabled)
        if not route:
            continue
        episode = cause(decisions, i, template)
        out.append(
            Notification(
                id=notification_id(seq, d, person.person_id),
                at=d.at,
                order_id=d.order_id,
                alert_key=live.get(episode, episode) or None,
                person_id=person.person_id,
                recipient=PROTECTED,
                template=template,
                language=person.language,
                route=route,
            )
        )
    return out


class Retry(NamedTuple):
    step: int  # the channel of the route to try next
    attempts: int  # failed attempts on that channel so far
    delay_s: float | None  # None: no channel left, the notification failed


def after_failure(
    step: int,
    attempts: int,
    route_len: int,
    *,
    per_channel: int,
    backoff_s: float,
    backoff_max_s: float,
    permanent: bool = False,
) -> Retry:
    """What to do after a failed attempt: the same channel again after an
    exponential back-off (backoff_s, 2x, 4x ... capped), or, once it has failed
    `per_channel` times or refused for good, the next channel at once."""
    attempts += 1
    if not permanent and attempts < per_channel:
        return Retry(step, attempts, min(backoff_s * 2 ** (attempts - 1), backoff_max_s))
    if step + 1 < route_len:
        return Retry(step + 1, 0, 0.0)
    return Retry(step, attempts, None)
