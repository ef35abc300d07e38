"""Order status, cancelling and changing the address: the goal actions and their form questions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from actions.orders import (
    ActionCancelOrder,
    ActionChangeAddress,
    ActionOrderStatus,
    ValidateChangeAddressForm,
)
from crm_engine.db import session_scope
from crm_engine.models import AddressChange, Order, Refund, TrackingEvent
from tests import factories
from tests.actions.order_helpers import (
    form_tracker,
    goal_tracker,
    render,
    responses,
    run,
    slots_set,
)


def _order(db_url, **kwargs) -> str:
    with session_scope(db_url) as s:
        return factories.order(s, **kwargs).number


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending_payment", ["utter_order_status_pending_payment"]),
        ("paid", ["utter_order_status_paid"]),
        ("processing", ["utter_order_status_processing"]),
        ("shipped", ["utter_order_status_shipped", "utter_order_tracking_events"]),
        ("delivered", ["utter_order_status_delivered", "utter_order_tracking_events"]),
        ("cancelled", ["utter_order_status_cancelled"]),
        ("returned", ["utter_order_status_returned"]),
    ],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_status_is_explained_in_the_customers_language(
    domain, db_url, status, expected, language
):
    number = _order(db_url, status=status)
    tracker = goal_tracker(number=number, language=language)
    events, dispatcher = run(ActionOrderStatus(), tracker, domain)
    assert responses(dispatcher) == expected
    texts = render(dispatcher, domain, tracker)
    assert number in texts[0]
    assert ("纯棉T恤" if language == "zh" else "Cotton T-shirt") in texts[0]
    slots = slots_set(events)
    assert slots["goal_resolved"] is True
    assert slots["order_id"] is None and "verified_orders" not in slots


@pytest.mark.parametrize(
    ("language", "courier", "places"),
    [
        ("zh", "顺丰速运", ["杭州转运中心", "上海"]),
        ("en", "SF Express", ["Hangzhou hub", "Shanghai"]),
    ],
)
def test_shipped_orders_show_courier_tracking_and_latest_events(
    domain, db_url, language, courier, places
):
    with session_scope(db_url) as s:
        o = factories.order(s, status="shipped")
        s.add(
            TrackingEvent(
                shipment=o.shipment,
                occurred_at=o.shipped_at + dt.timedelta(hours=6),
                code="in_transit",
                location_zh="杭州转运中心",
                location_en="Hangzhou hub",
            )
        )
        number, tracking = o.number, o.shipment.tracking_number
        expected = o.shipment.estimated_delivery.isoformat()
    tracker = goal_tracker(number=number, language=language)
    _, dispatcher = run(ActionOrderStatus(), tracker, domain)
    status, events = render(dispatcher, domain, tracker)
    assert courier in status and tracking in status and expected in status
    assert f"waybill-detail/{tracking}" in status  # the courier's tracking link
    lines = events.splitlines()[1:]
    assert [places[0] in lines[0], places[1] in lines[1]] == [True, True]  # newest first
    assert ("运输中" if language == "zh" else "in transit") in lines[0]
    # Shown in Beijing time: 16:00 UTC on the 18th is midnight on the 19th.
    assert lines[0].startswith("2026-11-19 00:00")


def test_a_paid_order_is_cancelled_and_refunded_after_a_yes(domain, db_url):
    number = _order(db_url, status="paid")
    tracker = goal_tracker(number=number, slots={"confirm_cancel": True}, language="en")
    events, dispatcher = run(ActionCancelOrder(), tracker, domain)
    assert responses(dispatcher) == ["utter_order_cancelled", "utter_refund_approved"]
    cancelled, refund = render(dispatcher, domain, tracker)
    assert "99.00" in refund and "Alipay" in refund and "1–3" in refund
    assert slots_set(events)["goal_resolved"] is True
    with session_scope(db_url) as s:
        order = s.scalars(select(Order).where(Order.number == number)).one()
        assert order.status == "cancelled"
        assert len(s.scalars(select(Refund).where(Refund.order_id == order.id)).all()) == 1


def test_a_no_keeps_the_order(domain, db_url):
    number = _order(db_url, status="paid")
    tracker = goal_tracker(number=number, slots={"confirm_cancel": False}, language="zh")
    events, dispatcher = run(ActionCancelOrder(), tracker, domain)
    assert responses(dispatcher) == ["utter_cancel_kept"]
    assert "goal_resolved" not in slots_set(events)
    with session_scope(db_url) as s:
        assert s.scalars(select(Order).where(Order.number == number)).one().status == "paid"


@pytest.mark.parametrize(
    ("status", "response"),
    [
        ("shipped", "utter_cancel_not_possible_shipped"),
        ("delivered", "utter_cancel_not_possible_delivered"),
        ("returned", "utter_cancel_not_possible_returned"),
        ("cancelled", "utter_order_already_cancelled"),
    ],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_cancelling_too_late_explains_and_points_to_a_return(
    domain, db_url, status, response, language
):
    number = _order(db_url, status=status)
    tracker = goal_tracker(number=number, language=language)
    _, dispatcher = run(ActionCancelOrder(), tracker, domain)
    assert responses(dispatcher)[0] == response
    text = render(dispatcher, domain, tracker)[0]
    if status in ("shipped", "delivered"):
        assert "15" in text  # the return window


def test_the_cancel_form_asks_for_confirmation_only_when_cancelling_is_possible(domain, db_url):
    from actions.orders import ValidateCancelOrderForm

    shipped = _order(db_url, status="shipped")
    tracker = form_tracker(
        "cancel_order_form", candidates={"order_id": shipped}, slots={"verified_orders": [shipped]}
    )
    events, _ = run(ValidateCancelOrderForm(), tracker, domain)
    assert slots_set(events)["requested_slot"] is None


@pytest.mark.parametrize(
    ("text", "language"),
    [("北京市海淀区中关村大街1号", "zh"), ("350 Fifth Avenue, New York, NY 10118", "en")],
)
def test_a_complete_new_address_is_accepted(domain, db_url, text, language):
    number = _order(db_url, status="paid")
    tracker = form_tracker(
        "change_address_form",
        candidates={"new_address": f"  {text} "},
        slots={"order_id": number, "verified_orders": [number]},
        requested_slot="new_address",
        language=language,
    )
    events, dispatcher = run(ValidateChangeAddressForm(), tracker, domain)
    assert slots_set(events)["new_address"] == text
    assert dispatcher.messages == []


@pytest.mark.parametrize(("text", "language"), [("家里", "zh"), ("my office", "en")])
def test_an_incomplete_address_is_asked_again(domain, db_url, text, language):
    number = _order(db_url, status="paid")
    tracker = form_tracker(
        "change_address_form",
        candidates={"new_address": text},
        slots={"order_id": number, "verified_orders": [number]},
        requested_slot="new_address",
        language=language,
    )
    events, dispatcher = run(ValidateChangeAddressForm(), tracker, domain)
    assert slots_set(events)["new_address"] is None
    assert responses(dispatcher) == ["utter_invalid_address"]
    render(dispatcher, domain, tracker)


def test_the_address_changes_and_the_old_one_is_kept_on_record(domain, db_url):
    number = _order(db_url, status="processing")
    tracker = goal_tracker(number=number, slots={"new_address": "成都市高新区天府三街199号"})
    events, dispatcher = run(ActionChangeAddress(), tracker, domain)
    assert responses(dispatcher) == ["utter_address_changed"]
    assert "成都市高新区天府三街199号" in render(dispatcher, domain, tracker)[0]
    assert slots_set(events)["goal_resolved"] is True
    with session_scope(db_url) as s:
        change = s.scalars(select(AddressChange)).one()
        assert change.conversation_id == "test-conversation"
        assert change.old_address == "上海市浦东新区世纪大道100号"


@pytest.mark.parametrize(
    ("status", "response", "handoff"),
    [
        ("shipped", "utter_address_change_not_possible_shipped", True),
        ("delivered", "utter_address_change_not_possible_delivered", False),
        ("cancelled", "utter_address_change_not_possible_closed", False),
    ],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_too_late_for_a_new_address(domain, db_url, status, response, handoff, language):
    number = _order(db_url, status=status)
    tracker = goal_tracker(number=number, language=language)
    events, dispatcher = run(ActionChangeAddress(), tracker, domain)
    assert responses(dispatcher) == [response]
    render(dispatcher, domain, tracker)
    assert slots_set(events).get("handoff_offered", False) is handoff


def test_an_address_abroad_goes_to_a_person(domain, db_url):
    number = _order(db_url, status="paid")
    tracker = goal_tracker(
        number=number, slots={"new_address": "8 Marina Boulevard, Singapore 018981"}, language="en"
    )
    events, dispatcher = run(ActionChangeAddress(), tracker, domain)
    assert responses(dispatcher) == ["utter_address_change_abroad"]
    assert slots_set(events)["handoff_offered"] is True
