"""Who is told what outside the apps, the retry schedule, and the messages."""

from __future__ import annotations

import pytest

from korgoo.alerts.model import Transition, TransitionKind
from korgoo.domain.decisions import Decision, DecisionKind, Priority
from korgoo.domain.rules import Rule
from korgoo.notify.channels import Outgoing, SmsGateway, receipt_status
from korgoo.notify.messages import TEMPLATES, render
from korgoo.notify.model import Channel, Recipient
from korgoo.notify.policy import (
    AGENCY_CHANNELS,
    after_failure,
    agency_route,
    notification_id,
    plan,
    unit_notification_id,
    unit_offers,
)
from korgoo.settings import Settings

BOTH = frozenset({Channel.SMS, Channel.EMAIL})
HER = Recipient("prot", "ky", phone="+996555000111", email="a@example.kg")
ZONE_KEY = "order:zone.exclusion:home:1"


def opened(at: float = 100.0) -> Decision:
    return Decision(
        kind=DecisionKind.OPENED,
        at=at,
        order_id="order",
        rule=Rule.ZONE_EXCLUSION,
        alert_key=ZONE_KEY,
        priority=Priority.P1,
    )


def warn(code: str, at: float = 100.0, person: str = "prot") -> Decision:
    return Decision(kind=DecisionKind.WARN, at=at, order_id="order", message=code, recipient=person)


def test_without_the_app_she_gets_sms_then_email_tied_to_the_causing_alert() -> None:
    (n,) = plan([(7, opened()), (7, warn("alert"))], {"prot": HER}, {}, BOTH)
    assert n.route == ((Channel.SMS, HER.phone), (Channel.EMAIL, HER.email))
    assert (n.template, n.language, n.alert_key, n.recipient) == (
        "alert",
        "ky",
        ZONE_KEY,
        "protected",
    )
    # a reopened alert's key, when the book holds one
    (n,) = plan(
        [(7, opened()), (7, warn("alert"))], {"prot": HER}, {ZONE_KEY: f"{ZONE_KEY}~1"}, BOTH
    )
    assert n.alert_key == f"{ZONE_KEY}~1"


def test_with_the_app_or_without_any_address_nothing_is_sent_here() -> None:
    app = Recipient("prot", "ru", phone="+996555000111", has_app=True)
    assert plan([(7, warn("alert"))], {"prot": app}, {}, BOTH) == []
    bare = Recipient("prot", "ru")
    assert plan([(7, warn("alert"))], {"prot": bare}, {}, BOTH) == []
    (n,) = plan([(7, warn("alert"))], {"prot": HER}, {}, frozenset({Channel.EMAIL}))
    assert n.route == ((Channel.EMAIL, HER.email),)


def test_only_her_warnings_and_the_all_clear_go_out() -> None:
    decisions = [
        (1, warn("technical_battery_low")),
        (
            1,
            Decision(
                kind=DecisionKind.INSTRUCT,
                at=1.0,
                order_id="order",
                message="leave_now",
                recipient="prot",
            ),
        ),
        (2, warn("approach")),
        (3, warn("all_clear")),
        (4, warn("alert", person="someone-unknown")),
    ]
    made = plan(decisions, {"prot": HER}, {}, BOTH)
    assert [n.template for n in made] == ["prealert", "all_clear"]


def test_the_idempotency_key_is_the_same_for_a_replayed_decision_only() -> None:
    d = warn("alert")
    assert notification_id(7, d, "prot") == notification_id(7, warn("alert"), "prot")
    assert notification_id(7, d, "prot") != notification_id(8, d, "prot")
    assert notification_id(7, d, "prot") != notification_id(7, d, "other")
    assert notification_id(7, d, "prot") != notification_id(7, warn("alert", at=101.0), "prot")


def test_back_off_doubles_then_fails_over_then_gives_up() -> None:
    kw = {"per_channel": 4, "backoff_s": 5.0, "backoff_max_s": 15.0}
    assert after_failure(0, 0, 2, **kw) == (0, 1, 5.0)
    assert after_failure(0, 1, 2, **kw) == (0, 2, 10.0)
    assert after_failure(0, 2, 2, **kw) == (0, 3, 15.0)  # capped
    assert after_failure(0, 3, 2, **kw) == (1, 0, 0.0)  # next channel at once
    assert after_failure(0, 0, 2, permanent=True, **kw) == (1, 0, 0.0)
    assert after_failure(1, 3, 2, **kw).delay_s is None  # no channel left


@pytest.mark.parametrize("template", sorted(t for t in TEMPLATES if not t.startswith("unit_")))
def test_each_message_reads_in_each_language_with_the_numbers(template: str) -> None:
    texts = {lang: render(template, lang, centre="+996312000000", police="102")
             for lang in ("ru", "ky", "en")}  # fmt: skip
    assert len({t.body for t in texts.values()}) == 3
    assert len({t.subject for t in texts.values()}) == 3
    for text in texts.values():
        assert "+996312000000" in text.body and "{" not in text.body
    assert render(template, "de", centre="1", police="2") == render(template, "ru", centre="1",
                                                                    police="2")  # fmt: skip


def test_sms_url_template_quotes_its_values_and_reports_map_to_delivered() -> None:
    settings = Settings(sms_url="https://gw.example.kg/send?to={to}&msg={text}&ref={ref}")
    gateway = SmsGateway(settings)
    url = gateway.url(Outgoing("abc", "+996 555", "s", "Ж & Ж", "ky"))
    assert url == ("https://gw.example.kg/send?to=%2B996%20555&msg=%D0%96%20%26%20%D0%96&ref=abc")
    assert receipt_status(settings, "DELIVRD") is True
    assert receipt_status(settings, "undeliv") is False
    assert receipt_status(settings, "queued") is None


