import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm_engine.models import Order, ReturnRequest
from crm_engine.returns import match_item, request_exchange, request_return
from tests import factories, order_factories

NOW = factories.NOW


def _rows(session):
    return session.scalars(select(ReturnRequest)).all()


@pytest.mark.parametrize(
    ("category", "days_ago", "outcome", "status", "no_reason"),
    [
        ("apparel", 0, "created", "approved", True),
        ("apparel", 7, "created", "approved", True),  # the 7th day still counts
        ("apparel", 8, "created", "requested", False),  # needs a reason and a review
        ("apparel", 15, "created", "requested", False),
        ("apparel", 16, "window_expired", None, None),
        ("books", 3, "created", "approved", True),
        ("beauty", 3, "created", "requested", False),  # hygiene: no 七天无理由
        ("baby", 3, "created", "requested", False),
        ("food", 1, "category_excluded", None, None),
    ],
)
def test_return_rules_follow_the_policy(session, category, days_ago, outcome, status, no_reason):
    o = order_factories.delivered(session, days_ago=days_ago, category=category)
    result = request_return(session, o.number, reason="不合适", conversation_id="c1", now=NOW)
    assert result.outcome == outcome
    if status is None:
        assert result.request is None and _rows(session) == []
        return
    assert (result.request.status, result.request.no_reason) == (status, no_reason)
    assert result.request.rma_code == f"RMA-{o.number}-1"
    row = _rows(session)[0]
    assert (row.kind, row.reason, row.conversation_id) == ("return", "不合适", "c1")


def test_an_approved_return_comes_with_instructions(session):
    o = order_factories.delivered(session, days_ago=2)
    result = request_return(session, o.number, now=NOW)
    assert result.instructions.rma_code == result.request.rma_code
    assert result.instructions.ship_by == NOW.date() + dt.timedelta(days=7)
    assert "墨玉南路" in result.instructions.warehouse.address("zh")
    assert result.deadline == (NOW - dt.timedelta(days=2)).date() + dt.timedelta(days=7)


def test_a_reviewed_return_waits_for_a_person_before_instructions(session):
    o = order_factories.delivered(session, days_ago=10)
    result = request_return(session, o.number, reason="质量问题", now=NOW)
    assert result.request.status == "requested" and result.instructions is None


def test_asking_again_returns_the_open_request(session):
    o = order_factories.delivered(session, days_ago=1)
    first = request_return(session, o.number, now=NOW)
    second = request_return(session, o.number, now=NOW + dt.timedelta(hours=1))
    assert second.outcome == "existing" and second.request.rma_code == first.request.rma_code
    assert second.instructions.ship_by == first.instructions.ship_by
    assert len(_rows(session)) == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("pending_payment", "not_shipped"),
        ("paid", "not_shipped"),
        ("processing", "not_shipped"),
        ("shipped", "in_transit"),
        ("cancelled", "cancelled"),
        ("returned", "already_returned"),
    ],
)
def test_only_delivered_orders_can_be_returned(session, status, outcome):
    o = factories.order(session, status=status)
    assert request_return(session, o.number, now=NOW).outcome == outcome
    assert request_exchange(session, o.number, exchange_for="L", now=NOW).outcome == outcome
    assert _rows(session) == []


def test_multi_item_orders_need_the_item_chosen(session):
    o = order_factories.delivered(session, days_ago=1, items=2)
    assert request_return(session, o.number, now=NOW).outcome == "choose_item"
    second = o.items[1]
    result = request_return(session, o.number, product_id=second.product_id, now=NOW)
    assert result.outcome == "created" and result.request.product_id == second.product_id
    assert result.product_name_en == "Item number 2"
    other = factories.product(session)
    assert (
        request_return(session, o.number, product_id=other.id, now=NOW).outcome
        == "item_not_in_order"
    )
    # The other line is a separate request with its own code.
    first = request_return(session, o.number, product_id=o.items[0].product_id, now=NOW)
    assert first.request.rma_code == f"RMA-{o.number}-2"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("2", 2),
        ("第1个", 1),
        ("#2", 2),
        ("商品2号", 2),
        ("item number 1", 1),
        ("the second one", None),
        ("3", None),
    ],
)
def test_items_are_matched_by_position_or_name(session, text, position):
    o = order_factories.delivered(session, days_ago=1, items=2)
    item = match_item(session.get(Order, o.id), text)
    assert (item.product.name_zh if item else None) == (f"商品{position}号" if position else None)


def test_exchanges_follow_the_policy(session):
    shirt = order_factories.delivered(session, days_ago=10)
    result = request_exchange(session, shirt.number, exchange_for="L码 黑色", now=NOW)
    assert result.outcome == "created" and result.request.kind == "exchange"
    assert result.request.exchange_for == "L码 黑色" and result.request.status == "approved"
    assert result.instructions is not None
    late = order_factories.delivered(session, days_ago=16)
    assert (
        request_exchange(session, late.number, exchange_for="L", now=NOW).outcome
        == "window_expired"
    )
    book = order_factories.delivered(session, days_ago=1, category="books")
    assert (
        request_exchange(session, book.number, exchange_for="L", now=NOW).outcome
        == "not_exchangeable"
    )


def test_a_return_and_an_exchange_of_the_same_item_do_not_both_stay_open(session):
    o = order_factories.delivered(session, days_ago=1)
    request_return(session, o.number, now=NOW)
    assert request_exchange(session, o.number, exchange_for="M", now=NOW).outcome == "existing"


def test_exchange_needs_what_to_exchange_for(session):
    o = order_factories.delivered(session, days_ago=1)
    with pytest.raises(ValueError, match="exchange_for must be non-empty text"):
        request_exchange(session, o.number, exchange_for="  ", now=NOW)


def test_the_database_refuses_two_open_requests_for_one_item(session):
    o = order_factories.delivered(session, days_ago=1)
    pid = o.items[0].product_id
    session.add(
        ReturnRequest(
            rma_code="R1", order_id=o.id, kind="return", product_id=pid, status="approved"
        )
    )
    session.flush()
    session.add(
        ReturnRequest(
            rma_code="R2", order_id=o.id, kind="exchange", product_id=pid, status="requested"
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
