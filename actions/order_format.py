"""Values the order responses are filled with: dates in the shop's time zone, amounts,
item lists and tracking lines in the customer's language.

Only data is formatted here; every sentence lives in the domain's responses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from crm_engine.orders import ItemView, TrackingEventView
from crm_engine.policy import ShopPolicy

TRACKING_LINES = 3  # the newest events shown; the tracking link has the rest


def local(moment: dt.datetime, policy: ShopPolicy) -> dt.datetime:
    """A naive-UTC database time as the shop's local time."""
    return moment.replace(tzinfo=dt.UTC).astimezone(policy.timezone)


def date_text(value: dt.date | dt.datetime | None, policy: ShopPolicy) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        value = local(value, policy).date()
    return value.isoformat()


def time_text(moment: dt.datetime, policy: ShopPolicy) -> str:
    return local(moment, policy).strftime("%Y-%m-%d %H:%M")


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def listing(parts: Iterable[str], language: str) -> str:
    return ("、" if language == "zh" else ", ").join(parts)


def items_text(items: Iterable[ItemView], language: str) -> str:
    return listing((f"{item.name(language)} ×{item.quantity}" for item in items), language)


def numbered_items(items: Iterable[ItemView], language: str) -> str:
    lines = []
    for n, item in enumerate(items, start=1):
        variant = " / ".join(v for v in (item.size, item.color) if v)
        suffix = f" ({variant})" if variant else ""
        lines.append(f"{n}. {item.name(language)}{suffix} ×{item.quantity}")
    return "\n".join(lines)


def tracking_text(events: Iterable[TrackingEventView], language: str, policy: ShopPolicy) -> str:
    """The newest tracking events first, each as "time · place · what happened"."""
    labels = policy.delivery.tracking_events
    newest = sorted(events, key=lambda e: e.occurred_at, reverse=True)[:TRACKING_LINES]
    lines = []
    for event in newest:
        label = labels[event.code].name(language) if event.code in labels else event.code
        lines.append(
            f"{time_text(event.occurred_at, policy)} · {event.location(language)} · {label}"
        )
    return "\n".join(lines)


def method_name(code: str | None, language: str, policy: ShopPolicy) -> str:
    method = policy.payments.methods.get(code or "")
    return method.name(language) if method else (code or "-")


def courier_name(code: str, language: str, policy: ShopPolicy) -> str:
    courier = policy.delivery.couriers.get(code)
    return courier.name(language) if courier else code