def offer_line(details: dict[str, object], actor: str = "policy") -> Transition:
    return Transition(ZONE_KEY, TransitionKind.ESCALATED, 200.0, actor, True, False, False,
                      Priority.P1, details)  # fmt: skip


def test_a_units_route_follows_the_setting_and_skips_what_it_cannot_use() -> None:
    officer = Recipient("duty-okt", "en", phone="+996700000101", email="d@police.kg")
    assert agency_route(officer, AGENCY_CHANNELS, BOTH) == (
        (Channel.SMS, "+996700000101"),
        (Channel.EMAIL, "d@police.kg"),
    )  # no Web Push subscription: push is skipped
    assert agency_route(officer, ["email", " sms", "email"], BOTH) == (
        (Channel.EMAIL, "d@police.kg"),
        (Channel.SMS, "+996700000101"),
    )
    assert agency_route(officer, ["sms", "email"], {Channel.EMAIL}) == (
        (Channel.EMAIL, "d@police.kg"),
    )
    assert agency_route(Recipient("duty-len", "ru"), AGENCY_CHANNELS, BOTH) == ()


def test_a_user_with_a_browser_subscribed_is_pushed_to_first_by_his_name() -> None:
    officer = Recipient("duty-okt", "en", phone="+996700000101", has_push=True)
    every = BOTH | {Channel.PUSH}
    assert agency_route(officer, AGENCY_CHANNELS, every) == (
        (Channel.PUSH, "duty-okt"),
        (Channel.SMS, "+996700000101"),
    )
    assert agency_route(officer, AGENCY_CHANNELS, BOTH) == ((Channel.SMS, "+996700000101"),)
    assert agency_route(officer, ["sms", "push"], every)[0] == (Channel.SMS, "+996700000101")


def test_a_push_notification_is_short_and_names_no_link() -> None:
    params = {"rule": "proximity.breach", "priority": "P1", "district": "KG-GB-OKT",
              "link": "https://korgoo.kg/police#k"}  # fmt: skip
    text = render("unit_offer", "en", centre="1", police="2", params=params, push=True)
    assert text == ("Korgoo: P1 alert", "New alert P1 in Oktyabrsky District: open Korgoo")
    ru = render("unit_failover", "ru", centre="1", police="2", params=params, push=True)
    assert "Октябрьский район" in ru.body and "https://" not in ru.body
    # A template without a push form shows its e-mail subject and text.
    notice = render("unit_monitoring_restored", "en", centre="1", police="2", push=True)
    assert notice == render("unit_monitoring_restored", "en", centre="1", police="2")


def test_offers_are_the_policys_escalations_to_a_unit_with_a_district() -> None:
    offer = offer_line({"notify": "police_duty", "district": "KG-GB-OKT"})
    failover = offer_line(
        {"notify": "supervisor", "reason": "police_not_accepted", "district": "KG-GB-OKT"}
    )
    sla_step = offer_line({"notify": "supervisor", "step": 0}, actor="sla")
    by_hand = offer_line({"notify": "police_duty", "district": "KG-GB-OKT"}, actor="operator")
    no_district = offer_line({"notify": "police_duty"})
    found = unit_offers([offer, failover, sla_step, by_hand, no_district])
    assert [(o.unit, o.district, o.cause) for o in found] == [
        ("police_duty", "KG-GB-OKT", "offer"),
        ("supervisor", "KG-GB-OKT", "failover"),
    ]
    # The same offer (a replay) and the same user: the same key; another user: another.
    again = unit_offers([offer])[0]
    assert unit_notification_id(again, "duty-okt") == unit_notification_id(found[0], "duty-okt")
    assert unit_notification_id(found[0], "duty-okt") != unit_notification_id(found[0], "x")


@pytest.mark.parametrize("template", sorted(t for t in TEMPLATES if t.startswith("unit_")))
def test_each_units_message_reads_in_each_language_with_its_facts(template: str) -> None:
    params = {"rule": "proximity.breach", "priority": "P1", "district": "KG-GB-OKT",
              "link": "https://korgoo.kg/x"}  # fmt: skip
    texts = [render(template, lang, centre="C1", police="P2", params=params)
             for lang in ("ru", "ky", "en")]  # fmt: skip
    assert len({t.body for t in texts}) == 3 and len({t.subject for t in texts}) == 3
    for text in texts:
        assert "{" not in text.body + text.subject
        assert ("https://korgoo.kg/x" in text.body) != ("C1" in text.body)  # a link or the centre


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_a_units_message_names_rule_priority_district_and_link_in_its_language(
    lang: str,
) -> None:
    params = {"rule": "panic", "priority": "P1", "district": "KG-GB-LEN",
              "link": "https://korgoo.kg/police#k"}  # fmt: skip
    text = render("unit_offer", lang, centre="C", police="P", params=params)
    district = {"ru": "Ленинский район", "ky": "Ленин району", "en": "Leninsky District"}[lang]
    assert district in text.body and "P1" in text.body and "P1" in text.subject
    assert text.body.endswith("https://korgoo.kg/police#k")
    assert "Panic button" in text.body if lang == "en" else "Panic button" not in text.body
