"""Returns and exchanges of delivered goods, by the policy's windows and category rules.

A return within `no_reason_days` of delivery, for a category that allows it,
needs no reason (七天无理由) and is approved at once; later returns within
`return_window_days` need a reason and a person's review. Exchanges swap an
item for another size or colour within `exchange_window_days`. One open
request per order and product: asking again returns it (RMA code and all), and
a partial unique index keeps it so under concurrent requests.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_engine.models import OPEN_RETURN_STATUSES, Order, OrderItem, ReturnRequest, utcnow
from crm_engine.orders import lock_order, require_order
from crm_engine.policy import ShopPolicy, Warehouse, shop_policy

__all__ = [
    "OPEN_STATUSES",
    "ReturnInstructions",
    "ReturnOutcome",
    "ReturnView",
    "item_problem",
    "match_item",
    "order_return_problem",
    "request_exchange",
    "request_return",
    "return_problems",
    "returnable_items",
]

OPEN_STATUSES = OPEN_RETURN_STATUSES
_MAX_REASON_CHARS = 1000
_MAX_EXCHANGE_CHARS = 200


@dataclass(frozen=True)
class ReturnView:
    rma_code: str
    order_number: str
    kind: str  # return or exchange
    product_id: int | None
    product_name_zh: str
    product_name_en: str
    status: str
    no_reason: bool
    reason: str | None
    exchange_for: str | None
    created_at: dt.datetime

    def product_name(self, language: str) -> str:
        return self.product_name_zh if language == "zh" else self.product_name_en


@dataclass(frozen=True)
class ReturnInstructions:
    """How to send the goods back: quoted to the customer with the RMA code."""

    rma_code: str
    ship_by: dt.date
    warehouse: Warehouse


@dataclass(frozen=True)
class ReturnOutcome:
    """outcome: 'created', 'existing' (an open request for the item stands) or a problem:
    'not_shipped' (cancel instead), 'in_transit', 'cancelled', 'already_returned',
    'window_expired' (`deadline` was the last day), 'category_excluded',
    'not_exchangeable', 'choose_item' (several items and none chosen) or
    'item_not_in_order'."""

    outcome: str
    order_number: str
    request: ReturnView | None = None
    instructions: ReturnInstructions | None = None
    deadline: dt.date | None = None
    product_name_zh: str | None = None
    product_name_en: str | None = None


def _delivered_day(order: Order) -> dt.date | None:
    delivered = order.delivered_at or (order.shipment.delivered_at if order.shipment else None)
    return delivered.date() if delivered else None


def order_return_problem(order: Order) -> str | None:
    """Why no item of this order can be returned or exchanged now, judged by its status alone."""
    if order.status in ("pending_payment", "paid", "processing"):
        return "not_shipped"
    if order.status == "shipped":
        return "in_transit"
    if order.status == "cancelled":
        return "cancelled"
    if order.status == "returned":
        return "already_returned"
    return None


def item_problem(
    order: Order,
    item: OrderItem,
    *,
    kind: str,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> tuple[str | None, bool, dt.date]:
    """(problem, no_reason, deadline) for returning or exchanging one delivered item.

    problem is None when the request may go ahead, else 'category_excluded',
    'not_exchangeable' or 'window_expired'; `deadline` is the last day of the
    window that applies.
    """
    if kind not in ("return", "exchange"):
        raise ValueError(f"kind must be one of return, exchange; got {kind!r}")
    policy = policy or shop_policy()
    today = (now or utcnow()).date()
    rules = policy.returns
    category = item.product.category.code
    delivered = _delivered_day(order) or today
    if kind == "exchange":
        until = delivered + dt.timedelta(days=rules.exchange_window_days)
        if category not in rules.exchange_categories:
            return "not_exchangeable", False, until
        return ("window_expired" if today > until else None), False, until
    window_until = delivered + dt.timedelta(days=rules.return_window_days)
    if category in rules.excluded_categories:
        return "category_excluded", False, window_until
    no_reason_until = delivered + dt.timedelta(days=rules.no_reason_days)
    if category in rules.no_reason_categories and today <= no_reason_until:
        return None, True, no_reason_until
    return ("window_expired" if today > window_until else None), False, window_until


def returnable_items(
    order: Order,
    *,
    kind: str,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> list[OrderItem]:
    """The order's items a return (or exchange) may be asked for right now."""
    if order_return_problem(order):
        return []
    return [
        item
        for item in order.items
        if item_problem(order, item, kind=kind, now=now, policy=policy)[0] is None
    ]


