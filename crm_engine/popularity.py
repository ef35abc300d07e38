"""Best sellers from order history: the first, simple product recommendations.

Popularity is units sold in paid, not cancelled or returned, orders over a recent
window, ties broken by how many different customers bought the product. Only
active products are recommended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_engine.models import Category, Order, OrderItem, Product, utcnow

# Orders whose goods the customer paid for and kept (or is about to receive).
SOLD_STATUSES = ("paid", "processing", "shipped", "delivered")


@dataclass(frozen=True)
class PopularProduct:
    sku: str
    name_zh: str
    name_en: str
    price: Decimal
    category_code: str
    units_sold: int
    buyers: int

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class Recommendation:
    """What to suggest and why: a category asked about, or a product to find companions for."""

    products: list[PopularProduct]
    category: Category | None = None
    basis: Product | None = None


def popular_products(
    session: Session,
    *,
    category_code: str | None = None,
    exclude_skus: Iterable[str] = (),
    limit: int = 3,
    since_days: int | None = 90,
    now: dt.datetime | None = None,
) -> list[PopularProduct]:
    """The `limit` best-selling active products, optionally within one category.

    `since_days=None` counts all history. Products never sold are not listed.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer; got {limit!r}")
    if since_days is not None and (
        isinstance(since_days, bool) or not isinstance(since_days, int) or since_days < 1
    ):
        raise ValueError(f"since_days must be a positive integer or None; got {since_days!r}")
    if isinstance(exclude_skus, str):
        raise ValueError(
            f"exclude_skus must be a collection of SKUs, not one text; got {exclude_skus!r}"
        )
    excluded = set(exclude_skus)

    units = func.sum(OrderItem.quantity).label("units")
    buyers = func.count(func.distinct(Order.customer_id)).label("buyers")
    query = (
        select(
            Product.sku,
            Product.name_zh,
            Product.name_en,
            Product.price,
            Category.code,
            units,
            buyers,
        )
        .join(OrderItem, OrderItem.product_id == Product.id)
        .join(Order, Order.id == OrderItem.order_id)
        .join(Category, Category.id == Product.category_id)
        .where(Product.active.is_(True), Order.status.in_(SOLD_STATUSES))
        .group_by(
            Product.id, Product.sku, Product.name_zh, Product.name_en, Product.price, Category.code
        )
        .order_by(units.desc(), buyers.desc(), Product.sku)
        .limit(limit)
    )
    if category_code is not None:
        if session.scalar(select(Category.id).where(Category.code == category_code)) is None:
            raise ValueError(f"category_code {category_code!r} is not a category of this shop")
        query = query.where(Category.code == category_code)
    if excluded:
        query = query.where(Product.sku.not_in(excluded))
    if since_days is not None:
        query = query.where(Order.placed_at >= (now or utcnow()) - dt.timedelta(days=since_days))
    return [
        PopularProduct(
            sku=sku,
            name_zh=name_zh,
            name_en=name_en,
            price=price,
            category_code=code,
            units_sold=int(sold),
            buyers=int(people),
        )
        for sku, name_zh, name_en, price, code, sold, people in session.execute(query)
    ]


def recommend(
    session: Session,
    *,
    product_sku: str | None = None,
    category_code: str | None = None,
    limit: int = 3,
    since_days: int = 90,
    now: dt.datetime | None = None,
) -> Recommendation:
    """Best sellers for a product (others of its category) or a category, else the whole shop.

    Unknown SKUs and category codes are ignored rather than refused: they come
    from the customer's words, and a general suggestion beats an error. A quiet
    shop with no sales in the window falls back to all of its history.
    """
    basis = (
        session.scalar(select(Product).where(Product.sku == product_sku)) if product_sku else None
    )
    category = basis.category if basis is not None else None
    if category is None and category_code:
        category = session.scalar(select(Category).where(Category.code == category_code))
    exclude = (basis.sku,) if basis is not None else ()
    code = category.code if category is not None else None
    products = popular_products(
        session,
        category_code=code,
        exclude_skus=exclude,
        limit=limit,
        since_days=since_days,
        now=now,
    ) or popular_products(
        session, category_code=code, exclude_skus=exclude, limit=limit, since_days=None
    )
    return Recommendation(products=products, category=category, basis=basis)
