import pytest

from crm_engine.feedback import has_feedback, record_feedback
from crm_engine.models import Feedback
from tests import factories


def test_record_feedback_stores_rating_comment_language_and_customer(session):
    cust = factories.customer(session)
    record_feedback(
        session,
        conversation_id="c1",
        rating=4,
        comment="  很快  ",
        language="zh",
        customer_id=cust.id,
    )
    row = session.query(Feedback).one()
    assert (row.conversation_id, row.rating, row.comment, row.language, row.customer_id) == (
        "c1", 4, "很快", "zh", cust.id,
    )  # fmt: skip
    assert has_feedback(session, "c1") and not has_feedback(session, "c2")


def test_blank_comment_is_stored_as_none(session):
    assert record_feedback(session, conversation_id="c1", rating=5, comment="   ").comment is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rating": 0}, "rating must be an integer from 1 to 5; got 0"),
        ({"rating": 6}, "rating must be an integer from 1 to 5; got 6"),
        ({"rating": "5"}, "rating must be an integer from 1 to 5; got '5'"),
        ({"rating": True}, "rating must be an integer from 1 to 5; got True"),
        ({"rating": 3, "language": "de"}, "language must be one of zh, en or None; got 'de'"),
        ({"rating": 3, "conversation_id": ""}, "conversation_id must be a non-empty text"),
    ],
)
def test_record_feedback_rejects_bad_input(session, kwargs, message):
    with pytest.raises(ValueError, match=message):
        record_feedback(session, **{"conversation_id": "c1", **kwargs})
