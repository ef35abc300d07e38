import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_engine.models import AddressChange, Order, Refund, Ticket, TrackingEvent
from crm_engine.orders import (
    OrderNotFoundError,
    cancel_order,
    change_address,
    check_address,
    get_order,
    normalize_order_number,
)
from tests import factories

NOW = factories.NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SO10004821", "SO10004821"),
        ("so10004821", "SO10004821"),
        ("SO-10004821", "SO10004821"),
        ("so 10004821", "SO10004821"),
        ("10004821", "SO10004821"),
        ("ＳＯ１０００４８２１", "SO10004821"),
        ("１０００４８２１", "SO10004821"),
        ("订单号是SO10004821谢谢", "SO10004821"),
        ("my order is #so-10004821.", "SO10004821"),
        ("订单10004821", "SO10004821"),
        ("13812345678", None),  # a phone number
        ("1000482", None),  # 7 digits
        ("200120", None),  # a postcode
        ("91330100MA27XK5L3Q", None),  # a tax id
        ("", None),
        (None, None),
        ("where is my order", None),
    ],
)
def test_order_numbers_are_normalised_however_they_are_typed(text, expected):
    assert normalize_order_number(text) == expected


def test_get_order_shows_items_shipment_tracking_and_payments(session):
    o = factories.order(session, status="shipped")
    session.add(
        TrackingEvent(
            shipment=o.shipment,
            occurred_at=o.shipped_at + dt.timedelta(hours=8),
            code="in_transit",
            location_zh="杭州转运中心",
            location_en="Hangzhou hub",
        )
    )
    session.flush()
    view = get_order(session, o.number.lower())
    assert view.number == o.number and view.status == "shipped"
    assert view.items[0].name("zh") == "纯棉T恤" and view.items[0].name("en") == "Cotton T-shirt"
    assert view.items[0].category == "apparel"
    assert view.shipment.courier == "sf"
    assert [e.code for e in view.shipment.events] == ["picked_up", "in_transit"]
    assert view.shipment.events[-1].location("en") == "Hangzhou hub"
    assert view.payments[0].status == "paid"
    assert get_order(session, "SO99999999") is None


def test_expected_delivery_falls_back_to_the_policy_days_for_the_route(session):
    o = factories.order(session, status="shipped", region="northwest")
    o.shipment.estimated_delivery = None
    session.flush()
    view = get_order(session, o.number)
    # sf to the northwest: [2, 4] days from dispatch
    assert view.shipment.expected_delivery == (o.shipped_at + dt.timedelta(days=4)).date()


def test_cancelling_an_unpaid_order_needs_no_refund(session):
    o = factories.order(session, status="pending_payment")
    result = cancel_order(session, o.number, now=NOW)
    assert (result.outcome, result.status, result.refund) == ("cancelled", "cancelled", None)
    assert session.get(Order, o.id).cancelled_at == NOW


def test_cancelling_a_paid_order_refunds_it_at_once_under_the_limit(session):
    o = factories.order(session, status="paid")
    result = cancel_order(session, o.number, conversation_id="c1", now=NOW)
    assert result.outcome == "cancelled" and result.refund_created
    assert result.refund.amount == Decimal("99.00") and result.refund.status == "approved"
    assert result.refund.method == "alipay"
    refund = session.scalars(select(Refund).where(Refund.order_id == o.id)).one()
    assert refund.auto_approved and refund.conversation_id == "c1"


def test_cancelling_an_expensive_order_waits_for_review_with_a_ticket(session):
    phone = factories.product(
        session, name_zh="手机", name_en="Phone", price="3999.00", category_code="electronics"
    )
    o = factories.order(session, status="processing", items=[(phone, 1)])
    result = cancel_order(session, o.number, now=NOW)
    assert result.refund.status == "requested" and not result.refund.auto_approved
    ticket = session.scalars(select(Ticket).where(Ticket.order_id == o.id)).one()
    assert ticket.kind == "refund_review" and ticket.status == "open"
    assert "3999.00" in ticket.reason


