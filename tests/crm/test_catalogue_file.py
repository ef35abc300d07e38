"""The demo catalogue file and the rules every catalogue file is checked against."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml

from crm_engine.catalogue_file import (
    dump_catalogue,
    load_catalogue,
    normalise_phrase,
    parse_catalogue,
    write_catalogue,
)
from crm_engine.config import DEFAULT_CATALOGUE_PATH

CATEGORIES = {
    "apparel": ("服装", "Apparel"),
    "shoes": ("鞋靴", "Shoes"),
    "bags": ("箱包", "Bags"),
    "electronics": ("数码电子", "Electronics"),
    "home": ("家居", "Home"),
    "kitchen": ("厨具", "Kitchenware"),
    "beauty": ("美妆护肤", "Beauty"),
    "food": ("食品饮料", "Food & drink"),
    "baby": ("母婴", "Baby"),
    "sports": ("运动户外", "Sports & outdoors"),
    "books": ("图书", "Books"),
    "pets": ("宠物用品", "Pet supplies"),
}
REQUIRED_PRODUCTS = {
    "APP-TSHIRT": ("纯棉T恤", "Cotton T-shirt"),
    "APP-DRESS": ("连衣裙", "Dress"),
    "APP-JEANS": ("牛仔裤", "Jeans"),
    "APP-DOWN": ("羽绒服", "Down jacket"),
    "SHO-RUN": ("跑步鞋", "Running shoes"),
    "SHO-SNEAK": ("小白鞋", "White sneakers"),
    "BAG-BACK": ("双肩包", "Backpack"),
    "BAG-LUG": ("行李箱", "Suitcase"),
    "ELE-EARBUD": ("蓝牙耳机", "Bluetooth earbuds"),
    "ELE-PBANK": ("充电宝", "Power bank"),
    "ELE-CASE": ("手机壳", "Phone case"),
    "ELE-WATCH": ("智能手表", "Smart watch"),
    "HOM-SHEET": ("四件套床品", "Bedding set"),
    "HOM-LAMP": ("护眼台灯", "Desk lamp"),
    "KIT-PAN": ("不粘锅", "Non-stick pan"),
    "KIT-CUP": ("保温杯", "Thermos cup"),
    "BEA-CREAM": ("保湿面霜", "Moisturising cream"),
    "BEA-LIP": ("口红", "Lipstick"),
    "FOO-COFFEE": ("咖啡豆", "Coffee beans"),
    "FOO-TEA": ("龙井茶叶", "Longjing tea"),
    "BAB-DIAPER": ("纸尿裤", "Diapers"),
    "BAB-MILK": ("婴儿奶粉", "Infant formula"),
    "SPO-YOGA": ("瑜伽垫", "Yoga mat"),
    "PET-CATFOOD": ("猫粮", "Cat food"),
}
COLOURS = {"black", "white", "red", "blue", "navy", "grey", "pink", "green", "beige", "brown"}
SIZES = {"XS", "S", "M", "L", "XL", "XXL"} | {str(n) for n in range(36, 46)}

MINIMAL = {
    "categories": [{"code": "apparel", "name_zh": "服装", "name_en": "Apparel"}],
    "products": [
        {
            "sku": "APP-TSHIRT",
            "category": "apparel",
            "name_zh": "纯棉T恤",
            "name_en": "Cotton T-shirt",
            "aliases_zh": ["T恤"],
            "aliases_en": ["tee"],
            "price": "79.00",
            "colors": ["black"],
            "sizes": ["M"],
        },
        {
            "sku": "APP-DRESS",
            "category": "apparel",
            "name_zh": "连衣裙",
            "name_en": "Dress",
            "price": "199.00",
        },
    ],
    "colors": [{"code": "black", "zh": ["黑色"], "en": ["black"]}],
    "sizes": [{"code": "M", "zh": ["M码"], "en": ["M"]}],
}


@pytest.fixture(scope="module")
def demo_catalogue():
    return load_catalogue(DEFAULT_CATALOGUE_PATH)


def test_demo_catalogue_has_the_twelve_categories(demo_catalogue):
    assert {c.code: (c.name_zh, c.name_en) for c in demo_catalogue.categories} == CATEGORIES


def test_demo_catalogue_is_large_and_uses_every_category(demo_catalogue):
    assert len(demo_catalogue.products) >= 150
    assert {p.category for p in demo_catalogue.products} == set(CATEGORIES)
    assert all(p.price > 0 and isinstance(p.price, Decimal) for p in demo_catalogue.products)


@pytest.mark.parametrize(("sku", "names"), REQUIRED_PRODUCTS.items())
def test_demo_catalogue_has_the_required_products(demo_catalogue, sku, names):
    product = demo_catalogue.product(sku)
    assert (product.name_zh, product.name_en) == names
    assert product.aliases_zh and product.aliases_en


def test_demo_catalogue_colour_and_size_codes(demo_catalogue):
    assert {c.code for c in demo_catalogue.colors} == COLOURS
    assert {s.code for s in demo_catalogue.sizes} == SIZES
    assert all(c.zh and c.en for c in (*demo_catalogue.colors, *demo_catalogue.sizes))


@pytest.mark.parametrize("alias", ["earbuds", "earphones", "耳机", "无线耳机"])
def test_colloquial_earbud_names_are_aliases(demo_catalogue, alias):
    product = demo_catalogue.product("ELE-EARBUD")
    assert alias in product.aliases_zh + product.aliases_en


def test_every_phrase_names_one_product_or_category(demo_catalogue):
    owners: dict[str, str] = {}
    for entry in (*demo_catalogue.categories, *demo_catalogue.products):
        key = getattr(entry, "sku", None) or entry.code
        for phrase in (entry.name_zh, entry.name_en, *entry.aliases_zh, *entry.aliases_en):
            assert owners.setdefault(normalise_phrase(phrase), key) == key, phrase


def test_file_layout_is_the_documented_one():
    text = DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8")
    assert (
        "  - sku: APP-TSHIRT\n"
        "    category: apparel\n"
        "    name_zh: 纯棉T恤\n"
        "    name_en: Cotton T-shirt\n"
    ) in text
    assert '    price: "79.00"\n' in text


def test_dump_and_parse_round_trip(demo_catalogue):
    text = dump_catalogue(demo_catalogue, header="exported")
    assert text.startswith("# exported\ncategories:\n")
    assert parse_catalogue(yaml.safe_load(text)) == demo_catalogue


def test_write_catalogue_leaves_only_the_file(tmp_path, demo_catalogue):
    target = tmp_path / "catalogue.yml"
    write_catalogue(demo_catalogue, target)
    assert load_catalogue(target) == demo_catalogue
    assert [p.name for p in tmp_path.iterdir()] == ["catalogue.yml"]


def _product(data, sku):
    return next(p for p in data["products"] if p["sku"] == sku)


def _unknown_category(d):
    _product(d, "APP-DRESS")["category"] = "toys"


def _unknown_colour(d):
    _product(d, "APP-TSHIRT")["colors"] = ["purple"]


def _unknown_size(d):
    _product(d, "APP-TSHIRT")["sizes"] = ["XXXL"]


def _duplicate_sku(d):
    _product(d, "APP-DRESS")["sku"] = "APP-TSHIRT"


def _alias_of_two_products(d):
    _product(d, "APP-DRESS")["aliases_en"] = ["TEE"]


def _alias_equal_to_other_name(d):
    _product(d, "APP-DRESS")["aliases_zh"] = ["纯棉t恤"]


def _float_cents(d):
    _product(d, "APP-DRESS")["price"] = "19.999"


def _negative_price(d):
    _product(d, "APP-DRESS")["price"] = "-1.00"


def _typo_key(d):
    _product(d, "APP-DRESS")["alias_en"] = ["frock"]


def _missing_name(d):
    del _product(d, "APP-DRESS")["name_en"]


def _duplicate_colour(d):
    d["colors"].append({"code": "black", "zh": ["乌黑"], "en": ["jet"]})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_unknown_category, "product 'APP-DRESS': unknown category 'toys'"),
        (_unknown_colour, "product 'APP-TSHIRT': unknown colour code 'purple'"),
        (_unknown_size, "product 'APP-TSHIRT': unknown size code 'XXXL'"),
        (_duplicate_sku, "duplicate sku 'APP-TSHIRT'"),
        (_alias_of_two_products, "phrase 'TEE' is already used by product 'APP-TSHIRT'"),
        (_alias_equal_to_other_name, "phrase '纯棉t恤' is already used by product 'APP-TSHIRT'"),
        (_float_cents, "product 'APP-DRESS': 'price' must be an amount"),
        (_negative_price, "product 'APP-DRESS': 'price' must be an amount"),
        (_typo_key, "unknown key 'alias_en'"),
        (_missing_name, "product 'APP-DRESS': 'name_en' must be a non-empty string"),
        (_duplicate_colour, "duplicate colour code 'black'"),
    ],
)
def test_invalid_catalogues_are_rejected_naming_the_item(mutate, message):
    data = copy.deepcopy(MINIMAL)
    parse_catalogue(data)  # valid before the change
    mutate(data)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_catalogue(data, source="shop.yml")


def test_numeric_size_codes_read_as_text():
    data = copy.deepcopy(MINIMAL)
    data["sizes"].append({"code": 38, "zh": ["38码"], "en": [38]})
    _product(data, "APP-TSHIRT")["sizes"] = ["M", 38]
    catalogue = parse_catalogue(data)
    assert catalogue.product("APP-TSHIRT").sizes == ("M", "38")
    assert catalogue.sizes[-1].en == ("38",)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="catalogue file not found"):
        load_catalogue(tmp_path / "nope.yml")
