"""Signed customer tokens: how the shop's web backend tells the bot who is chatting.

The shop's backend, where the customer is logged in, issues a short-lived token
(`issue_customer_token`) and the web widget sends it with every message as
`metadata["auth_token"]`. A valid token proves the customer's identity, so the
bot can skip the phone-digits question for that customer's own orders.
HS256 with the shared secret CRM_AUTH_SECRET; the bot never issues tokens itself.
"""

from __future__ import annotations

import datetime as dt

import jwt

from crm_engine.config import settings

ALGORITHM = "HS256"
ISSUER = "shopbot"
AUDIENCE = "shopbot-customer"


class MissingSecretError(RuntimeError):
    """CRM_AUTH_SECRET is not configured, so tokens can neither be issued nor trusted."""


def _secret(secret: str | None) -> str | None:
    return secret if secret is not None else settings().auth_secret


def issue_customer_token(
    customer_code: str,
    ttl_seconds: int = 3600,
    *,
    secret: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A token saying "this is customer `customer_code`", valid for `ttl_seconds`."""
    if not isinstance(customer_code, str) or not customer_code.strip():
        raise ValueError(f"customer_code must be a non-empty string, got {customer_code!r}")
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be a positive whole number, got {ttl_seconds!r}")
    key = _secret(secret)
    if not key:
        raise MissingSecretError(
            "CRM_AUTH_SECRET is not set: set it to the secret shared with the shop's web "
            "backend before issuing customer tokens"
        )
    issued = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": customer_code.strip(),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + dt.timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_customer_token(token: str | None, *, secret: str | None = None) -> str | None:
    """The customer code in a valid, unexpired token; None for anything else.

    Without a configured secret every token is rejected: trusting unsigned
    identity claims would let anyone read anyone's orders.
    """
    key = _secret(secret)
    if not key or not isinstance(token, str) or not token.strip():
        return None
    try:
        claims = jwt.decode(
            token.strip(),
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and subject else None
