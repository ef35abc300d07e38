"""Personalised conversation: the same question from customers of different tiers and
segments gets different, correct answers, in Chinese and in English."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from actions.complaints import ActionLogComplaint
from actions.handoff import ActionHumanHandoff
from actions.orders import ActionOrderStatus
from actions.personalisation import OFFERS_SLOT, ActionGreet
from actions.recommendations import ActionRecommendProducts
from actions.refunds import ActionRequestRefund
from crm_engine.analyze import run_analysis
from crm_engine.auth import issue_customer_token
from crm_engine.db import session_scope
from crm_engine.models import Product, Ticket, utcnow
from tests import factories
from tests.actions.conftest import make_tracker
from tests.actions.order_helpers import goal_tracker, render, responses, run, slots_set
from tests.analytics.shop import AS_OF, build_shop, plan_shop
from tests.profile_factories import score

LANGUAGES = ["zh", "en"]
SECRET = "test-secret-for-personalisation-0123456789"


def _customer(db_url: str, *, tier: str | None, name: str = "张伟", orders: int = 3, **profile):
    """A customer with `orders` delivered orders and, unless tier is None, a profile."""
    with session_scope(db_url) as s:
        cust = factories.customer(s, name=name)
        for _ in range(orders):
            factories.order(s, cust, status="delivered")
        if tier is not None:
            score(s, cust, tier=tier, **profile)
        return cust.code


def _user(text: str, intent: str) -> dict:
    parsed = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return {"event": "user", "text": text, "parse_data": parsed, "input_channel": "rest"}


# --- greeting ---------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_known_customer_is_greeted_by_name_an_unknown_one_generically(db_url, domain, lang):
    code = _customer(db_url, tier="high", name="Emma Wilson")
    text = "你好" if lang == "zh" else "hello"
    known = make_tracker(text=text, intent="greet", slots={"customer_id": code, "language": lang})
    anonymous = make_tracker(text=text, intent="greet", slots={"language": lang})

    known_events, known_said = run(ActionGreet(), known, domain)
    anon_events, anon_said = run(ActionGreet(), anonymous, domain)

    assert responses(known_said) == ["utter_greet_by_name"]
    assert "Emma Wilson" in render(known_said, domain, known)[0]
    assert known_events == []  # nothing new to remember, no offer made
    assert responses(anon_said) == ["utter_greet"] and anon_events == []


@pytest.mark.parametrize(
    ("lang", "basics"),
    [("zh", ["¥99.00", "包邮", "7 天内", "15 天内"]), ("en", ["CNY 99.00", "7 days", "15 days"])],
)
def test_a_new_customer_is_welcomed_with_the_basics_once(db_url, domain, lang, basics):
    code = _customer(db_url, tier="low", orders=1, segment="new", frequency=1)
    tracker = make_tracker(intent="greet", slots={"customer_id": code, "language": lang})
    events, said = run(ActionGreet(), tracker, domain)
    assert responses(said) == ["utter_greet_new_customer"]
    text = render(said, domain, tracker)[0]
    assert "张伟" in text and all(b in text for b in basics), text
    assert slots_set(events)[OFFERS_SLOT] == ["onboarding"]
    # Greeting again in the same conversation does not repeat the basics.
    again = make_tracker(
        intent="greet",
        slots={"customer_id": code, "language": lang, OFFERS_SLOT: ["onboarding"]},
    )
    assert responses(run(ActionGreet(), again, domain)[1]) == ["utter_greet_by_name"]


def test_a_signed_in_web_customer_is_recognised_from_the_token(db_url, domain, monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    code = _customer(db_url, tier="medium", name="李娜")
    tracker = make_tracker(
        text="你好", intent="greet", metadata={"auth_token": issue_customer_token(code)}
    )
    events, said = run(ActionGreet(), tracker, domain)
    assert responses(said) == ["utter_greet_by_name"] and "李娜" in render(said, domain, tracker)[0]
    assert slots_set(events) == {"customer_id": code, "customer_name": "李娜"}


# --- refunds by tier ----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_same_refund_is_approved_for_a_vip_and_reviewed_for_a_low_tier_customer(
    db_url, domain, lang
):
    numbers = {}
    with session_scope(db_url) as s:
        for tier in ("vip", "low"):
            cust = factories.customer(s)
            for _ in range(3):  # regular customers: no onboarding tips in the way
                factories.order(s, cust, status="delivered")
            coat = factories.product(s, name_zh="羽绒服", name_en="Down jacket", price="599.00")
            numbers[tier] = factories.order(s, cust, status="paid", items=[(coat, 1)]).number
            score(s, cust, tier=tier)
            numbers[f"{tier}-code"] = cust.code

    said = {}
    for tier in ("vip", "low"):
        tracker = goal_tracker(
            number=numbers[tier], language=lang, slots={"customer_id": numbers[f"{tier}-code"]}
        )
        _, dispatcher = run(ActionRequestRefund(), tracker, domain)
        said[tier] = (responses(dispatcher), render(dispatcher, domain, tracker))

    assert said["vip"][0] == ["utter_order_cancelled_for_refund", "utter_refund_approved"]
    assert said["low"][0] == ["utter_order_cancelled_for_refund", "utter_refund_under_review"]
    assert "599.00" in said["vip"][1][1] and "599.00" in said["low"][1][1]
    with session_scope(db_url) as s:
        [review] = s.scalars(select(Ticket).where(Ticket.kind == "refund_review")).all()
        assert numbers["low"] in review.reason


@pytest.mark.parametrize(
    ("lang", "code_text"), [("zh", "优惠码 COMEBACK20"), ("en", "code COMEBACK20")]
)
def test_an_at_risk_customer_gets_the_retention_offer_after_a_refund(
    db_url, domain, lang, code_text
):
    with session_scope(db_url) as s:
        cust = factories.customer(s, name="王芳")
        for _ in range(4):
            factories.order(s, cust, status="delivered")
        number = factories.order(s, cust, status="paid").number
        score(s, cust, tier="high", segment="at_risk", churn=0.8)
        code = cust.code
    tracker = goal_tracker(number=number, language=lang, slots={"customer_id": code})
    events, said = run(ActionRequestRefund(), tracker, domain)
    assert responses(said)[-1] == "utter_retention_offer"
    assert (
        code_text in render(said, domain, tracker)[-1]
        and "王芳" in render(said, domain, tracker)[-1]
    )
    assert slots_set(events)[OFFERS_SLOT] == ["retention"]


# --- handoff and complaints by tier -------------------------------------------


def _handoff_tracker(code: str, lang: str, sender: str, events: list | None = None):
    text = "转人工" if lang == "zh" else "a person please"
    return make_tracker(
        text=text,
        intent="human_handoff",
        slots={"customer_id": code, "language": lang},
        sender_id=sender,
        events=events,
    )


@pytest.mark.parametrize(("lang", "tier_name"), [("zh", "VIP客户"), ("en", "VIP")])
def test_a_vip_reaches_a_person_with_higher_priority(db_url, domain, lang, tier_name):
    vip, low = _customer(db_url, tier="vip"), _customer(db_url, tier="low")
    vip_tracker = _handoff_tracker(vip, lang, "vip-chat")
    low_tracker = _handoff_tracker(low, lang, "low-chat")
    _, vip_said = run(ActionHumanHandoff(), vip_tracker, domain)
    _, low_said = run(ActionHumanHandoff(), low_tracker, domain)

    assert responses(vip_said) == ["utter_handoff_created_priority"]
    assert tier_name in render(vip_said, domain, vip_tracker)[0]
    assert responses(low_said) == ["utter_handoff_created"]
    with session_scope(db_url) as s:
        priority = {t.conversation_id: t.priority for t in s.scalars(select(Ticket))}
    assert priority == {"vip-chat": "high", "low-chat": "normal"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_vip_complaint_is_recorded_with_priority_and_the_person_offered_is_urgent(
    db_url, domain, lang
):
    vip, low = _customer(db_url, tier="vip"), _customer(db_url, tier="low")
    complaint = "太差了，我要投诉" if lang == "zh" else "This is terrible, I want to complain"
    said = {}
    for tier, code in (("vip", vip), ("low", low)):
        tracker = make_tracker(
            text=complaint,
            intent="complaint",
            slots={"customer_id": code, "language": lang},
            sender_id=f"{tier}-chat",
        )
        events, dispatcher = run(ActionLogComplaint(), tracker, domain)
        assert slots_set(events)["handoff_offered"] is True  # the rule then offers a person
        said[tier] = responses(dispatcher)
        render(dispatcher, domain, tracker)
        # The customer accepts the person offered.
        accepted = _handoff_tracker(
            code,
            lang,
            f"{tier}-chat",
            events=[_user(complaint, "complaint"), _user("好的", "affirm")],
        )
        run(ActionHumanHandoff(), accepted, domain)

    assert said == {
        "vip": ["utter_complaint_received_priority"],
        "low": ["utter_complaint_received"],
    }
    with session_scope(db_url) as s:
        tickets = {(t.conversation_id, t.kind): t.priority for t in s.scalars(select(Ticket))}
    assert tickets == {
        ("vip-chat", "complaint"): "high",
        ("vip-chat", "handoff"): "urgent",
        ("low-chat", "complaint"): "normal",
        ("low-chat", "handoff"): "high",
    }


# --- recommendations and complementary items (the real analysis) ---------------


@pytest.fixture
def analysed_shop(db_url):
    """The synthetic analytics shop, analysed for real, plus a buyer of green tea."""
    with session_scope(db_url) as s:
        build_shop(s, plan_shop(n_customers=80, seed=7))
        run_analysis(s, as_of=AS_OF, engine="pandas")
        tea = s.scalar(select(Product).where(Product.sku == "TEA-GREEN"))
        buyer = factories.customer(s, name="王芳")
        order = factories.order(
            s,
            buyer,
            status="delivered",
            placed_at=utcnow() - dt.timedelta(days=3),
            items=[(tea, 1)],
        )
        return {"buyer": buyer.code, "order": order.number}


@pytest.mark.parametrize(
    ("lang", "text", "first"),
    [
        ("zh", "有什么推荐的吗", "1. 玻璃茶杯 ¥39.00"),
        ("en", "any recommendations?", "1. Glass tea cup ¥39.00"),
    ],
)
def test_a_known_customer_gets_personal_recommendations_others_the_best_sellers(
    analysed_shop, domain, lang, text, first
):
    known = make_tracker(
        text=text,
        intent="recommend_product",
        slots={"customer_id": analysed_shop["buyer"], "language": lang},
    )
    anonymous = make_tracker(text=text, intent="recommend_product", slots={"language": lang})
    _, personal = run(ActionRecommendProducts(), known, domain)
    _, popular = run(ActionRecommendProducts(), anonymous, domain)
    assert responses(personal) == ["utter_recommend_personal"]
    assert personal.messages[0]["products"].startswith(first)
    assert "TEA-GREEN" not in personal.messages[0]["products"]
    assert responses(popular) == ["utter_recommend_popular"]
    assert render(personal, domain, known) != render(popular, domain, anonymous)


@pytest.mark.parametrize(("lang", "item"), [("zh", "玻璃茶杯"), ("en", "Glass tea cup")])
def test_a_delivered_order_brings_each_offer_once_per_conversation(
    analysed_shop, domain, lang, item
):
    slots = {"customer_id": analysed_shop["buyer"]}
    offers: list[str] = []
    said = []
    for _ in range(3):  # the same question three times in one conversation
        tracker = goal_tracker(
            number=analysed_shop["order"], language=lang, slots={**slots, OFFERS_SLOT: offers}
        )
        events, dispatcher = run(ActionOrderStatus(), tracker, domain)
        offers = slots_set(events).get(OFFERS_SLOT, offers)
        said.append((responses(dispatcher), render(dispatcher, domain, tracker)))

    # A first-time buyer hears the basics first, then what goes with the tea, then nothing more.
    assert said[0][0][-1] == "utter_onboarding_tips"
    assert said[1][0][-1] == "utter_complementary_items" and item in said[1][1][-1]
    assert said[2][0] == ["utter_order_status_delivered", "utter_order_tracking_events"]
    assert offers == ["onboarding", "complementary"]


def test_an_unknown_customer_asking_about_an_order_gets_no_offer(analysed_shop, domain):
    tracker = goal_tracker(number=analysed_shop["order"], language="en")
    events, dispatcher = run(ActionOrderStatus(), tracker, domain)
    assert responses(dispatcher) == ["utter_order_status_delivered", "utter_order_tracking_events"]
    assert OFFERS_SLOT not in slots_set(events)


def test_greeting_never_fails_into_an_apology(domain, dispatcher, monkeypatch):
    # The CRM cannot be opened at all: the generic greeting still goes out.
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite:////nonexistent/dir/crm.db")
    tracker = make_tracker(text="hi", intent="greet", slots={"customer_id": "C000001"})
    events = asyncio.run(ActionGreet().run(dispatcher, tracker, domain))
    assert events == [] and responses(dispatcher) == ["utter_greet"]
