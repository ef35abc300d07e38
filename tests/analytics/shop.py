"""A small synthetic shop with known structure, as frames (fast) or as store rows.

Four kinds of customers with clearly different RFM behaviour, and products bought
in fixed pairs (tea with a cup, a snack with juice) so rules and segments have a
known answer. One plan, two materialisations: `plan_frames` for the pure
functions and the Spark contract tests, `build_shop` for the store-backed tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from crm_engine.analyze import LINE_COLUMNS
from crm_engine.models import Customer, Order, OrderItem, Payment, Product, Refund
from crm_engine.rfm import ORDER_COLUMNS
from tests import factories

AS_OF = dt.datetime(2026, 11, 20, 10, 0, 0)
PRODUCTS = (  # sku, category, price, name_zh, name_en
    ("TEA-GREEN", "tea", "68.00", "龙井绿茶", "Longjing green tea"),
    ("TEA-BLACK", "tea", "58.00", "祁门红茶", "Keemun black tea"),
    ("CUP-GLASS", "cups", "39.00", "玻璃茶杯", "Glass tea cup"),
    ("CUP-CLAY", "cups", "120.00", "紫砂壶", "Yixing clay teapot"),
    ("SNACK-NUTS", "snacks", "25.00", "坚果礼包", "Mixed nuts"),
    ("SNACK-DATES", "snacks", "32.00", "红枣", "Red dates"),
    ("JUICE-APPLE", "drinks", "12.00", "苹果汁", "Apple juice"),
    ("GIFT-BOX", "gifts", "15.00", "礼盒", "Gift box"),
)
BASKETS = (  # typical baskets: the pairs rules should find
    ("TEA-GREEN", "CUP-GLASS"),
    ("TEA-BLACK", "CUP-CLAY"),
    ("SNACK-NUTS", "JUICE-APPLE"),
    ("SNACK-DATES", "JUICE-APPLE"),
    ("TEA-GREEN", "CUP-GLASS", "GIFT-BOX"),
    ("GIFT-BOX",),
)
KINDS = ("champion", "new", "at_risk", "lost")


@dataclass
class PlannedOrder:
    customer: str
    number: str
    placed_at: dt.datetime
    status: str
    items: list[tuple[str, int]]
    refund_cents: int = 0


@dataclass
class ShopPlan:
    customers: dict[str, str] = field(default_factory=dict)  # code -> kind
    orders: list[PlannedOrder] = field(default_factory=list)


def _days_ago(rng: np.random.Generator, low: int, high: int) -> dt.datetime:
    return AS_OF - dt.timedelta(days=int(rng.integers(low, high)), hours=int(rng.integers(0, 24)))


def plan_shop(n_customers: int = 80, seed: int = 7) -> ShopPlan:
    """Customers cycle through KINDS; a few orders are cancelled, unpaid or refunded."""
    rng = np.random.default_rng(seed)
    plan = ShopPlan()
    number = 0
    for i in range(n_customers):
        code = f"T{i:05d}"
        kind = KINDS[i % len(KINDS)]
        plan.customers[code] = kind
        if kind == "champion":
            dates = [_days_ago(rng, 1, 20)] + [
                _days_ago(rng, 1, 400) for _ in range(rng.integers(8, 14))
            ]
            qty = 3
        elif kind == "new":
            dates, qty = [_days_ago(rng, 1, 30)], 1
        elif kind == "at_risk":
            dates = [_days_ago(rng, 200, 500) for _ in range(rng.integers(5, 9))]
            qty = 2
        else:
            dates, qty = [_days_ago(rng, 400, 700) for _ in range(rng.integers(1, 3))], 1
        for placed_at in sorted(dates):
            number += 1
            basket = BASKETS[int(rng.integers(0, len(BASKETS)))]
            plan.orders.append(
                PlannedOrder(
                    code, f"SO{number:08d}", placed_at, "delivered", [(s, qty) for s in basket]
                )
            )
    # Orders that must not count: unpaid, cancelled, returned; and a partial refund.
    first = next(iter(plan.customers))
    for status in ("pending_payment", "cancelled", "returned"):
        number += 1
        plan.orders.append(
            PlannedOrder(
                first, f"SO{number:08d}", AS_OF - dt.timedelta(days=2), status, [("CUP-CLAY", 5)]
            )
        )
    plan.orders[0].refund_cents = 1000
    return plan


def _price_cents(sku: str) -> int:
    price = next(p[2] for p in PRODUCTS if p[0] == sku)
    return int(Decimal(price) * 100)


def plan_frames(plan: ShopPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, lines) frames with rfm.ORDER_COLUMNS and analyze.LINE_COLUMNS."""
    category = {p[0]: p[1] for p in PRODUCTS}
    orders = pd.DataFrame(
        [
            (
                o.customer,
                o.number,
                o.placed_at,
                o.status,
                sum(_price_cents(s) * q for s, q in o.items),
                o.refund_cents,
            )
            for o in plan.orders
        ],
        columns=list(ORDER_COLUMNS),
    )
    lines = pd.DataFrame(
        [
            (o.number, o.customer, o.status, o.placed_at, sku, category[sku])
            for o in plan.orders
            for sku, _ in o.items
        ],
        columns=list(LINE_COLUMNS),
    )
    return orders, lines


def build_shop(session: Session, plan: ShopPlan) -> dict[str, Customer]:
    """The plan as store rows: products, customers, orders with items, payments and refunds.

    Built in one flush (the per-order factories would flush hundreds of times);
    shipments and tracking are left out, the analytics never read them.
    """
    categories = {
        cat: factories.category(session, cat, name_zh=cat, name_en=cat.title())
        for cat in sorted({p[1] for p in PRODUCTS})
    }
    products = {
        sku: Product(
            sku=sku,
            name_zh=name_zh,
            name_en=name_en,
            category=categories[cat],
            price=Decimal(price),
        )
        for sku, cat, price, name_zh, name_en in PRODUCTS
    }
    customers = {
        code: Customer(code=code, name=f"客户{code}", phone="13800000000", language="zh")
        for code in plan.customers
    }
    session.add_all([*products.values(), *customers.values()])
    for o in plan.orders:
        total = sum((products[s].price * q for s, q in o.items), Decimal("0"))
        order = Order(
            number=o.number,
            customer=customers[o.customer],
            status=o.status,
            placed_at=o.placed_at,
            phone="13800000000",
            shipping_name=o.customer,
            shipping_address="上海市浦东新区世纪大道100号",
            region="east",
            items_total=total,
            shipping_fee=Decimal("0"),
            total=total,
            items=[
                OrderItem(product=products[s], quantity=q, unit_price=products[s].price)
                for s, q in o.items
            ],
        )
        session.add(order)
        if o.status != "pending_payment":
            session.add(
                Payment(
                    order=order,
                    amount=total,
                    method="alipay",
                    status="paid",
                    transaction_ref=f"TX-{o.number}",
                    created_at=o.placed_at,
                )
            )
        if o.refund_cents:
            session.add(
                Refund(
                    order=order,
                    amount=Decimal(o.refund_cents) / 100,
                    status="completed",
                    requested_at=o.placed_at,
                )
            )
    session.flush()
    return customers
