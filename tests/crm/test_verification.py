import datetime as dt

import pytest
from sqlalchemy import select

from crm_engine.auth import issue_customer_token
from crm_engine.models import VerificationAttempt
from crm_engine.verification import (
    customer_for_token,
    extract_phone_last4,
    failed_attempts,
    verify_phone_last4,
    verify_token,
)
from tests import factories

NOW = factories.NOW
SECRET = "verification-test-secret-0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5678", "5678"),
        ("尾号5678", "5678"),
        ("手机后四位是 1234", "1234"),
        ("后4位：3090", "3090"),
        ("the last 4 digits are 4321", "4321"),
        ("5 6 7 8", "5678"),
        ("５６７８", "5678"),
        ("13812345678", "5678"),
        ("138 1234 5678", "5678"),
        ("+86 138-1234-5678", "5678"),
        ("567", None),
        ("56789", None),
        ("1234 or 5678", None),
        ("I don't know", None),
        ("", None),
        (None, None),
    ],
)
def test_the_four_digits_are_read_from_however_customers_write_them(text, expected):
    assert extract_phone_last4(text) == expected


def test_the_orders_phone_digits_verify_and_name_the_customer(session):
    o = factories.order(session, phone="13900001111")
    result = verify_phone_last4(session, o.number, "尾号1111", conversation_id="c1", now=NOW)
    assert result.verified and result.outcome == "verified"
    assert result.customer.code == o.customer.code and result.customer.name == "张伟"
    attempt = session.scalars(select(VerificationAttempt)).one()
    assert (attempt.conversation_id, attempt.order_number, attempt.method, attempt.success) == (
        "c1",
        o.number,
        "phone_last4",
        True,
    )


def test_the_account_phone_also_verifies(session):
    cust = factories.customer(session, phone="13812345678")
    o = factories.order(session, cust=cust, phone="13900001111")
    assert verify_phone_last4(session, o.number, "5678", conversation_id="c1", now=NOW).verified


def test_three_wrong_answers_lock_the_order_and_every_try_is_recorded(session):
    o = factories.order(session, phone="13900001111")
    first = verify_phone_last4(session, o.number, "0000", conversation_id="c1", now=NOW)
    second = verify_phone_last4(session, o.number, "0001", conversation_id="c1", now=NOW)
    third = verify_phone_last4(session, o.number, "0002", conversation_id="c1", now=NOW)
    assert [(r.outcome, r.attempts_left) for r in (first, second, third)] == [
        ("mismatch", 2),
        ("mismatch", 1),
        ("locked", 0),
    ]
    # Even the right answer, and from a new chat, is refused while locked.
    again = verify_phone_last4(session, o.number, "1111", conversation_id="c2", now=NOW)
    assert again.outcome == "locked" and not again.verified
    rows = session.scalars(select(VerificationAttempt)).all()
    assert [(r.success, r.method) for r in rows] == [(False, "phone_last4")] * 3
    assert failed_attempts(session, o.number, now=NOW) == 3


def test_the_lock_lifts_after_the_lockout_window(session):
    o = factories.order(session, phone="13900001111")
    for digits in ("0000", "0001", "0002"):
        verify_phone_last4(session, o.number, digits, conversation_id="c1", now=NOW)
    later = NOW + dt.timedelta(minutes=31)
    assert verify_phone_last4(session, o.number, "1111", conversation_id="c1", now=later).verified


def test_an_answer_that_is_not_four_digits_costs_no_try(session):
    o = factories.order(session, phone="13900001111")
    result = verify_phone_last4(session, o.number, "不知道", conversation_id="c1", now=NOW)
    assert (result.outcome, result.attempts_left) == ("invalid_input", 3)
    assert session.scalars(select(VerificationAttempt)).all() == []


def test_a_token_of_the_orders_owner_verifies(session, monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    o = factories.order(session)
    result = verify_token(
        session, o.number, issue_customer_token(o.customer.code), conversation_id="c1", now=NOW
    )
    assert result.verified and result.customer.code == o.customer.code
    attempt = session.scalars(select(VerificationAttempt)).one()
    assert (attempt.method, attempt.success) == ("token", True)


def test_a_token_of_another_customer_does_not_verify(session, monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    o = factories.order(session)
    stranger = factories.customer(session, name="李娜", phone="13700000000")
    result = verify_token(
        session, o.number, issue_customer_token(stranger.code), conversation_id="c1", now=NOW
    )
    assert result.outcome == "not_owner" and not result.verified
    assert result.customer.name == "李娜"
    assert session.scalars(select(VerificationAttempt)).one().success is False


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_missing_or_forged_tokens_are_not_attempts(session, monkeypatch, token):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    o = factories.order(session)
    assert verify_token(session, o.number, token, conversation_id="c1").outcome == "invalid_token"
    assert session.scalars(select(VerificationAttempt)).all() == []


def test_a_token_for_a_customer_unknown_to_the_crm_identifies_nobody(session, monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    assert customer_for_token(session, issue_customer_token("C-NOT-IN-CRM")) is None
