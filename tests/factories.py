"""Builders for CRM rows in tests: explicit, small, and with sensible defaults.

Each builder adds to the session and flushes so ids are set; nothing commits.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from crm_engine.models import (
    Category,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    Shipment,
    TrackingEvent,
)

_seq = itertools.count(1)
NOW = dt.datetime(2026, 11, 20, 10, 0, 0)


def category(
    session: Session, code: str = "apparel", name_zh: str = "服装", name_en: str = "Apparel"
) -> Category:
    existing = session.query(Category).filter_by(code=code).one_or_none()
    if existing:
        return existing
    cat = Category(code=code, name_zh=name_zh, name_en=name_en)
    session.add(cat)
    session.flush()
    return cat


def product(
    session: Session,
    name_zh: str = "纯棉T恤",
    name_en: str = "Cotton T-shirt",
    price: str = "99.00",
    category_code: str = "apparel",
) -> Product:
    cat = category(session, category_code)
    p = Product(
        sku=f"SKU{next(_seq):05d}",
        name_zh=name_zh,
        name_en=name_en,
        category=cat,
        price=Decimal(price),
    )
    session.add(p)
    session.flush()
    return p


def customer(
    session: Session,
    name: str = "张伟",
    phone: str = "13812345678",
    language: str = "zh",
) -> Customer:
    n = next(_seq)
    c = Customer(code=f"C{n:06d}", name=name, phone=phone, language=language, city="上海")
    session.add(c)
    session.flush()
    return c


def order(
    session: Session,
    cust: Customer | None = None,
    status: str = "paid",
    placed_at: dt.datetime | None = None,
    items: list[tuple[Product, int]] | None = None,
    region: str = "east",
    phone: str | None = None,
    number: str | None = None,
) -> Order:
    """An order in `status`, with the payment, shipment and tracking that status implies."""
    cust = cust or customer(session)
    placed_at = placed_at or NOW - dt.timedelta(days=3)
    items = items or [(product(session), 1)]
    items_total = sum((p.price * q for p, q in items), Decimal("0"))
    o = Order(
        number=number or f"SO{10000000 + next(_seq):08d}",
        customer=cust,
        status=status,
        placed_at=placed_at,
        phone=phone or cust.phone or "13800000000",
        shipping_name=cust.name,
        shipping_address="上海市浦东新区世纪大道100号",
        region=region,
        items_total=items_total,
        shipping_fee=Decimal("0"),
        total=items_total,
    )
    o.items = [OrderItem(product=p, quantity=q, unit_price=p.price) for p, q in items]
    session.add(o)
    if status != "pending_payment":
        o.paid_at = placed_at + dt.timedelta(minutes=5)
        session.add(
            Payment(
                order=o,
                amount=o.total,
                method="alipay",
                status="paid",
                transaction_ref=f"TX{next(_seq):010d}",
                created_at=o.paid_at,
            )
        )
    if status in ("shipped", "delivered", "returned"):
        o.shipped_at = placed_at + dt.timedelta(days=1)
        s = Shipment(
            order=o,
            courier="sf",
            tracking_number=f"SF{next(_seq):012d}",
            shipped_at=o.shipped_at,
            estimated_delivery=(o.shipped_at + dt.timedelta(days=2)).date(),
        )
        session.add(s)
        s.events.append(
            TrackingEvent(
                occurred_at=o.shipped_at,
                code="picked_up",
                location_zh="上海",
                location_en="Shanghai",
            )
        )
        if status in ("delivered", "returned"):
            o.delivered_at = placed_at + dt.timedelta(days=2)
            s.delivered_at = o.delivered_at
            s.events.append(
                TrackingEvent(
                    occurred_at=o.delivered_at,
                    code="delivered",
                    location_zh="上海市浦东新区",
                    location_en="Pudong, Shanghai",
                )
            )
    if status == "cancelled":
        o.cancelled_at = placed_at + dt.timedelta(hours=2)
    session.flush()
    return o
