"""CSV import of customers, products and orders: check every row, then write all or nothing.

Files are UTF-8 (with or without the BOM Excel adds), comma-separated, with a
header row; column names are case-insensitive. Line numbers in errors are the
file's own (the header is line 1). Nothing is written when any row is bad, and
the writing itself happens in the caller's transaction.

Orders come one row per order line, grouped by `number`. Order-level columns
may be left empty on an order's later lines; when filled, they must agree with
its first line. Timestamps are read as UTC (an ISO offset such as +08:00 is
converted). Paid orders get a payment record and orders with a courier and
tracking number a shipment; the file has no tracking history or refunds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, select

from crm_engine.bulk import insert_rows
from crm_engine.models import (
    ORDER_STATUSES,
    Category,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    Shipment,
    utcnow,
)
from crm_engine.policy import shop_policy

KINDS = ("customers", "products", "orders")
LANGUAGES = ("zh", "en")

# kind -> (required columns, optional columns)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customers": (
        ("code", "name"),
        ("phone", "email", "language", "city", "region", "created_at"),
    ),
    "products": (
        ("sku", "name_zh", "name_en", "category", "price"),
        ("active", "category_name_zh", "category_name_en"),
    ),
    "orders": (
        (
            "number",
            "customer_code",
            "status",
            "placed_at",
            "sku",
            "quantity",
            "unit_price",
            "shipping_address",
            "region",
        ),
        (
            "shipping_name",
            "phone",
            "shipping_fee",
            "total",
            "currency",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "payment_method",
            "payment_ref",
            "courier",
            "tracking_number",
            "color",
            "size",
        ),
    ),
}
ORDER_LINE_COLUMNS = ("sku", "quantity", "unit_price", "color", "size")

_MONEY = re.compile(r"\d{1,10}(\.\d{1,2})?")
_INTEGER = re.compile(r"\d{1,9}")
_PHONE = re.compile(r"\+?[\d\s()\-]{6,30}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_TRUE = ("true", "yes", "y", "1", "是")
_FALSE = ("false", "no", "n", "0", "否")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
# A future timestamp is a mistake, but a shop clock ahead of UTC (e.g. Beijing
# time given as UTC) is not worth rejecting a file for.
_FUTURE_TOLERANCE = dt.timedelta(days=1)
_IN_CHUNK = 500

# Statuses that imply each timestamp: (must have, must not have)
_STATUS_TIMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pending_payment": ((), ("paid_at", "shipped_at", "delivered_at", "cancelled_at")),
    "paid": (("paid_at",), ("shipped_at", "delivered_at", "cancelled_at")),
    "processing": (("paid_at",), ("shipped_at", "delivered_at", "cancelled_at")),
    "shipped": (("paid_at", "shipped_at"), ("delivered_at", "cancelled_at")),
    "delivered": (("paid_at", "shipped_at", "delivered_at"), ("cancelled_at",)),
    "returned": (("paid_at", "shipped_at", "delivered_at"), ("cancelled_at",)),
    "cancelled": (("cancelled_at",), ("shipped_at", "delivered_at")),
}


@dataclass(frozen=True)
class RowError:
    line: int  # as in the file: the header is line 1
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    kind: str
    path: Path
    rows_read: int = 0
    created: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False  # checked only: `created` tells what an import would create

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return (
                f"{self.path}: {len(self.errors)} error(s) in {self.rows_read} rows; "
                "nothing was imported"
            )
        made = ", ".join(f"{n} {what}" for what, n in self.created.items()) or "nothing"
        verb = "would create" if self.dry_run else "created"
        return f"{self.path}: read {self.rows_read} rows; {verb} {made}"


def import_csv(
    kind: str,
    path: str | Path,
    conn: Connection,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Check every row of the CSV file and, if all are good and not `dry_run`, insert them.

    Problems with the data come back in `ImportResult.errors` (nothing written);
    an unreadable file raises FileNotFoundError or ValueError.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    path = Path(path)
    result = ImportResult(kind, path, dry_run=dry_run)
    header, rows = read_csv(path)
    result.rows_read = len(rows)
    _check_header(kind, header, result.errors)
    if result.errors:
        return result
    loader = {"customers": _Customers, "products": _Products, "orders": _Orders}[kind]
    job = loader(conn, result.errors, now or utcnow())
    job.check(rows)
    if not result.errors:
        result.created = job.preview() if dry_run else job.write()
    result.errors.sort(key=lambda e: (e.line, e.column or ""))
    return result


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (lower-cased) and each data row as (line number, column -> stripped text)."""
    if not path.is_file():
        raise FileNotFoundError(f"CSV file not found: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{path}: line {line} is not UTF-8 text; save the file as UTF-8 "
            "(in Excel: 'CSV UTF-8 (Comma delimited)')"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"{path}: the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: line 1: not valid CSV: {exc}") from None
    header = [h.strip().lower() for h in header]
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                cells = [v.strip() for v in values]
                extra = cells[len(header) :]
                if any(extra):
                    raise ValueError(
                        f"{path}: line {line}: {len(cells)} values but the header has "
                        f"{len(header)} columns (an unquoted comma in a value?)"
                    )
                cells += [""] * (len(header) - len(cells))  # tools drop trailing empty cells
                rows.append((line, dict(zip(header, cells, strict=False))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValueError(f"{path}: line {line}: not valid CSV: {exc}") from None
    return header, rows


def _check_header(kind: str, header: list[str], errors: list[RowError]) -> None:
    required, optional = COLUMNS[kind]
    allowed = required + optional
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "column appears twice"))
        seen.add(name)
        if name not in allowed:
            errors.append(
                RowError(1, name or "(empty)", f"unknown column (allowed: {', '.join(allowed)})")
            )
    for name in required:
        if name not in seen:
            errors.append(RowError(1, name, "required column is missing"))


