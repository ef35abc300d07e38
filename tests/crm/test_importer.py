"""CSV import: good files load; every bad row is reported with its line and column; all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_engine.config import PROJECT_ROOT
from crm_engine.importer import KINDS, import_csv, read_csv
from crm_engine.models import Category, Customer, Order, Product

SAMPLES = PROJECT_ROOT / "data" / "shop" / "samples"
NOW = dt.datetime(2026, 11, 20, 12, 0)

ORDER_HEADER = (
    "number,customer_code,status,placed_at,paid_at,shipped_at,sku,quantity,unit_price,"
    "shipping_address,region,phone,currency,courier,tracking_number,total"
)
GOOD_ORDER = {
    "number": "SO39990001",
    "customer_code": "T0001",
    "status": "paid",
    "placed_at": "2026-11-01 10:00",
    "paid_at": "2026-11-01 10:05",
    "shipped_at": "",
    "sku": "TEA-JASMINE",
    "quantity": "1",
    "unit_price": "88.00",
    "shipping_address": "杭州市西湖区文三路88号",
    "region": "east",
    "phone": "",
    "currency": "",
    "courier": "",
    "tracking_number": "",
    "total": "",
}


def _run(session, kind, path, **kwargs):
    return import_csv(kind, path, session.connection(), now=NOW, **kwargs)


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _csv(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _order_file(tmp_path, *rows):
    lines = [ORDER_HEADER] + [",".join(row[c] for c in ORDER_HEADER.split(",")) for row in rows]
    return _csv(tmp_path, "\n".join(lines) + "\n", name="orders.csv")


def _errors(result):
    return {(e.line, e.column) for e in result.errors}


@pytest.fixture
def samples(session):
    """The database after importing the good sample files."""
    for kind in KINDS:
        result = _run(session, kind, SAMPLES / f"{kind}.csv")
        assert result.ok, [str(e) for e in result.errors]
    return session


def test_sample_files_import_in_order(session):
    created = {kind: _run(session, kind, SAMPLES / f"{kind}.csv").created for kind in KINDS}

    assert created == {
        "customers": {"customers": 4},
        "products": {"categories": 2, "products": 6},
        "orders": {"orders": 5, "order lines": 6, "payments": 3, "shipments": 2},
    }
    customer = session.scalars(select(Customer).where(Customer.code == "T0001")).one()
    assert (customer.name, customer.city, customer.region) == ("李娜", "杭州", "east")
    assert customer.created_at == dt.datetime(2025, 3, 2, 10, 15)
    tray = session.scalars(select(Product).where(Product.sku == "TW-TRAY")).one()
    assert (tray.name_en, tray.price, tray.category.name_zh) == (
        "Tea tray, bamboo",
        Decimal("129.50"),
        "茶具",
    )
    assert not session.scalars(select(Product).where(Product.sku == "TW-OLDPOT")).one().active


def test_imported_orders_are_complete(samples):
    def order(number):
        return samples.scalars(select(Order).where(Order.number == number)).one()

    first = order("SO30000001")
    assert [(i.product.sku, i.quantity) for i in first.items] == [
        ("TEA-LJ250", 1),
        ("TW-GAIWAN", 2),
    ]
    assert (first.items_total, first.total, first.status) == (
        Decimal("534.00"),
        Decimal("534.00"),
        "delivered",
    )
    assert (first.shipment.courier, first.shipment.tracking_number) == ("sf", "SF3000000000001")
    assert [(p.amount, p.status, p.transaction_ref) for p in first.payments] == [
        (Decimal("534.00"), "paid", "ALP30000001")
    ]
    english = order("SO30000002")
    assert (
        english.shipping_address
        == "Room 1502, Building 3, 88 Century Avenue,\nPudong New Area, Shanghai"
    )
    assert (english.shipping_fee, english.total) == (Decimal("8.00"), Decimal("96.00"))
    processing = order("SO30000003")
    assert processing.phone == "18612345003"  # the customer's, as the row left it empty
    assert [p.transaction_ref for p in processing.payments] == ["IMPORT-SO30000003"]
    assert order("SO30000005").payments == []  # cancelled before paying


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "customers",
            {(3, "name"), (4, "phone"), (5, "email"), (5, "language"), (6, "code"), (7, "region")},
        ),
        (
            "products",
            {(2, "price"), (3, "price"), (4, "name_zh"), (5, "sku"), (6, "category"), (6, "price")},
        ),
        (
            "orders",
            {
                (2, "customer_code"),
                (3, "status"),
                (3, "sku"),
                (3, "quantity"),
                (4, "region"),
                (4, "shipped_at"),
                (4, "tracking_number"),
                (5, "delivered_at"),
                (5, "total"),
                (6, "customer_code"),
                (7, "paid_at"),
                (7, "quantity"),
                (8, "placed_at"),
                (8, "shipping_address"),
            },
        ),
    ],
)
def test_bad_samples_report_every_error_and_write_nothing(samples, kind, expected):
    model = {"customers": Customer, "products": Product, "orders": Order}[kind]
    before = _count(samples, model)

    result = _run(samples, kind, SAMPLES / f"{kind}_bad.csv")

    assert _errors(result) == expected
    assert "nothing was imported" in result.summary()
    assert _count(samples, model) == before


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"customer_code": "T9999"}, "customer_code", "no customer with code 'T9999'"),
        ({"sku": "TEA-NOPE"}, "sku", "no product with sku 'TEA-NOPE'"),
        ({"quantity": "two"}, "quantity", "a whole number greater than 0; got 'two'"),
        ({"quantity": "0"}, "quantity", "a whole number greater than 0"),
        ({"unit_price": "12.345"}, "unit_price", "at most 2 decimals"),
        ({"unit_price": "-1"}, "unit_price", "an amount >= 0"),
        ({"placed_at": "yesterday"}, "placed_at", "expected a date and time"),
        ({"placed_at": "2027-01-01 10:00"}, "placed_at", "is in the future"),
        ({"status": "sent"}, "status", "one of pending_payment, paid"),
        ({"region": "mars"}, "region", "one of east, north"),
        ({"status": "shipped"}, "shipped_at", "a shipped order needs shipped_at"),
        ({"status": "pending_payment"}, "paid_at", "cannot have paid_at"),
        ({"paid_at": "2026-11-01 09:00"}, "paid_at", "is before placed_at"),
        (
            {"status": "shipped", "shipped_at": "2026-11-02 10:00", "courier": "sf"},
            "tracking_number",
            "give courier and tracking_number together",
        ),
        (
            {"courier": "sf", "tracking_number": "SF1"},
            "tracking_number",
            "a paid order has no shipment",
        ),
        ({"total": "90.00"}, "total", "differs from items plus shipping fee, 88.00"),
        (
            {"number": "SO30000001"},
            "number",
            "order number 'SO30000001' already exists in the database",
        ),
        (
            {
                "status": "shipped",
                "shipped_at": "2026-11-02 10:00",
                "courier": "sf",
                "tracking_number": "SF3000000000001",
            },
            "tracking_number",
            "already exists in the database",
        ),
        ({"phone": "call me"}, "phone", "expected a phone number"),
        ({"currency": "yuan"}, "currency", "a 3-letter currency code"),
    ],
)
def test_each_kind_of_bad_order_row_is_reported_on_its_line(
    samples, tmp_path, changes, column, message
):
    before = _count(samples, Order)
    path = _order_file(tmp_path, GOOD_ORDER, {**GOOD_ORDER, "number": "SO39990002", **changes})

    result = _run(samples, "orders", path)

    assert [(e.line, e.column) for e in result.errors] == [(3, column)]
    assert message in result.errors[0].message
    assert _count(samples, Order) == before


def test_good_order_row_template_imports(samples, tmp_path):
    result = _run(samples, "orders", _order_file(tmp_path, GOOD_ORDER))
    assert result.ok and result.created["orders"] == 1


def test_lines_of_one_order_must_agree_and_may_be_apart(samples, tmp_path):
    second_line = {
        **GOOD_ORDER,
        "sku": "TW-GAIWAN",
        "unit_price": "68.00",
        "status": "",
        "placed_at": "",
    }
    other = {**GOOD_ORDER, "number": "SO39990003"}
    path = _order_file(tmp_path, GOOD_ORDER, other, second_line)

    result = _run(samples, "orders", path)

    assert result.created == {"orders": 2, "order lines": 3, "payments": 2, "shipments": 0}
    order = samples.scalars(select(Order).where(Order.number == "SO39990001")).one()
    assert order.total == Decimal("156.00")


def test_disagreeing_and_repeated_order_lines_are_reported(samples, tmp_path):
    path = _order_file(
        tmp_path,
        GOOD_ORDER,
        {**GOOD_ORDER, "region": "north", "sku": "TW-GAIWAN", "unit_price": "68.00"},
        GOOD_ORDER,
    )

    result = _run(samples, "orders", path)

    assert [(e.line, e.column) for e in result.errors] == [(3, "region"), (4, "sku")]
    assert "north differs from east on line 2" in result.errors[0].message
    assert "already on line 2" in result.errors[1].message


def test_timestamps_with_an_offset_are_stored_as_utc(samples, tmp_path):
    row = {**GOOD_ORDER, "placed_at": "2026-11-01T18:00:00+08:00", "paid_at": "2026/11/1 10:05"}
    assert _run(samples, "orders", _order_file(tmp_path, row)).ok
    order = samples.scalars(select(Order).where(Order.number == "SO39990001")).one()
    assert (order.placed_at, order.paid_at) == (
        dt.datetime(2026, 11, 1, 10, 0),
        dt.datetime(2026, 11, 1, 10, 5),
    )


def test_header_problems_are_reported_on_line_1(session, tmp_path):
    path = _csv(tmp_path, "code,phon,phon\nC1,13800000000,1\n")

    result = _run(session, "customers", path)

    assert _errors(result) == {(1, "phon"), (1, "name")}
    assert any("unknown column" in e.message for e in result.errors)
    assert any("required column is missing" in e.message for e in result.errors)


def test_one_bad_row_means_nothing_is_written(session, tmp_path):
    path = _csv(
        tmp_path,
        "code,name,language\nC1,甲,zh\nC2,乙,zh\nC3,Ann,fr\nC4,丁,en\n",
    )

    result = _run(session, "customers", path)

    assert [str(e) for e in result.errors] == [
        "line 4, column 'language': expected one of zh, en; got 'fr'"
    ]
    assert _count(session, Customer) == 0


def test_existing_customer_codes_are_duplicates(samples, tmp_path):
    result = _run(
        samples, "customers", _csv(tmp_path, "code,name\nT0009,新客户\nT0002,James Brown\n")
    )
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (3, "code", "customer code 'T0002' already exists in the database")
    ]


def test_categories_come_from_the_database_or_an_earlier_row(samples, tmp_path):
    path = _csv(
        tmp_path,
        "sku,name_zh,name_en,category,price,category_name_zh,category_name_en,active\n"
        "CUP-1,品茗杯,Tasting cup,cups,15.00,茶杯,Cups,yes\n"
        "CUP-2,公道杯,Fair cup,cups,25.00,,,\n"
        "TEA-NEW,白茶,White tea,tea,99.00,茶,Tea,\n"
        "X-1,某物,Thing,gadgets,1.00,,,maybe\n",
    )

    result = _run(samples, "products", path)

    assert [(e.line, e.column) for e in result.errors] == [
        (4, "category_name_zh"),
        (5, "active"),
        (5, "category"),
    ]
    assert "named '茶叶' in the database" in result.errors[0].message
    assert _count(samples, Category) == 2


def test_dry_run_checks_without_writing(session):
    result = _run(session, "customers", SAMPLES / "customers.csv", dry_run=True)
    assert result.ok and result.created == {"customers": 4}
    assert "would create 4 customers" in result.summary()
    assert _count(session, Customer) == 0


def test_bom_is_ignored_and_chinese_text_kept():
    assert (SAMPLES / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    header, rows = read_csv(SAMPLES / "customers.csv")
    assert header[0] == "code"
    assert rows[0] == (2, rows[0][1]) and rows[0][1]["name"] == "李娜"


def test_line_numbers_count_lines_inside_quoted_values(session, tmp_path):
    path = _csv(tmp_path, 'code,name,city\nC1,"张\n三",上海\nC2,李四,北京\nC3,,广州\n')

    result = _run(session, "customers", path)

    assert [(e.line, e.column) for e in result.errors] == [(5, "name")]


def test_a_file_that_is_not_utf8_is_refused_with_advice(session, tmp_path):
    path = _csv(tmp_path, "code,name\nC1,张三\n", encoding="gbk")
    with pytest.raises(ValueError, match=r"line 2 is not UTF-8 text; save the file as UTF-8"):
        _run(session, "customers", path)


def test_trailing_empty_cells_may_be_missing_but_extra_values_are_refused(session, tmp_path):
    assert _run(session, "customers", _csv(tmp_path, "code,name,city\nC1,张三\n")).ok
    with pytest.raises(ValueError, match="line 3: 4 values but the header has 3 columns"):
        _run(
            session,
            "customers",
            _csv(tmp_path, "code,name,city\nC2,李四,北京\nC3,王五,上海,x\n", name="b.csv"),
        )


def test_empty_file_and_unknown_kind_are_refused(session, tmp_path):
    with pytest.raises(ValueError, match="the file is empty"):
        _run(session, "customers", _csv(tmp_path, ""))
    with pytest.raises(
        ValueError, match="kind must be one of customers, products, orders; got 'refunds'"
    ):
        _run(session, "refunds", SAMPLES / "customers.csv")
    with pytest.raises(FileNotFoundError, match="CSV file not found"):
        _run(session, "customers", tmp_path / "missing.csv")
