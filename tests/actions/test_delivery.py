"""Delivery questions answered from the policy, in Chinese and English."""

from __future__ import annotations

import pytest

from actions.delivery import ActionDeliveryInfo, topics_of
from tests.actions.conftest import make_tracker
from tests.actions.order_helpers import render, responses, run, slots_set


@pytest.mark.parametrize(
    ("text", "expected", "snippets"),
    [
        ("发到北京要几天", ["utter_delivery_region_days"], ["北京", "华北", "顺丰速运: 1–2"]),
        ("到乌鲁木齐几天能到", ["utter_delivery_region_days"], ["乌鲁木齐", "EMS: 5–8"]),
        (
            "how long does shipping to Beijing take",
            ["utter_delivery_region_days"],
            ["Beijing", "North China", "SF Express: 1–2"],
        ),
        ("运费多少", ["utter_delivery_fee"], ["99.00", "10.00"]),
        ("is there free shipping", ["utter_delivery_fee"], ["99.00"]),
        (
            "你们发什么快递",
            ["utter_delivery_couriers"],
            ["顺丰速运", "京东物流", "中通快递", "EMS"],
        ),
        (
            "which courier do you normally use",
            ["utter_delivery_couriers"],
            ["ZTO Express is the default"],
        ),
        ("可以晚上送货吗", ["utter_delivery_time_slots"], ["18:00–21:00", "顺丰速运、京东物流"]),
        (
            "can I choose a delivery time slot",
            ["utter_delivery_time_slots"],
            ["weekends 9:00–18:00"],
        ),
        ("寄到香港要多久", ["utter_delivery_international_country"], ["中国香港", "30.00", "2–4"]),
        (
            "do u ship to the US",
            ["utter_delivery_international_country"],
            ["United States", "150.00", "EMS"],
        ),
        ("能送到国外吗", ["utter_delivery_international_list"], ["日本", "美国"]),
        ("do you ship internationally", ["utter_delivery_international_list"], ["Japan", "Canada"]),
        ("你们一般几天发货", ["utter_delivery_dispatch"], ["48"]),
        (
            "发到成都运费多少",
            ["utter_delivery_region_days", "utter_delivery_fee"],
            ["成都", "99.00"],
        ),
        ("可以自提吗", ["utter_delivery_overview"], ["99.00"]),
        (
            "shipping policy?",
            ["utter_delivery_overview"],
            ["SF Express, JD Logistics, ZTO Express, EMS"],
        ),
    ],
)
def test_delivery_questions_get_the_policy_answer(domain, text, expected, snippets):
    tracker = make_tracker(text=text, intent="delivery_inquiry")
    events, dispatcher = run(ActionDeliveryInfo(), tracker, domain)
    assert responses(dispatcher) == expected
    joined = "\n".join(render(dispatcher, domain, tracker))
    for snippet in snippets:
        assert snippet in joined
    assert slots_set(events)["goal_resolved"] is True


def test_a_broken_policy_file_apologises_instead_of_crashing(domain, monkeypatch, tmp_path):
    from crm_engine import policy

    bad = tmp_path / "policy.yml"
    bad.write_text("currency: USD\n", encoding="utf-8")
    monkeypatch.setenv("CRM_POLICY_FILE", str(bad))
    policy._cached.cache_clear()
    try:
        tracker = make_tracker(text="运费多少", intent="delivery_inquiry")
        _, dispatcher = run(ActionDeliveryInfo(), tracker, domain)
        assert responses(dispatcher) == ["utter_action_failed"]
    finally:
        policy._cached.cache_clear()


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("ＦＲＥＥ ＳＨＩＰＰＩＮＧ？？", ["fee"]),
        ("顺丰包邮吗", ["fee", "couriers"]),
        ("hello", []),
    ],
)
def test_topics_are_found_in_full_width_and_mixed_text(text, topics):
    assert topics_of(text) == topics
