import pytest
from sqlalchemy import select

from crm_engine.invoices import (
    PERSONAL_TITLE,
    check_title,
    extract_tax_id,
    is_personal_title,
    request_invoice,
    tax_id_problem,
)
from crm_engine.models import InvoiceRequest
from tests import factories

VALID_USCC = "91350100M000100Y43"  # a well-formed code (check character 3)


@pytest.mark.parametrize(
    ("tax_id", "problem"),
    [
        (VALID_USCC, None),
        ("91350100M000100Y44", "checksum"),
        ("91350100M000100I43", "characters"),  # I is not used in credit codes
        ("110108123456789", None),  # old 15-character taxpayer number
        ("11010819800101123X01", None),  # old 20-character number
        ("1234567", "length"),
        ("GB123456789", "length"),
    ],
)
def test_tax_ids_are_checked_as_chinese_taxpayer_ids(tax_id, problem):
    assert tax_id_problem(tax_id) == problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("税号：91350100M000100Y43", VALID_USCC),
        ("9135 0100 M000 100Y 43", VALID_USCC),
        ("tax id 91350100-m000100y43", VALID_USCC),
        ("９１３５０１００Ｍ０００１００Ｙ４３", VALID_USCC),
        ("没有", ""),
    ],
)
def test_the_tax_id_is_found_in_the_answer(text, expected):
    assert extract_tax_id(text) == expected


@pytest.mark.parametrize(
    ("text", "title", "personal"),
    [
        ("抬头：杭州云帆科技有限公司", "杭州云帆科技有限公司", False),
        ("发票抬头是上海星辰贸易有限公司", "上海星辰贸易有限公司", False),
        ("company name: Brightline Trading Ltd", "Brightline Trading Ltd", False),
        ("invoice title is Acme Widgets Limited", "Acme Widgets Limited", False),
        ("抬头写个人就行", PERSONAL_TITLE, True),
        ("个人", PERSONAL_TITLE, True),
        ("personal", PERSONAL_TITLE, True),
        ("title: John Smith", "John Smith", True),
        ("张伟", "张伟", True),
    ],
)
def test_titles_are_read_and_classified(text, title, personal):
    check = check_title(text)
    assert (check.ok, check.title, check.personal) == (True, title, personal)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("抬头：", "empty"), ("A", "too_short"), ("公司" * 60, "too_long")],
)
def test_unusable_titles_are_rejected(text, problem):
    assert check_title(text).problem == problem


def test_the_customers_own_name_is_a_personal_title():
    assert is_personal_title("Zhang Wei Studio", names=("Zhang Wei Studio",))


def test_a_personal_invoice_needs_no_tax_id(session):
    o = factories.order(session, status="delivered")
    result = request_invoice(session, o.number, title="个人", conversation_id="c1")
    assert result.outcome == "created" and result.invoice.personal
    assert result.invoice.tax_id is None and result.issue_within_days == 3
    row = session.scalars(select(InvoiceRequest)).one()
    assert (row.title, row.tax_id, row.status, row.conversation_id) == (
        "个人",
        None,
        "requested",
        "c1",
    )


def test_a_company_invoice_keeps_the_clean_tax_id(session):
    o = factories.order(session, status="paid")
    result = request_invoice(
        session, o.number, title="杭州云帆科技有限公司", tax_id="税号 9135 0100 M000 100Y 43"
    )
    assert result.invoice.tax_id == VALID_USCC and not result.invoice.personal


@pytest.mark.parametrize(
    ("tax_id", "message"),
    [(None, r"\(missing\)"), ("12345", r"\(length\)"), ("91350100M000100Y44", r"\(checksum\)")],
)
def test_a_company_invoice_without_a_valid_tax_id_is_refused(session, tax_id, message):
    o = factories.order(session, status="paid")
    with pytest.raises(ValueError, match=r"tax_id must be the company's 18-character .*" + message):
        request_invoice(session, o.number, title="杭州云帆科技有限公司", tax_id=tax_id)
    assert session.scalars(select(InvoiceRequest)).all() == []


def test_asking_again_updates_a_pending_request_and_keeps_one_row(session):
    o = factories.order(session, status="paid")
    request_invoice(session, o.number, title="个人")
    same = request_invoice(session, o.number, title="个人")
    changed = request_invoice(session, o.number, title="杭州云帆科技有限公司", tax_id=VALID_USCC)
    assert (same.outcome, changed.outcome) == ("existing", "updated")
    row = session.scalars(select(InvoiceRequest)).one()
    assert (row.title, row.tax_id) == ("杭州云帆科技有限公司", VALID_USCC)


def test_an_issued_invoice_is_not_changed(session):
    o = factories.order(session, status="delivered")
    request_invoice(session, o.number, title="个人")
    session.scalars(select(InvoiceRequest)).one().status = "issued"
    result = request_invoice(session, o.number, title="杭州云帆科技有限公司", tax_id=VALID_USCC)
    assert result.outcome == "existing" and result.invoice.title == "个人"


@pytest.mark.parametrize("status", ["pending_payment", "cancelled", "returned"])
def test_unpaid_or_cancelled_orders_get_no_invoice(session, status):
    o = factories.order(session, status=status)
    result = request_invoice(session, o.number, title="个人")
    assert (result.outcome, result.order_status) == ("not_eligible", status)
    assert session.scalars(select(InvoiceRequest)).all() == []
