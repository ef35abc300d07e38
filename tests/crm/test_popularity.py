import datetime as dt
from decimal import Decimal

import pytest

from crm_engine.popularity import popular_products, recommend
from tests import factories

NOW = factories.NOW


@pytest.fixture
def shop(session):
    """Shoes: runner sold 5 (to 2 people), loafer 3, boot 3 (to 3 people), sandal only cancelled."""
    s = {}
    factories.category(session, "shoes", "鞋", "Shoes")
    factories.category(session, "bags", "包", "Bags")
    for key, zh, en, price, cat in [
        ("runner", "跑鞋", "Running shoes", "399.00", "shoes"),
        ("loafer", "乐福鞋", "Loafers", "299.00", "shoes"),
        ("boot", "短靴", "Ankle boots", "499.00", "shoes"),
        ("sandal", "凉鞋", "Sandals", "99.00", "shoes"),
        ("tote", "托特包", "Tote bag", "199.00", "bags"),
    ]:
        s[key] = factories.product(session, zh, en, price, cat)
    a, b, c = (factories.customer(session) for _ in range(3))
    recent = NOW - dt.timedelta(days=10)
    factories.order(session, a, "delivered", recent, [(s["runner"], 4), (s["tote"], 1)])
    factories.order(session, b, "shipped", recent, [(s["runner"], 1), (s["loafer"], 3)])
    for cust in (a, b, c):
        factories.order(session, cust, "paid", recent, [(s["boot"], 1)])
    factories.order(session, c, "cancelled", recent, [(s["sandal"], 9)])
    factories.order(session, c, "delivered", NOW - dt.timedelta(days=200), [(s["tote"], 20)])
    return s


def test_popular_products_ranks_by_units_then_buyers_within_the_window(session, shop):
    top = popular_products(session, category_code="shoes", now=NOW)
    assert [(p.sku, p.units_sold, p.buyers) for p in top] == [
        (shop["runner"].sku, 5, 2),
        (shop["boot"].sku, 3, 3),
        (shop["loafer"].sku, 3, 1),
    ]
    assert top[0].name("zh") == "跑鞋" and top[0].name("en") == "Running shoes"
    assert top[0].price == Decimal("399.00") and top[0].category_code == "shoes"


def test_cancelled_orders_old_orders_exclusions_and_inactive_products_do_not_count(session, shop):
    shop["boot"].active = False
    top = popular_products(session, exclude_skus=[shop["runner"].sku], limit=5, now=NOW)
    assert [p.sku for p in top] == [
        shop["loafer"].sku,
        shop["tote"].sku,
    ]  # tote: 1 recent unit only
    all_time = popular_products(session, category_code="bags", since_days=None, now=NOW)
    assert all_time[0].units_sold == 21


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be a positive integer; got 0"),
        ({"since_days": 0}, "since_days must be a positive integer or None; got 0"),
        ({"exclude_skus": "SKU1"}, "exclude_skus must be a collection of SKUs"),
        ({"category_code": "toys"}, "category_code 'toys' is not a category of this shop"),
    ],
)
def test_popular_products_rejects_bad_arguments(session, shop, kwargs, message):
    with pytest.raises(ValueError, match=message):
        popular_products(session, **kwargs)


def test_recommend_for_a_product_suggests_others_of_its_category(session, shop):
    rec = recommend(session, product_sku=shop["runner"].sku, now=NOW)
    assert rec.basis.sku == shop["runner"].sku and rec.category.code == "shoes"
    assert [p.sku for p in rec.products] == [shop["boot"].sku, shop["loafer"].sku]


def test_recommend_ignores_unknown_codes_and_falls_back_to_all_history(session, shop):
    rec = recommend(session, category_code="toys", now=NOW)
    assert rec.category is None and rec.products[0].sku == shop["runner"].sku
    quiet = recommend(session, category_code="bags", now=NOW + dt.timedelta(days=365))
    assert [p.sku for p in quiet.products] == [shop["tote"].sku]


def test_recommend_in_an_empty_shop_has_nothing(session):
    assert recommend(session).products == []
