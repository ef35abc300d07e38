from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from crm_engine.models import Feedback, Order
from tests import factories


def test_order_factory_builds_consistent_rows(session):
    o = factories.order(session, status="delivered")
    assert o.total == Decimal("99.00")
    assert o.shipment is not None and o.shipment.events[-1].code == "delivered"
    assert session.get(Order, o.id).customer.name == "张伟"


def test_rating_outside_1_to_5_is_rejected_by_the_database(session):
    session.add(Feedback(conversation_id="c1", rating=6))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
