"""Orders: finding one from what a customer typed, showing it, cancelling it, re-addressing it.

Order numbers are "SO" + digits. Customers type them every way imaginable
("so10004821", "SO-10004821", "10004821", full-width "ＳＯ１０００４８２１"), so
everything here accepts any of those and works with the normal form.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from crm_engine import refunds
from crm_engine.delivery import expected_delivery, find_destination
from crm_engine.models import (
    AddressChange,
    Order,
    OrderItem,
    Product,
    Shipment,
    utcnow,
)
from crm_engine.policy import ShopPolicy, shop_policy

__all__ = [
    "AddressChangeResult",
    "AddressCheck",
    "CancelResult",
    "ItemView",
    "OrderNotFoundError",
    "OrderView",
    "PaymentView",
    "ShipmentView",
    "TrackingEventView",
    "cancel_order",
    "change_address",
    "check_address",
    "find_order",
    "get_order",
    "normalize_order_number",
    "order_view",
    "require_order",
]

ORDER_PREFIX = "SO"
# With the prefix any 6-12 digits are accepted; bare digits only as the 8 the
# shop issues, so a phone number (11 digits) or a postcode (6) is never taken
# for an order number.
_PREFIXED = re.compile(r"(?<![A-Z0-9])SO[\s\-_#:.]*(\d{6,12})(?!\d)")
_BARE = re.compile(r"(?<![A-Z0-9\-])(\d{8})(?![\dA-Z])")

ADDRESS_MIN_CHARS_ZH = 8
ADDRESS_MIN_CHARS_EN = 10
ADDRESS_MAX_CHARS = 200
# 省/市/区/县… say where; 路/街/号/栋… say which door. A deliverable Chinese
# address has both, or is long and has a house number.
_ZH_AREA = re.compile(r"[省市区县镇乡旗州盟]")
_ZH_DETAIL = re.compile(r"[路街道巷弄号村栋幢楼室院苑]|小区|大厦|单元|广场|花园|公寓|\d")
_ZH_LONG_WITH_NUMBER = 12
_EN_STREET = re.compile(
    r"(?<![a-z])(street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
    r"place|pl|square|sq|crescent|terrace|close|highway|hwy|parkway|building|bldg|floor|"
    r"flat|apt|apartment|unit|suite|room|block|tower|estate|district|village)(?![a-z])"
)
_EN_POSTCODE = re.compile(
    r"(?<![a-z0-9])(\d{5,6}(-\d{4})?|[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}|[a-z]\d[a-z]\s*\d[a-z]\d)(?![a-z0-9])"
)
_CJK = re.compile(r"[\u3400-\u9fff]")


class OrderNotFoundError(LookupError):
    """No order has this number."""

    def __init__(self, number: str) -> None:
        super().__init__(f"no order with number {number!r}")
        self.number = number


def normalize_order_number(text: str | None) -> str | None:
    """The order number in `text` as "SO" + digits, or None when there is none.

    >>> normalize_order_number("订单号 so-10004821 谢谢")
    'SO10004821'
    """
    if not isinstance(text, str):
        return None
    normal = unicodedata.normalize("NFKC", text).upper()
    match = _PREFIXED.search(normal) or _BARE.search(normal)
    return ORDER_PREFIX + match.group(1) if match else None


def find_order(session: Session, number: str | None, *, details: bool = True) -> Order | None:
    """The order with this number (any spelling).

    With `details` its items, shipment, payments and customer are loaded too (to-one
    relations in a JOIN, each collection in one query: four round trips instead of
    eight, on every order answer); without, only the order row (enough to know it
    exists).
    """
    normal = normalize_order_number(number)
    if normal is None:
        return None
    query = select(Order).where(Order.number == normal)
    if details:
        query = query.options(
            selectinload(Order.items).joinedload(OrderItem.product).joinedload(Product.category),
            joinedload(Order.shipment).selectinload(Shipment.events),
            selectinload(Order.payments),
            joinedload(Order.customer),
        )
    return session.scalars(query).one_or_none()


def require_order(session: Session, number: str | None) -> Order:
    order = find_order(session, number)
    if order is None:
        raise OrderNotFoundError(str(number))
    return order


def lock_order(session: Session, order: Order) -> None:
    """Serialise changes to one order: a concurrent request for it waits here until this
    transaction ends, then sees what it did.

    PostgreSQL locks the row. SQLite has no row locks and its driver opens a
    transaction only at the first write, so a no-op UPDATE takes the database's
    write lock instead; it also makes later savepoints nest inside this
    transaction rather than commit on their own.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE orders SET id = id WHERE id = :id"), {"id": order.id})
    else:
        session.execute(select(Order.id).where(Order.id == order.id).with_for_update())


