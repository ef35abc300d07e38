"""The demo shop: deterministic, consistent, with the showcase and the patterns analytics needs."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
import statistics
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm_engine.catalogue_file import load_catalogue
from crm_engine.config import DEFAULT_CATALOGUE_PATH
from crm_engine.db import session_scope
from crm_engine.demo import build_demo, load_demo, write_demo
from crm_engine.demo_showcase import SHOWCASE_CUSTOMER_EN, SHOWCASE_CUSTOMER_ZH, SHOWCASE_ORDERS
from crm_engine.models import Customer, Order, Shipment
from crm_engine.policy import load_policy
from crm_engine.schema import init_db
from tests.crm.conftest import BACKENDS, blank_database

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20)
SIZE = {"customers": 200, "orders": 2000, "seed": 7, "today": TODAY}
DAY = dt.timedelta(days=1)
REGIONS = {"east", "north", "south", "central", "southwest", "northwest", "northeast"}
COURIERS = {"sf", "jd", "zto", "ems"}
EVENT_CODES = {"picked_up", "in_transit", "arrived_at_hub", "out_for_delivery", "delivered"}
# status -> (timestamps it must have, timestamps it must not have)
STATUS_TIMES = {
    "pending_payment": ((), ("paid_at", "shipped_at", "delivered_at", "cancelled_at")),
    "paid": (("paid_at",), ("shipped_at", "delivered_at", "cancelled_at")),
    "processing": (("paid_at",), ("shipped_at", "delivered_at", "cancelled_at")),
    "shipped": (("paid_at", "shipped_at"), ("delivered_at", "cancelled_at")),
    "delivered": (("paid_at", "shipped_at", "delivered_at"), ("cancelled_at",)),
    "returned": (("paid_at", "shipped_at", "delivered_at"), ("cancelled_at",)),
    "cancelled": (("cancelled_at",), ("shipped_at", "delivered_at")),
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(DEFAULT_CATALOGUE_PATH)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def shop(catalogue, policy):
    return build_demo(catalogue, policy=policy, **SIZE)


@pytest.fixture(scope="module", params=BACKENDS)
def demo_url(request, tmp_path_factory, shop):
    """The module's demo shop written to a freshly migrated SQLite or PostgreSQL database."""
    with blank_database(request.param, tmp_path_factory.mktemp("demo")) as url:
        init_db(url)
        with session_scope(url) as session:
            write_demo(session.connection(), shop)
        yield url


@pytest.fixture
def db(demo_url):
    with session_scope(demo_url) as session:
        yield session


def _with_details():
    return select(Order).options(
        selectinload(Order.items),
        selectinload(Order.payments),
        selectinload(Order.refunds),
        selectinload(Order.returns),
        selectinload(Order.shipment).selectinload(Shipment.events),
    )


def _orders(db):
    return db.scalars(_with_details().order_by(Order.number)).all()


def _order(db, number):
    return db.scalars(_with_details().where(Order.number == number)).one()


def _showcase_rows(shop):
    numbers = set(SHOWCASE_ORDERS)
    tracking = {s["tracking_number"] for s in shop.shipments if s["_order"] in numbers}
    return (
        [c for c in shop.customers if c["code"].startswith("C9")],
        [o for o in shop.orders if o["number"] in numbers],
        [i for i in shop.items if i["_order"] in numbers],
        [p for p in shop.payments if p["_order"] in numbers],
        [s for s in shop.shipments if s["_order"] in numbers],
        [e for e in shop.events if e["_shipment"] in tracking],
    )


def test_same_seed_gives_the_same_shop(catalogue, policy, shop):
    assert build_demo(catalogue, policy=policy, **SIZE) == shop


def test_another_seed_gives_another_shop_with_the_same_showcase(catalogue, policy, shop):
    other = build_demo(catalogue, policy=policy, **{**SIZE, "seed": 8})
    assert other.orders != shop.orders
    assert _showcase_rows(other) == _showcase_rows(shop)


def test_showcase_does_not_depend_on_size(catalogue, policy, shop):
    small = build_demo(catalogue, policy=policy, customers=5, orders=10, seed=99, today=TODAY)
    assert _showcase_rows(small) == _showcase_rows(shop)


def test_showcase_customers(db):
    zhang = db.scalars(select(Customer).where(Customer.code == SHOWCASE_CUSTOMER_ZH)).one()
    emma = db.scalars(select(Customer).where(Customer.code == SHOWCASE_CUSTOMER_EN)).one()
    assert (zhang.name, zhang.phone, zhang.language, zhang.region) == (
        "张伟",
        "13800138000",
        "zh",
        "east",
    )
    assert (emma.name, emma.phone, emma.language, emma.region) == (
        "Emma Wilson",
        "+447700900123",
        "en",
        "east",
    )
    assert {o.number for o in zhang.orders} == {
        "SO20000001",
        "SO20000002",
        "SO20000003",
        "SO20000021",
        "SO20000022",
    }
    assert {o.number for o in emma.orders} == {"SO20000011", "SO20000012", "SO20000013"}


