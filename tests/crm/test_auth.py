import datetime as dt

import jwt
import pytest

from crm_engine.auth import MissingSecretError, issue_customer_token, verify_customer_token

SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def test_a_token_round_trips_to_the_customer_code():
    token = issue_customer_token("C000123", secret=SECRET)
    assert verify_customer_token(token, secret=SECRET) == "C000123"


def test_the_secret_comes_from_crm_auth_secret(monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    token = issue_customer_token("C000777")
    assert verify_customer_token(token) == "C000777"


def test_without_a_secret_tokens_are_never_trusted_and_cannot_be_issued(monkeypatch):
    token = issue_customer_token("C000123", secret=SECRET)
    monkeypatch.delenv("CRM_AUTH_SECRET", raising=False)
    assert verify_customer_token(token) is None
    with pytest.raises(MissingSecretError, match="CRM_AUTH_SECRET is not set"):
        issue_customer_token("C000123")


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-jwt",
        issue_customer_token("C1", secret="another-secret-0123456789abcdef0123"),
        issue_customer_token(
            "C1", ttl_seconds=60, secret=SECRET, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        ),
        # Right secret, but not one of ours: no audience/issuer.
        jwt.encode(
            {"sub": "C1", "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)}, SECRET, "HS256"
        ),
        # Unsigned ("alg": "none") tokens must never pass.
        jwt.encode({"sub": "C1"}, None, algorithm="none"),
    ],
    ids=["none", "empty", "garbage", "wrong-secret", "expired", "foreign-claims", "unsigned"],
)
def test_anything_but_a_valid_token_verifies_to_none(token):
    assert verify_customer_token(token, secret=SECRET) is None


def test_a_tampered_token_is_rejected():
    token = issue_customer_token("C000123", secret=SECRET)
    header, payload, signature = token.split(".")
    other = issue_customer_token("C999999", secret=SECRET).split(".")[1]
    assert verify_customer_token(f"{header}.{other}.{signature}", secret=SECRET) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customer_code": ""}, "customer_code must be a non-empty string"),
        (
            {"customer_code": "C1", "ttl_seconds": 0},
            "ttl_seconds must be a positive whole number, got 0",
        ),
        ({"customer_code": "C1", "ttl_seconds": 1.5}, "got 1.5"),
    ],
)
def test_issue_validates_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        issue_customer_token(secret=SECRET, **kwargs)