@dataclass(frozen=True)
class ItemView:
    product_id: int
    sku: str
    name_zh: str
    name_en: str
    category: str
    quantity: int
    unit_price: Decimal
    color: str | None
    size: str | None

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class TrackingEventView:
    occurred_at: dt.datetime
    code: str
    location_zh: str
    location_en: str

    def location(self, language: str) -> str:
        return self.location_zh if language == "zh" else self.location_en


@dataclass(frozen=True)
class ShipmentView:
    courier: str
    tracking_number: str
    shipped_at: dt.datetime
    expected_delivery: dt.date | None  # the courier's estimate, else the policy's
    delivered_at: dt.datetime | None
    events: tuple[TrackingEventView, ...]  # oldest first


@dataclass(frozen=True)
class PaymentView:
    amount: Decimal
    method: str
    status: str
    transaction_ref: str
    created_at: dt.datetime


@dataclass(frozen=True)
class OrderView:
    """Everything the bot may tell a verified customer about an order."""

    number: str
    status: str
    customer_code: str
    customer_name: str
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    region: str
    shipping_name: str
    shipping_address: str
    items_total: Decimal
    shipping_fee: Decimal
    total: Decimal
    currency: str
    items: tuple[ItemView, ...]
    shipment: ShipmentView | None
    payments: tuple[PaymentView, ...]


def order_view(order: Order, policy: ShopPolicy | None = None) -> OrderView:
    shipment = None
    if order.shipment is not None:
        s = order.shipment
        shipment = ShipmentView(
            courier=s.courier,
            tracking_number=s.tracking_number,
            shipped_at=s.shipped_at,
            expected_delivery=s.estimated_delivery
            or expected_delivery(s.shipped_at, order.region, s.courier, policy),
            delivered_at=s.delivered_at,
            events=tuple(
                TrackingEventView(e.occurred_at, e.code, e.location_zh, e.location_en)
                for e in sorted(s.events, key=lambda e: e.occurred_at)
            ),
        )
    return OrderView(
        number=order.number,
        status=order.status,
        customer_code=order.customer.code,
        customer_name=order.customer.name,
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        cancelled_at=order.cancelled_at,
        region=order.region,
        shipping_name=order.shipping_name,
        shipping_address=order.shipping_address,
        items_total=order.items_total,
        shipping_fee=order.shipping_fee,
        total=order.total,
        currency=order.currency,
        items=tuple(
            ItemView(
                product_id=i.product_id,
                sku=i.product.sku,
                name_zh=i.product.name_zh,
                name_en=i.product.name_en,
                category=i.product.category.code,
                quantity=i.quantity,
                unit_price=i.unit_price,
                color=i.color,
                size=i.size,
            )
            for i in order.items
        ),
        shipment=shipment,
        payments=tuple(
            PaymentView(p.amount, p.method, p.status, p.transaction_ref, p.created_at)
            for p in sorted(order.payments, key=lambda p: p.created_at)
        ),
    )


def get_order(
    session: Session, number: str | None, policy: ShopPolicy | None = None
) -> OrderView | None:
    """The order as the customer may see it, or None if no order has this number."""
    order = find_order(session, number)
    return order_view(order, policy) if order else None


@dataclass(frozen=True)
class CancelResult:
    """outcome: 'cancelled', 'already_cancelled' or 'not_cancellable' (status says why)."""

    outcome: str
    order_number: str
    status: str  # the order's status after the call
    refund: refunds.RefundView | None = None
    refund_created: bool = False


