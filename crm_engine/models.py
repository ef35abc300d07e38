"""The CRM store's tables (SQLAlchemy 2 declarative models).

Money is always `Numeric(12, 2)` mapped to `Decimal`. Status columns are short
strings checked by constraints, so SQLite and PostgreSQL behave the same.
Timestamps are naive UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints so Alembic migrations are reproducible on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(12, 2)

ORDER_STATUSES = (
    "pending_payment",  # placed, not paid
    "paid",  # paid, waiting for the warehouse
    "processing",  # being packed; still cancellable
    "shipped",
    "delivered",
    "cancelled",
    "returned",  # goods came back and money went back
)
PAYMENT_STATUSES = ("pending", "paid", "failed", "refunded")
REFUND_STATUSES = ("requested", "approved", "rejected", "completed")
OPEN_REFUND_STATUSES = ("requested", "approved")
RETURN_KINDS = ("return", "exchange")
RETURN_STATUSES = ("requested", "approved", "rejected", "received", "completed")
OPEN_RETURN_STATUSES = ("requested", "approved", "received")
TICKET_KINDS = ("handoff", "payment", "complaint", "refund_review")
TICKET_STATUSES = ("open", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {Decimal: Money, dict[str, Any]: JSON, list[Any]: JSON}


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))

    products: Mapped[list[Product]] = relationship(back_populates="category")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    category: Mapped[Category] = relationship(back_populates="products")

    __table_args__ = (CheckConstraint("price >= 0", name="price_non_negative"),)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # the shop's customer number
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="zh")
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(40))  # usual delivery region code
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="customer")
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="customer")

    __table_args__ = (CheckConstraint("language IN ('zh', 'en')", name="language"),)


class ChannelIdentity(Base):
    """Who a channel user (web account, WeChat openid, Telegram id) is in the CRM."""

    __tablename__ = "channel_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")

    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_identity"),)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. SO10004821
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    phone: Mapped[str] = mapped_column(String(40))  # contact phone given with the order
    shipping_name: Mapped[str] = mapped_column(String(200))
    shipping_address: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(40))  # a delivery region code from the policy
    items_total: Mapped[Decimal] = mapped_column(Money)
    shipping_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )
    shipment: Mapped[Shipment | None] = relationship(back_populates="order", uselist=False)
    payments: Mapped[list[Payment]] = relationship(back_populates="order")
    refunds: Mapped[list[Refund]] = relationship(back_populates="order")
    returns: Mapped[list[ReturnRequest]] = relationship(back_populates="order")

    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint("total >= 0", name="total_non_negative"),
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    color: Mapped[str | None] = mapped_column(String(20))  # a colour code from the catalogue
    size: Mapped[str | None] = mapped_column(String(20))  # a size code from the catalogue

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    courier: Mapped[str] = mapped_column(String(40))  # a courier code from the policy
    tracking_number: Mapped[str] = mapped_column(String(60), unique=True)
    shipped_at: Mapped[dt.datetime] = mapped_column(DateTime)
    estimated_delivery: Mapped[dt.date | None] = mapped_column(Date)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    order: Mapped[Order] = relationship(back_populates="shipment")
    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment", order_by="TrackingEvent.occurred_at"
    )


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    code: Mapped[str] = mapped_column(
        String(30)
    )  # picked_up, in_transit, out_for_delivery, delivered
    location_zh: Mapped[str] = mapped_column(String(100))
    location_en: Mapped[str] = mapped_column(String(100))

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))  # alipay, wechat_pay, card, paypal
    status: Mapped[str] = mapped_column(String(20))
    transaction_ref: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    order: Mapped[Order] = relationship(back_populates="payments")

    __table_args__ = (CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    order: Mapped[Order] = relationship(back_populates="refunds")

    __table_args__ = (
        CheckConstraint(_in("status", REFUND_STATUSES), name="status"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        # At most one open refund per order, so a repeated or concurrent request
        # can never pay twice (crm_engine.refunds relies on it).
        Index(
            "uq_refunds_open_per_order",
            "order_id",
            unique=True,
            sqlite_where=text(_in("status", OPEN_REFUND_STATUSES)),
            postgresql_where=text(_in("status", OPEN_REFUND_STATUSES)),
        ),
    )


class ReturnRequest(Base):
    """A return (goods back, money back) or an exchange (goods swapped)."""

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    rma_code: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    exchange_for: Mapped[str | None] = mapped_column(String(200))  # wanted size/colour/model
    no_reason: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="returns")
    product: Mapped[Product | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("kind", RETURN_KINDS), name="kind"),
        CheckConstraint(_in("status", RETURN_STATUSES), name="status"),
        # One open return or exchange per order line (crm_engine.returns relies on it).
        Index(
            "uq_return_requests_open_per_item",
            "order_id",
            "product_id",
            unique=True,
            sqlite_where=text(_in("status", OPEN_RETURN_STATUSES)),
            postgresql_where=text(_in("status", OPEN_RETURN_STATUSES)),
        ),
    )


class AddressChange(Base):
    __tablename__ = "address_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    old_address: Mapped[str] = mapped_column(Text)
    new_address: Mapped[str] = mapped_column(Text)
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class InvoiceRequest(Base):
    __tablename__ = "invoice_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))  # 发票抬头
    tax_id: Mapped[str | None] = mapped_column(String(40))  # 税号; None for a personal invoice
    status: Mapped[str] = mapped_column(String(20), default="requested")
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Ticket(Base):
    """Work for a person: a handoff, a payment problem, a complaint, a refund to review."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str | None] = mapped_column(String(200), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    assignee: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(_in("kind", TICKET_KINDS), name="kind"),
        CheckConstraint(_in("status", TICKET_STATUSES), name="status"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
    )


class Interaction(Base):
    """One message in a conversation: what the customer said or what the bot replied."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    direction: Mapped[str] = mapped_column(String(4))  # 'user' or 'bot'
    channel: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(5))
    intent: Mapped[str | None] = mapped_column(String(60))
    confidence: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[list[Any] | None] = mapped_column(JSON)
    sentiment_label: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    response: Mapped[str | None] = mapped_column(String(100))  # the bot's response/template name
    event_time: Mapped[float] = mapped_column(Float)  # Rasa event timestamp, for idempotent ingest
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (
        CheckConstraint("direction IN ('user', 'bot')", name="direction"),
        UniqueConstraint("conversation_id", "direction", "event_time", name="uq_interaction_event"),
        Index("ix_interactions_conversation", "conversation_id", "created_at"),
    )


class VerificationAttempt(Base):
    """Each try at proving an order belongs to the person chatting; failures are kept for audit."""

    __tablename__ = "verification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    order_number: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))  # 'phone_last4' or 'token'
    success: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