def return_problems(
    session: Session,
    number: str,
    *,
    kind: str,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> list[ReturnOutcome]:
    """Why nothing of the order can be returned (or exchanged) now: one outcome for the
    whole order, or one per item; empty when some item can be. Changes nothing."""
    order = require_order(session, number)
    problem = order_return_problem(order)
    if problem:
        return [ReturnOutcome(problem, order.number)]
    outcomes = []
    for item in order.items:
        item_issue, _, deadline = item_problem(order, item, kind=kind, now=now, policy=policy)
        if item_issue is None:
            return []
        outcomes.append(_result(item_issue, order, item, deadline=deadline))
    return outcomes


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


def match_item(order: Order, text: str | None) -> OrderItem | None:
    """The order line a customer means: its number in the list ("2", "第2个") or its name.

    With one line there is nothing to choose. A name matches when either
    contains the other ("T恤" → "纯棉T恤"); two lines matching is no match.
    """
    items = list(order.items)
    if len(items) == 1:
        return items[0]
    if not text:
        return None
    normal = _normal(text)
    index = re.fullmatch(r"(?:第|no\.?|#|number)?\s*(\d{1,2})\s*(?:个|件|项|号)?", normal)
    if index:
        position = int(index.group(1))
        return items[position - 1] if 1 <= position <= len(items) else None
    hits = []
    for item in items:
        names = {
            _normal(item.product.name_zh),
            _normal(item.product.name_en),
            item.product.sku.lower(),
        }
        if any(name and (name in normal or normal in name) for name in names):
            hits.append(item)
    return hits[0] if len(hits) == 1 else None


def _view(request: ReturnRequest, order: Order) -> ReturnView:
    product = request.product
    return ReturnView(
        rma_code=request.rma_code,
        order_number=order.number,
        kind=request.kind,
        product_id=request.product_id,
        product_name_zh=product.name_zh if product else "",
        product_name_en=product.name_en if product else "",
        status=request.status,
        no_reason=request.no_reason,
        reason=request.reason,
        exchange_for=request.exchange_for,
        created_at=request.created_at,
    )


def _open_request(session: Session, order: Order, product_id: int) -> ReturnRequest | None:
    return session.scalars(
        select(ReturnRequest)
        .where(
            ReturnRequest.order_id == order.id,
            ReturnRequest.product_id == product_id,
            ReturnRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(ReturnRequest.id.desc())
    ).first()


def _instructions(request: ReturnRequest, policy: ShopPolicy) -> ReturnInstructions | None:
    if request.status != "approved":
        return None  # a person reviews it first and sends the instructions then
    ship_by = request.created_at.date() + dt.timedelta(days=policy.returns.ship_back_within_days)
    return ReturnInstructions(request.rma_code, ship_by, policy.returns.warehouse)


def _submit(
    session: Session,
    *,
    order: Order,
    item: OrderItem,
    kind: str,
    status: str,
    no_reason: bool,
    reason: str | None,
    exchange_for: str | None,
    conversation_id: str | None,
    now: dt.datetime,
) -> tuple[ReturnRequest, bool]:
    """Insert the request, or return the open one a concurrent request just created."""
    for _ in range(3):  # an RMA code taken by a concurrent request: count again
        sequence = (
            session.scalar(
                select(func.count(ReturnRequest.id)).where(ReturnRequest.order_id == order.id)
            )
            or 0
        ) + 1
        request = ReturnRequest(
            rma_code=f"RMA-{order.number}-{sequence}",
            order_id=order.id,
            kind=kind,
            product_id=item.product_id,
            reason=reason,
            exchange_for=exchange_for,
            no_reason=no_reason,
            status=status,
            conversation_id=conversation_id,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            return request, True
        except IntegrityError:
            existing = _open_request(session, order, item.product_id)
            if existing is not None:
                return existing, False
    raise RuntimeError(f"could not allocate an RMA code for order {order.number}")


def _check_text(value: str | None, parameter: str, limit: int, required: bool) -> str | None:
    text = re.sub(r"\s+", " ", value or "").strip()
    if required and not text:
        raise ValueError(f"{parameter} must be non-empty text, got {value!r}")
    if len(text) > limit:
        raise ValueError(f"{parameter} must be at most {limit} characters, got {len(text)}")
    return text or None


def _start(
    session: Session, number: str, product_id: int | None
) -> tuple[Order, OrderItem | None, ReturnOutcome | None]:
    order = require_order(session, number)
    lock_order(session, order)
    session.refresh(order, ["status"])
    problem = order_return_problem(order)
    if problem:
        return order, None, ReturnOutcome(problem, order.number)
    items = list(order.items)
    if product_id is None:
        if len(items) != 1:
            return order, None, ReturnOutcome("choose_item", order.number)
        return order, items[0], None
    item = next((i for i in items if i.product_id == product_id), None)
    if item is None:
        return order, None, ReturnOutcome("item_not_in_order", order.number)
    return order, item, None


def _result(
    outcome: str,
    order: Order,
    item: OrderItem,
    request: ReturnRequest | None = None,
    instructions: ReturnInstructions | None = None,
    deadline: dt.date | None = None,
) -> ReturnOutcome:
    return ReturnOutcome(
        outcome,
        order.number,
        _view(request, order) if request is not None else None,
        instructions,
        deadline,
        item.product.name_zh,
        item.product.name_en,
    )


def request_return(
    session: Session,
    number: str,
    *,
    product_id: int | None = None,
    reason: str | None = None,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> ReturnOutcome:
    """Ask to send an item back for a refund; `product_id` may be left out for one-item orders."""
    policy = policy or shop_policy()
    now = now or utcnow()
    reason = _check_text(reason, "reason", _MAX_REASON_CHARS, required=False)
    order, item, problem = _start(session, number, product_id)
    if problem:
        return problem
    assert item is not None
    existing = _open_request(session, order, item.product_id)
    if existing is not None:
        return _result("existing", order, item, existing, _instructions(existing, policy))
    problem, no_reason, deadline = item_problem(order, item, kind="return", now=now, policy=policy)
    if problem:
        return _result(problem, order, item, deadline=deadline)
    request, created = _submit(
        session,
        order=order,
        item=item,
        kind="return",
        status="approved" if no_reason else "requested",
        no_reason=no_reason,
        reason=reason,
        exchange_for=None,
        conversation_id=conversation_id,
        now=now,
    )
    return _result(
        "created" if created else "existing",
        order,
        item,
        request,
        _instructions(request, policy),
        deadline,
    )


def request_exchange(
    session: Session,
    number: str,
    *,
    exchange_for: str,
    product_id: int | None = None,
    reason: str | None = None,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> ReturnOutcome:
    """Ask to swap an item for another size or colour (`exchange_for`, e.g. "L码 黑色")."""
    policy = policy or shop_policy()
    now = now or utcnow()
    wanted = _check_text(exchange_for, "exchange_for", _MAX_EXCHANGE_CHARS, required=True)
    reason = _check_text(reason, "reason", _MAX_REASON_CHARS, required=False)
    order, item, problem = _start(session, number, product_id)
    if problem:
        return problem
    assert item is not None
    existing = _open_request(session, order, item.product_id)
    if existing is not None:
        return _result("existing", order, item, existing, _instructions(existing, policy))
    problem, _, until = item_problem(order, item, kind="exchange", now=now, policy=policy)
    if problem:
        return _result(problem, order, item, deadline=until)
    request, created = _submit(
        session,
        order=order,
        item=item,
        kind="exchange",
        status="approved",
        no_reason=False,
        reason=reason,
        exchange_for=wanted,
        conversation_id=conversation_id,
        now=now,
    )
    return _result(
        "created" if created else "existing",
        order,
        item,
        request,
        _instructions(request, policy),
        until,
    )