class _Cells:
    """Typed reads of one row's cells; a bad cell records an error and reads as None."""

    def __init__(self, line: int, values: dict[str, str], errors: list[RowError], now: dt.datetime):
        self.line, self.values, self.errors, self.now = line, values, errors, now

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))

    def _raw(self, column: str, required: bool) -> str | None:
        value = self.values.get(column, "")
        if not value:
            if required:
                self.error(column, "a value is required")
            return None
        return value

    def text(self, column: str, max_len: int, required: bool = False) -> str | None:
        value = self._raw(column, required)
        if value is not None and len(value) > max_len:
            self.error(column, f"at most {max_len} characters allowed; got {len(value)}")
            return None
        return value

    def parsed(
        self, column: str, required: bool, parse: Callable[[str], Any], expected: str
    ) -> Any:
        value = self._raw(column, required)
        if value is None:
            return None
        parsed = parse(value)
        if parsed is None:
            self.error(column, f"expected {expected}; got {value!r}")
        return parsed

    def money(self, column: str, required: bool = False) -> Decimal | None:
        return self.parsed(
            column,
            required,
            lambda v: Decimal(v) if _MONEY.fullmatch(v) else None,
            "an amount >= 0 with at most 2 decimals, such as 79.00",
        )

    def quantity(self, column: str, required: bool = False) -> int | None:
        return self.parsed(
            column,
            required,
            lambda v: int(v) if _INTEGER.fullmatch(v) and int(v) > 0 else None,
            "a whole number greater than 0",
        )

    def timestamp(self, column: str, required: bool = False) -> dt.datetime | None:
        value = self.parsed(
            column,
            required,
            _parse_timestamp,
            "a date and time such as 2026-11-20 14:30 (or 2026-11-20, 2026/11/20 14:30:00)",
        )
        if value is not None and value > self.now + _FUTURE_TOLERANCE:
            self.error(column, f"{value:%Y-%m-%d %H:%M} is in the future")
            return None
        return value

    def choice(
        self, column: str, allowed: Sequence[str], required: bool = False, lower: bool = True
    ) -> str | None:
        return self.parsed(
            column,
            required,
            lambda v: (
                (v.lower() if lower else v) if (v.lower() if lower else v) in allowed else None
            ),
            f"one of {', '.join(allowed)}",
        )

    def boolean(self, column: str) -> bool | None:
        return self.parsed(
            column,
            False,
            lambda v: True if v.lower() in _TRUE else False if v.lower() in _FALSE else None,
            "true or false",
        )

    def phone(self, column: str) -> str | None:
        return self.parsed(
            column,
            False,
            lambda v: v if _PHONE.fullmatch(v) and 6 <= sum(c.isdigit() for c in v) <= 20 else None,
            "a phone number (digits, optionally +country code, spaces or dashes)",
        )

    def email(self, column: str) -> str | None:
        value = self.text(column, 200)
        if value is not None and not _EMAIL.fullmatch(value):
            self.error(column, f"expected an e-mail address; got {value!r}")
            return None
        return value


