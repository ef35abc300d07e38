"""Invoice requests: title, tax id for companies, and the answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.invoices import ActionRequestInvoice, ValidateInvoiceForm
from crm_engine.db import session_scope
from crm_engine.models import InvoiceRequest
from tests import factories
from tests.actions.order_helpers import (
    form_tracker,
    goal_tracker,
    render,
    responses,
    run,
    slots_set,
)

VALID_USCC = "91350100M000100Y43"


@pytest.fixture
def number(db_url) -> str:
    with session_scope(db_url) as s:
        return factories.order(s, status="delivered").number


def _title(domain, number, answer, language="zh", slots=None):
    tracker = form_tracker(
        "invoice_form",
        candidates={"invoice_title": answer},
        slots={"order_id": number, "verified_orders": [number], **(slots or {})},
        requested_slot="invoice_title",
        language=language,
    )
    return run(ValidateInvoiceForm(), tracker, domain), tracker


@pytest.mark.parametrize(
    ("answer", "title", "next_slot"),
    [
        ("个人", "个人", None),
        ("personal", "个人", None),
        ("张伟", "张伟", None),  # the customer's own name
        ("抬头：杭州云帆科技有限公司", "杭州云帆科技有限公司", "invoice_tax_id"),
        ("company name: Brightline Trading Ltd", "Brightline Trading Ltd", "invoice_tax_id"),
    ],
)
def test_a_company_title_asks_for_the_tax_id_and_a_personal_one_does_not(
    domain, number, answer, title, next_slot
):
    (events, dispatcher), _ = _title(domain, number, answer)
    slots = slots_set(events)
    assert slots["invoice_title"] == title
    assert slots["requested_slot"] == next_slot
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_title_is_asked_again(domain, number, language):
    (events, dispatcher), tracker = _title(domain, number, "：", language)
    assert slots_set(events)["invoice_title"] is None
    assert responses(dispatcher) == ["utter_invalid_invoice_title"]
    render(dispatcher, domain, tracker)


def _tax_id(domain, number, answer, language="zh"):
    tracker = form_tracker(
        "invoice_form",
        candidates={"invoice_tax_id": answer},
        slots={
            "order_id": number,
            "verified_orders": [number],
            "invoice_title": "杭州云帆科技有限公司",
        },
        requested_slot="invoice_tax_id",
        language=language,
    )
    return run(ValidateInvoiceForm(), tracker, domain), tracker


def test_a_valid_tax_id_is_cleaned_and_ends_the_form(domain, number):
    (events, dispatcher), _ = _tax_id(domain, number, "税号：9135 0100 M000 100Y 43")
    slots = slots_set(events)
    assert slots["invoice_tax_id"] == VALID_USCC and slots["requested_slot"] is None


@pytest.mark.parametrize(
    ("answer", "language"),
    [("91330100MA27XK5L3Q", "zh"), ("VAT number DE811907980", "en"), ("没有", "zh")],
)
def test_an_invalid_tax_id_is_explained_and_asked_again(domain, number, answer, language):
    (events, dispatcher), tracker = _tax_id(domain, number, answer, language)
    assert slots_set(events)["invoice_tax_id"] is None
    assert responses(dispatcher) == ["utter_invalid_tax_id"]
    assert ("个人" if language == "zh" else "personal") in render(dispatcher, domain, tracker)[0]


def test_no_tax_id_can_become_a_personal_invoice(domain, number):
    (events, _), _ = _tax_id(domain, number, "那就开个人吧")
    slots = slots_set(events)
    assert slots["invoice_title"] == "个人" and slots["invoice_tax_id"] is None
    assert slots["requested_slot"] is None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_invoice_is_requested_once_and_updated_on_a_second_ask(
    domain, db_url, number, language
):
    personal = goal_tracker(number=number, slots={"invoice_title": "个人"}, language=language)
    events, dispatcher = run(ActionRequestInvoice(), personal, domain)
    assert responses(dispatcher) == ["utter_invoice_requested_personal"]
    assert "3" in render(dispatcher, domain, personal)[0]
    assert slots_set(events)["goal_resolved"] is True
    company = goal_tracker(
        number=number,
        slots={"invoice_title": "杭州云帆科技有限公司", "invoice_tax_id": VALID_USCC},
        language=language,
    )
    _, dispatcher = run(ActionRequestInvoice(), company, domain)
    assert responses(dispatcher) == ["utter_invoice_updated", "utter_invoice_requested_company"]
    assert VALID_USCC in render(dispatcher, domain, company)[1]
    with session_scope(db_url) as s:
        row = s.scalars(select(InvoiceRequest)).one()
        assert (row.title, row.tax_id) == ("杭州云帆科技有限公司", VALID_USCC)


@pytest.mark.parametrize(
    ("status", "response"),
    [
        ("pending_payment", "utter_invoice_not_eligible_unpaid"),
        ("cancelled", "utter_invoice_not_eligible_closed"),
    ],
)
def test_unpaid_or_cancelled_orders_skip_the_questions_and_are_explained(
    domain, db_url, status, response
):
    with session_scope(db_url) as s:
        number = factories.order(s, status=status).number
    tracker = form_tracker(
        "invoice_form", candidates={"order_id": number}, slots={"verified_orders": [number]}
    )
    events, _ = run(ValidateInvoiceForm(), tracker, domain)
    assert slots_set(events)["requested_slot"] is None
    goal = goal_tracker(number=number, language="en")
    _, dispatcher = run(ActionRequestInvoice(), goal, domain)
    assert responses(dispatcher) == [response]
    render(dispatcher, domain, goal)