@pytest.mark.parametrize("number", ["SO20000001", "SO20000011"])
def test_showcase_processing_orders_are_paid_and_not_shipped(db, number):
    order = _order(db, number)
    assert order.status == "processing"
    assert order.paid_at is not None and order.shipment is None and order.cancelled_at is None
    assert [(p.status, p.amount) for p in order.payments] == [("paid", order.total)]


@pytest.mark.parametrize(
    ("number", "sku"), [("SO20000002", "APP-TSHIRT"), ("SO20000012", "SHO-RUN")]
)
def test_showcase_delivered_orders_arrived_three_days_ago(db, number, sku):
    order = _order(db, number)
    assert order.status == "delivered"
    assert NOW - 4 * DAY < order.delivered_at < NOW - 2 * DAY
    assert [i.product.sku for i in order.items] == [sku]
    assert order.shipment.delivered_at == order.delivered_at
    assert order.shipment.events[-1].code == "delivered"
    assert not order.refunds and not order.returns


@pytest.mark.parametrize(("number", "courier"), [("SO20000003", "sf"), ("SO20000013", "jd")])
def test_showcase_shipped_orders_are_in_transit(db, number, courier):
    order = _order(db, number)
    assert order.status == "shipped" and order.delivered_at is None
    assert order.shipment.courier == courier
    assert NOW - 2 * DAY < order.shipped_at < NOW - DAY / 2
    codes = [e.code for e in order.shipment.events]
    assert codes[0] == "picked_up" and len(codes) >= 2 and "delivered" not in codes
    assert all(e.location_zh and e.location_en for e in order.shipment.events)


def test_showcase_pending_payment_order(db):
    order = _order(db, "SO20000021")
    assert order.status == "pending_payment" and order.paid_at is None
    assert [p.status for p in order.payments] == ["pending"]


def test_showcase_double_charge(db):
    order = _order(db, "SO20000022")
    assert order.status == "paid"
    paid = [p for p in order.payments if p.status == "paid"]
    assert len(paid) == 2
    assert {p.amount for p in paid} == {order.total}
    assert paid[0].transaction_ref != paid[1].transaction_ref


def test_statuses_agree_with_timestamps_shipments_and_payments(db):
    orders = _orders(db)
    assert len(orders) == SIZE["orders"] + len(SHOWCASE_ORDERS)
    for o in orders:
        needed, forbidden = STATUS_TIMES[o.status]
        assert all(getattr(o, t) is not None for t in needed), (o.number, o.status)
        assert all(getattr(o, t) is None for t in forbidden), (o.number, o.status)
        times = [t for t in (o.placed_at, o.paid_at, o.shipped_at, o.delivered_at) if t]
        assert times == sorted(times) and times[-1] < NOW, o.number
        if o.cancelled_at:
            assert o.placed_at < o.cancelled_at < NOW
        shipped = o.status in ("shipped", "delivered", "returned")
        assert (o.shipment is not None) == shipped, o.number
        paid = [p for p in o.payments if p.status in ("paid", "refunded")]
        assert bool(paid) == (o.paid_at is not None), o.number
        if o.status == "returned":
            assert all(p.status == "refunded" for p in paid)
            assert any(r.status == "completed" for r in o.refunds)
        if o.status == "cancelled" and o.paid_at:
            assert o.refunds, o.number


def test_shipments_have_sensible_tracking(db):
    for o in _orders(db):
        s = o.shipment
        if s is None:
            continue
        assert s.courier in COURIERS
        assert s.shipped_at == o.shipped_at and s.delivered_at == o.delivered_at
        events = s.events
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
        assert events[0].code == "picked_up" and events[0].occurred_at == s.shipped_at
        assert all(e.code in EVENT_CODES and e.occurred_at < NOW for e in events)
        if o.delivered_at:
            assert 3 <= len(events) <= 6, o.number
            assert events[-1].code == "delivered" and events[-1].occurred_at == o.delivered_at
        else:
            assert "delivered" not in [e.code for e in events]


def test_money_adds_up(db, policy):
    threshold = policy.delivery.free_shipping_threshold
    for o in _orders(db):
        assert o.items_total == sum(i.unit_price * i.quantity for i in o.items)
        assert o.total == o.items_total + o.shipping_fee
        expected_fee = Decimal("0") if o.items_total >= threshold else policy.delivery.standard_fee
        assert o.shipping_fee == expected_fee, o.number
        assert all(p.amount == o.total for p in o.payments)
        assert all(Decimal("0") < r.amount <= o.total for r in o.refunds)


def test_every_table_is_filled(db, shop):
    counts = shop.counts()
    assert all(n > 0 for n in counts.values()), counts
    assert db.scalar(select(func.count()).select_from(Order)) == counts["orders"]


def test_status_mix_is_realistic(shop):
    statuses = collections.Counter(o["status"] for o in shop.orders)
    assert set(statuses) == set(STATUS_TIMES)
    assert 0.02 <= statuses["cancelled"] / len(shop.orders) <= 0.07
    assert statuses["delivered"] / len(shop.orders) > 0.8
    payments = collections.Counter(p["status"] for p in shop.payments)
    assert payments["failed"] > 0 and payments["pending"] > 0 and payments["refunded"] > 0
    assert {r["kind"] for r in shop.returns} == {"return", "exchange"}
    assert shop.invoices