def _parse_timestamp(value: str) -> dt.datetime | None:
    text = value.replace("/", "-")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in _DATE_FORMATS:  # strptime also takes 2026-1-5 9:05
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is not None and parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _existing(conn: Connection, column: Column[Any], values: Iterable[str]) -> set[str]:
    """Which of `values` are already in `column`, asked in chunks (no full-table read)."""
    values = sorted(set(values))
    found: set[str] = set()
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def _ids(conn: Connection, key: Column[Any], values: Iterable[str]) -> dict[str, Any]:
    """key value -> row, for the values present, in chunks."""
    table = key.table
    values = sorted(set(values))
    rows: dict[str, Any] = {}
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        for row in conn.execute(select(table).where(key.in_(chunk))):
            rows[getattr(row, key.name)] = row
    return rows


class _Loader:
    def __init__(self, conn: Connection, errors: list[RowError], now: dt.datetime) -> None:
        self.conn, self.errors, self.now = conn, errors, now

    @cached_property
    def regions(self) -> tuple[str, ...]:
        # The shop policy is the authority on delivery regions.
        return tuple(shop_policy().delivery.regions)

    def cells(self, line: int, values: dict[str, str]) -> _Cells:
        return _Cells(line, values, self.errors, self.now)

    def _duplicates(
        self, keyed: list[tuple[int, str | None]], column: str, what: str, db_column: Column[Any]
    ) -> None:
        """Errors for keys repeated in the file or already in the database."""
        first: dict[str, int] = {}
        for line, key in keyed:
            if key is None:
                continue
            if key in first:
                self.errors.append(
                    RowError(line, column, f"{what} {key!r} already appears on line {first[key]}")
                )
            else:
                first[key] = line
        for key in sorted(_existing(self.conn, db_column, first)):
            self.errors.append(
                RowError(first[key], column, f"{what} {key!r} already exists in the database")
            )

    def check(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        raise NotImplementedError

    def preview(self) -> dict[str, int]:
        raise NotImplementedError

    def write(self) -> dict[str, int]:
        raise NotImplementedError


class _Customers(_Loader):
    def check(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.rows: list[dict[str, Any]] = []
        keyed = []
        for line, values in rows:
            c = self.cells(line, values)
            row = {
                "code": c.text("code", 40, required=True),
                "name": c.text("name", 200, required=True),
                "phone": c.phone("phone"),
                "email": c.email("email"),
                "language": c.choice("language", LANGUAGES) or "zh",
                "city": c.text("city", 100),
                "region": c.choice("region", self.regions),
                "created_at": c.timestamp("created_at") or self.now,
            }
            keyed.append((line, row["code"]))
            self.rows.append(row)
        self._duplicates(keyed, "code", "customer code", Customer.__table__.c.code)

    def preview(self) -> dict[str, int]:
        return {"customers": len(self.rows)}

    def write(self) -> dict[str, int]:
        insert_rows(self.conn, Customer.__table__, self.rows)
        return self.preview()


class _Products(_Loader):
    def check(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.rows = []
        self.new_categories: dict[str, dict[str, Any]] = {}
        codes = {values.get("category", "") for _, values in rows}
        known = {
            code: (row.name_zh, row.name_en)
            for code, row in _ids(self.conn, Category.__table__.c.code, codes).items()
        }
        defined: dict[str, tuple[int, tuple[str, str]]] = {}  # code -> (line, names) from this file
        keyed = []
        for line, values in rows:
            c = self.cells(line, values)
            category = c.text("category", 40, required=True)
            name_zh = c.text("category_name_zh", 100)
            name_en = c.text("category_name_en", 100)
            if category is not None:
                self._category(c, category, name_zh, name_en, known, defined)
            row = {
                "sku": c.text("sku", 40, required=True),
                "name_zh": c.text("name_zh", 200, required=True),
                "name_en": c.text("name_en", 200, required=True),
                "_category": category,
                "price": c.money("price", required=True),
                "active": c.boolean("active"),
            }
            if row["active"] is None:
                row["active"] = True
            keyed.append((line, row["sku"]))
            self.rows.append(row)
        self._duplicates(keyed, "sku", "sku", Product.__table__.c.sku)

    def _category(
        self,
        c: _Cells,
        code: str,
        name_zh: str | None,
        name_en: str | None,
        known: dict[str, tuple[str, str]],
        defined: dict[str, tuple[int, tuple[str, str]]],
    ) -> None:
        given = (name_zh, name_en)
        if code in known or code in defined:
            names = known[code] if code in known else defined[code][1]
            origin = "the database" if code in known else f"line {defined[code][0]}"
            for column, wanted, have in zip(
                ("category_name_zh", "category_name_en"), given, names, strict=True
            ):
                if wanted is not None and wanted != have:
                    c.error(
                        column, f"category {code!r} is named {have!r} in {origin}; got {wanted!r}"
                    )
            return
        if name_zh is None or name_en is None:
            c.error(
                "category",
                f"unknown category {code!r}: not in the database and not defined on an earlier "
                "line; give category_name_zh and category_name_en on its first row",
            )
            return
        defined[code] = (c.line, (name_zh, name_en))
        self.new_categories[code] = {"code": code, "name_zh": name_zh, "name_en": name_en}

    def preview(self) -> dict[str, int]:
        return {"categories": len(self.new_categories), "products": len(self.rows)}

    def write(self) -> dict[str, int]:
        new = list(self.new_categories.values())
        ids = insert_rows(self.conn, Category.__table__, new, returning_ids=True)
        category_ids = {row["code"]: id_ for row, id_ in zip(new, ids, strict=True)}
        codes = {row["_category"] for row in self.rows} - set(category_ids)
        category_ids.update(
            {
                code: row.id
                for code, row in _ids(self.conn, Category.__table__.c.code, codes).items()
            }
        )
        products = [
            {
                **{k: v for k, v in row.items() if k != "_category"},
                "category_id": category_ids[row["_category"]],
            }
            for row in self.rows
        ]
        insert_rows(self.conn, Product.__table__, products)
        return self.preview()


@dataclass
class _PendingOrder:
    number: str
    line: int  # the order's first line
    fields: dict[str, Any]
    lines: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


class _Orders(_Loader):
    REQUIRED = tuple(c for c in COLUMNS["orders"][0] if c not in ORDER_LINE_COLUMNS)

    def _order_fields(self, c: _Cells) -> dict[str, Any]:
        return {
            "number": c.text("number", 40),
            "customer_code": c.text("customer_code", 40),
            "status": c.choice("status", ORDER_STATUSES),
            "placed_at": c.timestamp("placed_at"),
            "shipping_address": c.text("shipping_address", 1000),
            "region": c.choice("region", self.regions),
            "shipping_name": c.text("shipping_name", 200),
            "phone": c.phone("phone"),
            "shipping_fee": c.money("shipping_fee"),
            "total": c.money("total"),
            "currency": c.parsed(
                "currency",
                False,
                lambda v: v.upper() if _CURRENCY.fullmatch(v.upper()) else None,
                "a 3-letter currency code such as CNY",
            ),
            "paid_at": c.timestamp("paid_at"),
            "shipped_at": c.timestamp("shipped_at"),
            "delivered_at": c.timestamp("delivered_at"),
            "cancelled_at": c.timestamp("cancelled_at"),
            "payment_method": c.text("payment_method", 20),
            "payment_ref": c.text("payment_ref", 60),
            "courier": c.text("courier", 40),
            "tracking_number": c.text("tracking_number", 60),
        }

    def check(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.orders: dict[str, _PendingOrder] = {}
        for line, values in rows:
            c = self.cells(line, values)
            number = c.text("number", 40, required=True)
            fields = self._order_fields(c)
            item = {
                "sku": c.text("sku", 40, required=True),
                "quantity": c.quantity("quantity", required=True),
                "unit_price": c.money("unit_price", required=True),
                "color": c.text("color", 20),
                "size": c.text("size", 20),
            }
            if number is None:
                continue
            order = self.orders.get(number)
            if order is None:
                order = self.orders[number] = _PendingOrder(number, line, fields)
                for column in self.REQUIRED:
                    if fields[column] is None and values.get(column, "") == "":
                        c.error(column, "a value is required on the first line of an order")
            else:
                for column, value in fields.items():
                    first = order.fields[column]
                    if value is not None and first is not None and value != first:
                        c.error(
                            column,
                            f"order {number}: {value!s} differs from {first!s} on line {order.line}",
                        )
                    elif value is not None and first is None:
                        order.fields[column] = value
            order.lines.append((line, item))
        self._check_references()
        for order in self.orders.values():
            self._check_order(order)
        self._duplicates(
            [(o.line, o.number) for o in self.orders.values()],
            "number",
            "order number",
            Order.__table__.c.number,
        )
        self._duplicates(
            [(o.line, o.fields["tracking_number"]) for o in self.orders.values()],
            "tracking_number",
            "tracking number",
            Shipment.__table__.c.tracking_number,
        )
        self._duplicates(
            [(o.line, o.fields["payment_ref"]) for o in self.orders.values()],
            "payment_ref",
            "payment reference",
            Payment.__table__.c.transaction_ref,
        )

    def _check_references(self) -> None:
        codes = {o.fields["customer_code"] for o in self.orders.values()} - {None}
        skus = {item["sku"] for o in self.orders.values() for _, item in o.lines} - {None}
        self.customers = _ids(self.conn, Customer.__table__.c.code, codes)
        self.products = _ids(self.conn, Product.__table__.c.sku, skus)
        for order in self.orders.values():
            code = order.fields["customer_code"]
            if code is not None and code not in self.customers:
                self.errors.append(
                    RowError(
                        order.line,
                        "customer_code",
                        f"no customer with code {code!r} in the database",
                    )
                )
            for line, item in order.lines:
                if item["sku"] is not None and item["sku"] not in self.products:
                    self.errors.append(
                        RowError(
                            line, "sku", f"no product with sku {item['sku']!r} in the database"
                        )
                    )

    def _check_order(self, order: _PendingOrder) -> None:
        f, line = order.fields, order.line

        def error(column: str, message: str) -> None:
            self.errors.append(RowError(line, column, f"order {order.number}: {message}"))

        status = f["status"]
        if status is not None:
            needed, forbidden = _STATUS_TIMES[status]
            for column in needed:
                if f[column] is None:
                    error(column, f"a {status} order needs {column}")
            for column in forbidden:
                if f[column] is not None:
                    error(column, f"a {status} order cannot have {column}")
            if (f["courier"] or f["tracking_number"]) and status not in (
                "shipped",
                "delivered",
                "returned",
            ):
                error(
                    "tracking_number",
                    f"a {status} order has no shipment; leave courier and tracking_number empty",
                )
        if (f["courier"] is None) != (f["tracking_number"] is None):
            error(
                "courier" if f["courier"] is None else "tracking_number",
                "give courier and tracking_number together",
            )
        previous = ("placed_at", f["placed_at"])
        for column in ("paid_at", "shipped_at", "delivered_at"):
            if f[column] is not None and previous[1] is not None:
                if f[column] < previous[1]:
                    error(
                        column,
                        f"{f[column]:%Y-%m-%d %H:%M} is before {previous[0]} {previous[1]:%Y-%m-%d %H:%M}",
                    )
                previous = (column, f[column])
        if (
            f["cancelled_at"] is not None
            and f["placed_at"] is not None
            and f["cancelled_at"] < f["placed_at"]
        ):
            error("cancelled_at", "is before placed_at")
        customer = self.customers.get(f["customer_code"])
        if f["phone"] is None and customer is not None and not customer.phone:
            error(
                "phone",
                f"customer {f['customer_code']} has no phone on file; give the order's contact phone",
            )
        seen: dict[tuple[Any, ...], int] = {}
        for item_line, item in order.lines:
            key = (item["sku"], item["color"], item["size"])
            if key in seen:
                self.errors.append(
                    RowError(
                        item_line,
                        "sku",
                        f"order {order.number}: the same item is already on line {seen[key]}",
                    )
                )
            seen[key] = item_line
        if f["total"] is not None and all(
            i["quantity"] and i["unit_price"] is not None for _, i in order.lines
        ):
            expected = self._items_total(order) + (f["shipping_fee"] or Decimal("0"))
            if f["total"] != expected:
                error(
                    "total", f"total {f['total']} differs from items plus shipping fee, {expected}"
                )

    @staticmethod
    def _items_total(order: _PendingOrder) -> Decimal:
        return sum((i["unit_price"] * i["quantity"] for _, i in order.lines), Decimal("0.00"))

    def preview(self) -> dict[str, int]:
        orders = self.orders.values()
        return {
            "orders": len(self.orders),
            "order lines": sum(len(o.lines) for o in orders),
            "payments": sum(1 for o in orders if o.fields["paid_at"] is not None),
            "shipments": sum(1 for o in orders if o.fields["tracking_number"] is not None),
        }

    def write(self) -> dict[str, int]:
        pending = list(self.orders.values())
        rows = []
        for o in pending:
            f = o.fields
            customer = self.customers[f["customer_code"]]
            items_total = self._items_total(o)
            fee = f["shipping_fee"] or Decimal("0.00")
            rows.append(
                {
                    "number": o.number,
                    "customer_id": customer.id,
                    "status": f["status"],
                    "placed_at": f["placed_at"],
                    "paid_at": f["paid_at"],
                    "shipped_at": f["shipped_at"],
                    "delivered_at": f["delivered_at"],
                    "cancelled_at": f["cancelled_at"],
                    "phone": f["phone"] or customer.phone,
                    "shipping_name": f["shipping_name"] or customer.name,
                    "shipping_address": f["shipping_address"],
                    "region": f["region"],
                    "items_total": items_total,
                    "shipping_fee": fee,
                    "total": items_total + fee,
                    "currency": f["currency"] or "CNY",
                }
            )
        ids = insert_rows(self.conn, Order.__table__, rows, returning_ids=True)
        items, payments, shipments = [], [], []
        for o, row, order_id in zip(pending, rows, ids, strict=True):
            f = o.fields
            for _, item in o.lines:
                items.append(
                    {
                        "order_id": order_id,
                        "product_id": self.products[item["sku"]].id,
                        "quantity": item["quantity"],
                        "unit_price": item["unit_price"],
                        "color": item["color"],
                        "size": item["size"],
                    }
                )
            if f["paid_at"] is not None:
                refunded = row["status"] in ("cancelled", "returned")
                payments.append(
                    {
                        "order_id": order_id,
                        "amount": row["total"],
                        "method": f["payment_method"] or "other",
                        "status": "refunded" if refunded else "paid",
                        "transaction_ref": f["payment_ref"] or f"IMPORT-{o.number}",
                        "created_at": f["paid_at"],
                    }
                )
            if f["tracking_number"] is not None:
                shipments.append(
                    {
                        "order_id": order_id,
                        "courier": f["courier"],
                        "tracking_number": f["tracking_number"],
                        "shipped_at": f["shipped_at"],
                        "estimated_delivery": None,
                        "delivered_at": f["delivered_at"],
                    }
                )
        insert_rows(self.conn, OrderItem.__table__, items)
        insert_rows(self.conn, Payment.__table__, payments)
        insert_rows(self.conn, Shipment.__table__, shipments)
        return self.preview()
