import asyncio
import datetime as dt

import pytest

from actions.recommendations import ActionRecommendProducts
from crm_engine.db import session_scope
from crm_engine.models import utcnow
from tests import factories
from tests.actions.conftest import assert_responses_exist, make_tracker, responses_of


@pytest.fixture
def shop(db_url):
    with session_scope(db_url) as s:
        factories.category(s, "shoes", "鞋", "Shoes")
        runner = factories.product(s, "跑鞋", "Running shoes", "399.00", "shoes")
        boot = factories.product(s, "短靴", "Ankle boots", "499.00", "shoes")
        tote = factories.product(s, "托特包", "Tote bag", "199.50", "bags")
        recent = utcnow() - dt.timedelta(days=5)
        factories.order(
            s, status="delivered", placed_at=recent, items=[(runner, 3), (boot, 1), (tote, 2)]
        )
        return {"runner": runner.sku, "boot": boot.sku, "tote": tote.sku}


def recommend(dispatcher, domain, text, entities=()):
    tracker = make_tracker(text=text, intent="recommend_product", entities=list(entities))
    events = asyncio.run(ActionRecommendProducts().run(dispatcher, tracker, domain))
    assert events == []
    assert_responses_exist(dispatcher, domain)
    return dispatcher.messages[0]


@pytest.mark.parametrize(
    ("text", "category", "lines"),
    [
        ("推荐几双鞋", "鞋", "1. 跑鞋 ¥399.00\n2. 短靴 ¥499.00"),
        ("recommend some shoes", "Shoes", "1. Running shoes ¥399.00\n2. Ankle boots ¥499.00"),
    ],
)
def test_category_best_sellers_in_the_customers_language(
    shop, dispatcher, domain, text, category, lines
):
    message = recommend(dispatcher, domain, text, [{"entity": "category", "value": "shoes"}])
    assert message["response"] == "utter_recommend_category"
    assert (message["category"], message["products"]) == (category, lines)


@pytest.mark.parametrize(
    ("text", "product", "lines"),
    [
        ("跑鞋有什么搭配的", "跑鞋", "1. 短靴 ¥499.00"),
        ("anything like the running shoes?", "Running shoes", "1. Ankle boots ¥499.00"),
    ],
)
def test_a_product_gets_other_popular_items_of_its_category(
    shop, dispatcher, domain, text, product, lines
):
    message = recommend(dispatcher, domain, text, [{"entity": "product", "value": shop["runner"]}])
    assert message["response"] == "utter_recommend_similar"
    assert (message["product"], message["products"]) == (product, lines)


def test_without_entities_the_shop_best_sellers_are_suggested(shop, dispatcher, domain):
    message = recommend(dispatcher, domain, "what's popular?")
    assert message["response"] == "utter_recommend_popular"
    assert (
        message["products"]
        == "1. Running shoes ¥399.00\n2. Tote bag ¥199.50\n3. Ankle boots ¥499.00"
    )


@pytest.mark.parametrize("text", ["推荐点东西", "recommend something"])
def test_an_empty_shop_says_it_has_nothing_to_suggest(db_url, dispatcher, domain, text):
    assert recommend(dispatcher, domain, text)["response"] == "utter_no_recommendations"
    assert responses_of(dispatcher) == ["utter_no_recommendations"]
