"""Proving an order belongs to the person chatting, before anything about it is shown or changed.

Two ways: a signed token from the shop's website (the customer is logged in
there), or the last four digits of the phone number on the order (or on the
customer's account). Every try is kept in `verification_attempts`; after
`verification.max_attempts` wrong answers within `lockout_minutes` the order
is locked against guessing, whichever chat the guesses came from.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_engine.auth import verify_customer_token
from crm_engine.models import Customer, Order, VerificationAttempt, utcnow
from crm_engine.orders import require_order
from crm_engine.policy import ShopPolicy, shop_policy

__all__ = [
    "METHOD_PHONE",
    "METHOD_TOKEN",
    "CustomerIdentity",
    "VerificationResult",
    "customer_for_token",
    "extract_phone_last4",
    "failed_attempts",
    "verify_phone_last4",
    "verify_token",
]

METHOD_PHONE = "phone_last4"
METHOD_TOKEN = "token"
# Longer digit runs are taken as a whole phone number (its last four count);
# 5-6 digits are ambiguous and rejected rather than guessed at.
_MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class CustomerIdentity:
    code: str
    name: str


@dataclass(frozen=True)
class VerificationResult:
    """outcome: 'verified', 'mismatch' (try again), 'locked' (no tries left),
    'invalid_input' (not four digits; costs no try), 'invalid_token' or 'not_owner'
    (a valid token of another customer)."""

    outcome: str
    order_number: str
    attempts_left: int
    customer: CustomerIdentity | None = None

    @property
    def verified(self) -> bool:
        return self.outcome == "verified"


def extract_phone_last4(text: str | None) -> str | None:
    """The four digits a customer meant: "5678", "尾号 5678", "5 6 7 8" or a whole phone number."""
    if not isinstance(text, str):
        return None
    normal = unicodedata.normalize("NFKC", text)
    runs = re.findall(r"\d[\d\s\-]*\d|\d", normal)
    digits = ["".join(ch for ch in run if ch.isdigit()) for run in runs]
    four = [d for d in digits if len(d) == 4]
    if len(four) == 1:
        return four[0]
    phones = [d for d in digits if len(d) >= _MIN_PHONE_DIGITS]
    if len(phones) == 1 and not four:
        return phones[0][-4:]
    return None


def _last4(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    return digits[-4:] if len(digits) >= 4 else None


def failed_attempts(
    session: Session,
    order_number: str,
    *,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> int:
    """Wrong phone answers for this order within the lockout window, from any conversation."""
    policy = policy or shop_policy()
    since = (now or utcnow()) - dt.timedelta(minutes=policy.verification.lockout_minutes)
    return (
        session.scalar(
            select(func.count(VerificationAttempt.id)).where(
                VerificationAttempt.order_number == order_number,
                VerificationAttempt.method == METHOD_PHONE,
                VerificationAttempt.success.is_(False),
                VerificationAttempt.created_at >= since,
            )
        )
        or 0
    )


def _identity(order: Order) -> CustomerIdentity:
    return CustomerIdentity(order.customer.code, order.customer.name)


def verify_phone_last4(
    session: Session,
    order_number: str,
    answer: str | None,
    *,
    conversation_id: str,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> VerificationResult:
    """Check the customer's answer against the order's phone (or their account's phone)."""
    policy = policy or shop_policy()
    now = now or utcnow()
    order = require_order(session, order_number)
    limit = policy.verification.max_attempts
    failures = failed_attempts(session, order.number, now=now, policy=policy)
    if failures >= limit:
        return VerificationResult("locked", order.number, 0)
    digits = extract_phone_last4(answer)
    if digits is None:
        return VerificationResult("invalid_input", order.number, limit - failures)
    expected = {_last4(order.phone), _last4(order.customer.phone)} - {None}
    success = digits in expected
    session.add(
        VerificationAttempt(
            conversation_id=conversation_id,
            order_number=order.number,
            method=METHOD_PHONE,
            success=success,
            created_at=now,
        )
    )
    session.flush()
    if success:
        return VerificationResult("verified", order.number, limit - failures, _identity(order))
    left = limit - failures - 1
    return VerificationResult("mismatch" if left > 0 else "locked", order.number, left)


def customer_for_token(session: Session, token: str | None) -> CustomerIdentity | None:
    """The customer a valid signed token names, if they exist in the CRM."""
    code = verify_customer_token(token)
    if code is None:
        return None
    customer = session.scalars(select(Customer).where(Customer.code == code)).one_or_none()
    return CustomerIdentity(customer.code, customer.name) if customer else None


def verify_token(
    session: Session,
    order_number: str,
    token: str | None,
    *,
    conversation_id: str,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> VerificationResult:
    """Does the signed-in customer (from the token) own this order?

    Only tokens that name a real customer are recorded: a missing or forged
    token is no attempt by anyone in particular.
    """
    policy = policy or shop_policy()
    order = require_order(session, order_number)
    left = max(
        policy.verification.max_attempts
        - failed_attempts(session, order.number, now=now, policy=policy),
        0,
    )
    identity = customer_for_token(session, token)
    if identity is None:
        return VerificationResult("invalid_token", order.number, left)
    owner = identity.code == order.customer.code
    session.add(
        VerificationAttempt(
            conversation_id=conversation_id,
            order_number=order.number,
            method=METHOD_TOKEN,
            success=owner,
            created_at=now or utcnow(),
        )
    )
    session.flush()
    if owner:
        return VerificationResult("verified", order.number, left, identity)
    return VerificationResult("not_owner", order.number, left, identity)