def test_cancelling_twice_reports_the_first_cancellation_and_one_refund(session):
    o = factories.order(session, status="paid")
    cancel_order(session, o.number, now=NOW)
    again = cancel_order(session, o.number, now=NOW)
    assert again.outcome == "already_cancelled"
    assert again.refund is not None and again.refund.amount == Decimal("99.00")
    assert len(session.scalars(select(Refund).where(Refund.order_id == o.id)).all()) == 1


@pytest.mark.parametrize("status", ["shipped", "delivered", "returned"])
def test_orders_that_left_the_warehouse_cannot_be_cancelled(session, status):
    o = factories.order(session, status=status)
    result = cancel_order(session, o.number, now=NOW)
    assert (result.outcome, result.status) == ("not_cancellable", status)
    assert session.get(Order, o.id).status == status
    assert session.scalars(select(Refund)).all() == []


def test_unknown_orders_raise_a_lookup_error(session):
    with pytest.raises(OrderNotFoundError, match="SO99999999"):
        cancel_order(session, "SO99999999")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("上海市浦东新区世纪大道100号", None),
        ("北京市朝阳区建国路88号SOHO现代城5号楼1203室", None),
        ("广州市海珠区新港中路397号", None),
        ("浙江省杭州市西湖区文三路", None),
        ("221B Baker Street, London NW1 6XE", None),
        ("350 Fifth Avenue, New York, NY 10118", None),
        ("Flat 4, 27 Oxford Road, Manchester M1 5QA", None),
        ("", "empty"),
        ("   ", "empty"),
        ("上海", "too_short"),
        ("家里", "too_short"),
        ("上海市浦东新区", "too_short"),
        ("我家在公司旁边那个地方", "missing_detail"),
        ("home", "too_short"),
        ("my office near the park", "missing_detail"),
        ("Baker Street London", "missing_detail"),
        ("x" * 201, "too_long"),
    ],
)
def test_addresses_must_be_plausibly_deliverable(text, problem):
    check = check_address(text)
    assert check.problem == problem
    assert check.ok is (problem is None)


def test_changing_the_address_before_shipment_keeps_the_old_one_on_record(session):
    o = factories.order(session, status="paid", region="east")
    result = change_address(
        session, o.number, "  成都市高新区天府三街199号  ", conversation_id="c9", now=NOW
    )
    assert result.outcome == "changed"
    assert result.old_address == "上海市浦东新区世纪大道100号"
    assert result.new_address == "成都市高新区天府三街199号"
    row = session.scalars(select(AddressChange).where(AddressChange.order_id == o.id)).one()
    assert (row.old_address, row.new_address, row.conversation_id) == (
        "上海市浦东新区世纪大道100号",
        "成都市高新区天府三街199号",
        "c9",
    )
    refreshed = session.get(Order, o.id)
    assert refreshed.shipping_address == "成都市高新区天府三街199号"
    assert refreshed.region == "southwest"  # delivery days follow the new address


@pytest.mark.parametrize(
    ("status", "address", "outcome"),
    [
        ("shipped", "成都市高新区天府三街199号", "not_changeable"),
        ("delivered", "成都市高新区天府三街199号", "not_changeable"),
        ("paid", "上海", "invalid_address"),
        ("paid", "上海市浦东新区世纪大道100号", "unchanged"),
        ("paid", "8 Marina Boulevard, Singapore 018981", "abroad"),
    ],
)
def test_address_changes_that_cannot_happen_change_nothing(session, status, address, outcome):
    o = factories.order(session, status=status)
    result = change_address(session, o.number, address, now=NOW)
    assert result.outcome == outcome
    assert session.get(Order, o.id).shipping_address == "上海市浦东新区世纪大道100号"
    assert session.scalars(select(AddressChange)).all() == []
