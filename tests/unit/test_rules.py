"""The rule catalogue and the key types: one declaration per rule, and alert keys
that print in the stored format and parse back, whatever ':' the ids hold."""

from __future__ import annotations

import pytest

from korgoo.alerts.policy import default_priority
from korgoo.domain.decisions import Priority
from korgoo.domain.rules import (
    CATALOGUE,
    AlertKey,
    EpisodeKey,
    Rule,
    episode_key,
    reopen_count,
    reopened_key,
)
from korgoo.engine.params import RuleParams


def test_every_rule_is_declared_once_with_known_parameters() -> None:
    assert set(CATALOGUE) == set(Rule)
    fields = set(RuleParams.__struct_fields__)
    for rule, spec in CATALOGUE.items():
        assert spec.rule is rule
        assert spec.version >= 1
        assert spec.label
        assert set(spec.params) <= fields, rule


def test_default_priorities_come_from_the_catalogue() -> None:
    assert default_priority(Rule.PROXIMITY_BREACH) is Priority.P1
    assert default_priority("checkin.missed") is Priority.P3
    assert default_priority(Rule.DELIVERY_UNCONFIRMED) is Priority.P2


def test_alert_key_prints_the_stored_format() -> None:
    key = AlertKey("order-1", Rule.PROXIMITY_BREACH, "person-2", 3)
    assert str(key) == "order-1:proximity.breach:person-2:3"
    assert str(AlertKey("order-1", Rule.DELIVERY_UNCONFIRMED, "abc")) == (
        "order-1:delivery.unconfirmed:abc"
    )


@pytest.mark.parametrize(
    "key",
    [
        AlertKey("order-1", Rule.PROXIMITY_BREACH, "person-2", 3),
        AlertKey("order-1", Rule.DEVICE_NO_SIGNAL, "osmand:123456", 12),
        AlertKey("court:2026:17", Rule.ZONE_EXCLUSION, "zone:a:b", 1),
        AlertKey("order-1", Rule.DELIVERY_UNCONFIRMED, "0123456789"),
        AlertKey("order:1", Rule.PANIC, "person-2", 2),
    ],
)
def test_alert_key_parses_back(key: AlertKey) -> None:
    assert AlertKey.parse(str(key)) == key
    assert AlertKey.parse(reopened_key(str(key), 2)) == key


@pytest.mark.parametrize(
    "text", ["", "order-1", "order-1:no.such:x:1", "order-1:panic:x", "order-1:panic:x:one"]
)
def test_text_that_is_no_alert_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an alert key"):
        AlertKey.parse(text)


def test_reopened_alert_keys() -> None:
    base = "order-1:panic:person-2:1"
    assert reopened_key(base, 0) == base
    assert episode_key(reopened_key(base, 3)) == base
    assert reopen_count(reopened_key(base, 3)) == 3
    assert reopen_count(base) == 0


def test_episode_keys_are_equal_by_value() -> None:
    a = EpisodeKey(Rule.BATTERY_LOW, "dev-1")
    assert {a: 1}[EpisodeKey(Rule.BATTERY_LOW, "dev-1")] == 1
    assert a != EpisodeKey(Rule.BATTERY_CRITICAL, "dev-1")
    assert (a.rule, a.subject) == ("battery.low", "dev-1")