def cancel_order(
    session: Session,
    number: str,
    *,
    reason: str | None = None,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> CancelResult:
    """Cancel an order that has not left the warehouse and refund what was paid.

    Shipped and delivered orders cannot be cancelled (the answer says so, and
    the customer returns them instead). Cancelling twice is harmless: the second
    call reports the first cancellation and its refund.
    """
    policy = policy or shop_policy()
    now = now or utcnow()
    order = require_order(session, number)
    lock_order(session, order)
    session.refresh(order, ["status"])
    if order.status == "cancelled":
        return CancelResult(
            "already_cancelled", order.number, order.status, refunds.latest_refund(session, order)
        )
    if order.status not in policy.orders.cancellable_statuses:
        return CancelResult("not_cancellable", order.number, order.status)
    order.status = "cancelled"
    order.cancelled_at = now
    session.flush()
    refund, created = refunds.open_refund(
        session,
        order,
        reason=reason or "order cancelled by the customer",
        conversation_id=conversation_id,
        now=now,
        policy=policy,
    )
    return CancelResult(
        "cancelled",
        order.number,
        order.status,
        refunds.refund_view(session, refund, policy) if refund else None,
        created,
    )


@dataclass(frozen=True)
class AddressCheck:
    """problem: None, 'empty', 'too_short', 'too_long' or 'missing_detail'."""

    ok: bool
    address: str  # whitespace-tidied
    problem: str | None = None


def check_address(text: str | None) -> AddressCheck:
    """Is this plausibly a deliverable address? Catches "home", "上海" and pasted essays.

    Chinese: at least 8 characters with an area (市/区/县…) and a door-level
    detail (路/号/栋… or a number), or 12+ characters with a number. English:
    a house number plus a street word or a postcode.
    """
    address = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()
    if not address:
        return AddressCheck(False, address, "empty")
    if len(address) > ADDRESS_MAX_CHARS:
        return AddressCheck(False, address, "too_long")
    compact = address.replace(" ", "")
    if _CJK.search(address):
        if len(compact) < ADDRESS_MIN_CHARS_ZH:
            return AddressCheck(False, address, "too_short")
        has_area = bool(_ZH_AREA.search(compact))
        has_detail = bool(_ZH_DETAIL.search(compact))
        long_with_number = len(compact) >= _ZH_LONG_WITH_NUMBER and bool(re.search(r"\d", compact))
        if (has_area and has_detail) or long_with_number:
            return AddressCheck(True, address)
        return AddressCheck(False, address, "missing_detail")
    if len(address) < ADDRESS_MIN_CHARS_EN:
        return AddressCheck(False, address, "too_short")
    lower = address.lower()
    has_number = bool(re.search(r"\d", lower))
    if has_number and (_EN_STREET.search(lower) or _EN_POSTCODE.search(lower)):
        return AddressCheck(True, address)
    return AddressCheck(False, address, "missing_detail")


@dataclass(frozen=True)
class AddressChangeResult:
    """outcome: 'changed', 'unchanged' (same address), 'not_changeable', 'invalid_address'
    or 'abroad' (a new country means new fees and customs: a person handles it)."""

    outcome: str
    order_number: str
    status: str
    old_address: str
    new_address: str
    problem: str | None = None  # AddressCheck.problem when invalid


def change_address(
    session: Session,
    number: str,
    new_address: str,
    *,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> AddressChangeResult:
    """Point an order that has not shipped yet to a new address, keeping the old one on record."""
    policy = policy or shop_policy()
    order = require_order(session, number)
    lock_order(session, order)
    session.refresh(order, ["status", "shipping_address"])
    old = order.shipping_address
    check = check_address(new_address)
    if order.status not in policy.orders.address_changeable_statuses:
        return AddressChangeResult("not_changeable", order.number, order.status, old, check.address)
    if not check.ok:
        return AddressChangeResult(
            "invalid_address", order.number, order.status, old, check.address, check.problem
        )
    if check.address.replace(" ", "") == re.sub(r"\s+", "", old):
        return AddressChangeResult("unchanged", order.number, order.status, old, old)
    destination = find_destination(check.address, policy)
    if destination is not None and destination.kind == "international":
        return AddressChangeResult("abroad", order.number, order.status, old, check.address)
    session.add(
        AddressChange(
            order_id=order.id,
            old_address=old,
            new_address=check.address,
            conversation_id=conversation_id,
            changed_at=now or utcnow(),
        )
    )
    order.shipping_address = check.address
    # Delivery times and couriers' routes follow the region.
    if destination is not None:
        order.region = destination.code
    session.flush()
    return AddressChangeResult("changed", order.number, order.status, old, check.address)