def test_purchase_frequency_is_heavy_tailed(shop):
    per_customer = collections.Counter(o["_customer"] for o in shop.orders)
    assert sum(1 for n in per_customer.values() if n == 1) / len(per_customer) >= 0.25
    spend = collections.Counter()
    for o in shop.orders:
        spend[o["_customer"]] += o["total"]
    ranked = sorted(spend.values(), reverse=True)
    top = ranked[: max(1, len(ranked) // 20)]
    assert sum(top) / sum(ranked) >= 0.25  # the top 5% are big spenders


def test_some_repeat_customers_stopped_a_year_ago(shop):
    last: dict[str, dt.datetime] = {}
    count = collections.Counter()
    for o in shop.orders:
        last[o["_customer"]] = max(last.get(o["_customer"], o["placed_at"]), o["placed_at"])
        count[o["_customer"]] += 1
    lapsed = [c for c, t in last.items() if count[c] >= 2 and NOW - t > 365 * DAY]
    assert len(lapsed) >= 5


def test_618_and_double_11_are_peaks(shop):
    per_day = collections.Counter(o["placed_at"].date() for o in shop.orders)
    median = statistics.median(per_day.values())
    assert per_day[dt.date(2026, 11, 11)] >= 4 * median
    assert per_day[dt.date(2025, 11, 11)] >= 3 * median
    assert per_day[dt.date(2026, 6, 18)] >= 2 * median


@pytest.mark.parametrize(
    ("anchor", "companion"),
    [
        ("SHO-RUN", "SPO-SOCKS"),
        ("ELE-PHONE", "ELE-CASE"),
        ("FOO-COFFEE", "KIT-GRINDER"),
        ("FOO-COFFEE", "KIT-CUP"),
        ("BAB-DIAPER", "BAB-MILK"),
        ("PET-CATFOOD", "PET-LITTER"),
    ],
)
def test_products_bought_together_form_association_rules(shop, anchor, companion):
    baskets = collections.defaultdict(set)
    for item in shop.items:
        baskets[item["_order"]].add(item["_sku"])
    n = len(baskets)
    with_anchor = sum(1 for b in baskets.values() if anchor in b)
    with_companion = sum(1 for b in baskets.values() if companion in b)
    both = sum(1 for b in baskets.values() if {anchor, companion} <= b)
    confidence = both / with_anchor
    lift = confidence / (with_companion / n)
    assert confidence >= 0.2 and lift >= 3, (confidence, lift)


def test_customers_live_in_every_region_and_speak_both_languages(shop):
    generated = [c for c in shop.customers if not c["code"].startswith("C9")]
    assert {c["region"] for c in generated} == REGIONS
    english = [c for c in generated if c["language"] == "en"]
    assert 0.02 <= len(english) / len(generated) <= 0.15
    assert len({c["phone"] for c in shop.customers}) == len(shop.customers)
    addresses = {o["_customer"]: o["shipping_address"] for o in shop.orders}
    for c in generated:
        if c["code"] in addresses:
            assert addresses[c["code"]].isascii() == (c["language"] == "en"), c["code"]


def test_generated_numbers_never_collide_with_the_showcase(shop):
    generated = [o["number"] for o in shop.orders if o["number"] not in SHOWCASE_ORDERS]
    assert all(re.fullmatch(r"SO1\d{7}", n) for n in generated)
    assert all(re.fullmatch(r"C[0-8]\d{5}", c["code"]) for c in shop.customers[:-2])


def test_every_timestamp_is_before_today(shop):
    for rows in dataclasses.astuple(shop)[1:]:
        for row in rows:
            for value in row.values():
                if isinstance(value, dt.datetime):
                    assert value < NOW, row


def test_demo_refuses_a_shop_with_data_then_replaces_it(empty_db_url):
    init_db(empty_db_url)
    first = load_demo(empty_db_url, customers=20, orders=60, today=TODAY)

    with pytest.raises(ValueError, match="--replace"):
        load_demo(empty_db_url, customers=20, orders=60, today=TODAY)
    again = load_demo(empty_db_url, customers=20, orders=60, today=TODAY, replace=True)

    assert again == first
    with session_scope(empty_db_url) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == first["orders"]


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"customers": 0}, "customers must be between 1 and"),
        ({"orders": -1}, "orders must be >= 0"),
    ],
)
def test_invalid_sizes_are_rejected(catalogue, policy, sizes, message):
    with pytest.raises(ValueError, match=message):
        build_demo(catalogue, policy=policy, **{**SIZE, **sizes})


def test_a_catalogue_without_the_showcase_products_is_rejected(catalogue, policy):
    trimmed = dataclasses.replace(
        catalogue, products=tuple(p for p in catalogue.products if p.sku != "SHO-RUN")
    )
    with pytest.raises(ValueError, match="SHO-RUN"):
        build_demo(trimmed, policy=policy, **SIZE)
