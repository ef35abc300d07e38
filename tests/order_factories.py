"""Extra builders for order tests (on top of tests/factories.py): payments and dated deliveries."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from crm_engine.models import Order, Payment, utcnow
from tests import factories

_seq = itertools.count(1)


def payment(
    session: Session,
    order: Order,
    *,
    amount: str | Decimal | None = None,
    method: str = "alipay",
    status: str = "paid",
    created_at: dt.datetime | None = None,
) -> Payment:
    p = Payment(
        order=order,
        amount=Decimal(str(amount)) if amount is not None else order.total,
        method=method,
        status=status,
        transaction_ref=f"TXO{next(_seq):09d}",
        created_at=created_at or order.placed_at + dt.timedelta(minutes=10),
    )
    session.add(p)
    session.flush()
    return p


def delivered(
    session: Session,
    *,
    days_ago: int,
    category: str = "apparel",
    price: str = "99.00",
    now: dt.datetime = factories.NOW,
    items: int = 1,
    **kwargs,
) -> Order:
    """A delivered order whose parcel was signed for `days_ago` days before `now`."""
    products = [
        (
            factories.product(
                session,
                name_zh=f"商品{i + 1}号",
                name_en=f"Item number {i + 1}",
                price=price,
                category_code=category,
            ),
            1,
        )
        for i in range(items)
    ]
    placed = now - dt.timedelta(days=days_ago + 2)
    return factories.order(session, status="delivered", placed_at=placed, items=products, **kwargs)


def delivered_recently(session: Session, *, days_ago: int, **kwargs) -> Order:
    """Like `delivered`, counted back from the real clock (for actions, which use it)."""
    return delivered(session, days_ago=days_ago, now=utcnow() - dt.timedelta(minutes=5), **kwargs)


def set_method(order: Order, method: str) -> None:
    for p in order.payments:
        p.method = method
