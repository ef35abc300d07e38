"""A seeded, deterministic demo shop: customers, orders and their after-sales history.

`build_demo` makes every row in memory (the same catalogue, sizes, seed and
`today` give the same rows), `write_demo` inserts them with multi-row inserts and
`load_demo` does both on a database, refusing to mix with existing shop data
unless told to replace it.

The data carries patterns for analytics to find: heavy-tailed purchase frequency
(a few VIP big spenders, many one-time buyers), customers who stopped buying a
year ago, the 618 (June) and 双11 (November) peaks, seasonal products, and
product affinities (AFFINITIES) so association rules exist.

The SHOWCASE customers and orders (crm_engine.demo_showcase) are the same whatever
the seed or size; generated order numbers (SO1xxxxxxx) and customer codes
(C000001 upwards) never collide with them. Every timestamp is naive UTC and earlier
than midnight at the start of `today`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select
from tqdm import tqdm

from crm_engine import demo_words as words
from crm_engine.bulk import insert_rows
from crm_engine.catalogue_file import Catalogue, ProductEntry, load_catalogue
from crm_engine.db import session_scope
from crm_engine.demo_places import REGIONS, WAREHOUSE, City, Region
from crm_engine.demo_showcase import SHOWCASE_SKUS, add_showcase
from crm_engine.models import (
    Category,
    Customer,
    InvoiceRequest,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    ReturnRequest,
    Shipment,
    TrackingEvent,
    utcnow,
)
from crm_engine.policy import ShopPolicy, shop_policy
from crm_engine.schema import load_all_models

DEFAULT_CUSTOMERS = 3000
DEFAULT_ORDERS = 30000
DEFAULT_SEED = 42
HISTORY_DAYS = 730
MAX_CUSTOMERS = 899_999  # codes C000001..C899999; C9xxxxx belong to the showcase

# Bought together: when the first sku is in a basket, each second sku joins it
# with the given probability. These are the rules `crm analyze` should find.
AFFINITIES: dict[str, tuple[tuple[str, float], ...]] = {
    "SHO-RUN": (("SPO-SOCKS", 0.5), ("SPO-BOTTLE", 0.15)),
    "ELE-PHONE": (("ELE-CASE", 0.6), ("ELE-FILM", 0.45), ("ELE-CHARGER", 0.25)),
    "FOO-COFFEE": (("KIT-GRINDER", 0.25), ("KIT-CUP", 0.3), ("KIT-POUR", 0.1)),
    "KIT-GRINDER": (("FOO-COFFEE", 0.6),),
    "BAB-DIAPER": (("BAB-MILK", 0.4), ("BAB-WIPES", 0.45)),
    "BAB-MILK": (("BAB-DIAPER", 0.35),),
    "PET-CATFOOD": (("PET-LITTER", 0.5), ("PET-CAN", 0.3)),
    "SPO-YOGA": (("SPO-LEGGINGS", 0.35), ("SPO-FOAM", 0.15)),
    "SHO-SNEAK": (("SHO-CARE", 0.3),),
    "BEA-CLEANSER": (("BEA-TONER", 0.35),),
    "BEA-TONER": (("BEA-CREAM", 0.3),),
    "SPO-RACKET": (("SPO-SHUTTLE", 0.6),),
    "BAG-LUG": (("BAG-ORG", 0.35),),
    "APP-JEANS": (("APP-TSHIRT", 0.25),),
}
# Share of orders that are an errand for an AFFINITIES anchor (running gear, a new
# phone, coffee, baby or cat supplies), and how much likelier each anchor is.
P_MISSION = 0.2
MISSION_WEIGHTS = {
    "SHO-RUN": 3.0,
    "ELE-PHONE": 3.0,
    "FOO-COFFEE": 3.0,
    "BAB-DIAPER": 3.0,
    "PET-CATFOOD": 3.0,
}
# Bestsellers sell about three times as often as their price alone suggests.
BESTSELLERS = frozenset(
    {
        "SHO-RUN",
        "ELE-PHONE",
        "ELE-EARBUD",
        "ELE-CASE",
        "FOO-COFFEE",
        "BAB-DIAPER",
        "PET-CATFOOD",
        "SPO-YOGA",
        "SHO-SNEAK",
        "APP-TSHIRT",
        "BEA-CLEANSER",
        "KIT-CUP",
    }
)
# sku -> (multiplier by month, multiplier in the other months)
SEASONAL: dict[str, tuple[dict[int, float], float]] = {
    "APP-DOWN": ({10: 2, 11: 4, 12: 4, 1: 3, 2: 1.5}, 0.2),
    "APP-SCARF": ({11: 3, 12: 3, 1: 3}, 0.4),
    "APP-TSHIRT": ({5: 2, 6: 2.5, 7: 2.5, 8: 2}, 0.8),
    "APP-DRESS": ({5: 1.8, 6: 2, 7: 2}, 0.8),
    "SHO-SANDAL": ({6: 3, 7: 3, 8: 2.5}, 0.3),
    "BEA-SUN": ({5: 2.5, 6: 3, 7: 3, 8: 2.5}, 0.5),
    "FOO-MOON": ({8: 4, 9: 8}, 0.1),
    "FOO-TEA": ({3: 3, 4: 4, 5: 2}, 0.8),
    "HOM-FAN": ({6: 3, 7: 3, 8: 2}, 0.2),
    "HOM-DUVET": ({10: 2, 11: 3, 12: 3, 1: 2}, 0.5),
    "SPO-SWIM": ({6: 2.5, 7: 3, 8: 2.5}, 0.4),
    "SPO-TENT": ({4: 2, 5: 2.5, 10: 2}, 0.7),
}
CATEGORY_WEIGHTS = {
    "apparel": 16,
    "shoes": 9,
    "bags": 6,
    "electronics": 14,
    "home": 9,
    "kitchen": 8,
    "beauty": 12,
    "food": 10,
    "baby": 5,
    "sports": 7,
    "books": 4,
    "pets": 5,
}
CONSUMABLES = frozenset(
    {
        "APP-SOCKS",
        "SPO-SOCKS",
        "BEA-MASK",
        "BAB-DIAPER",
        "BAB-WIPES",
        "BAB-MILK",
        "BAB-CEREAL",
        "PET-CATFOOD",
        "PET-LITTER",
        "PET-CAN",
        "PET-DOGFOOD",
    }
)
REGION_WEIGHTS = {
    "east": 35,
    "south": 18,
    "north": 14,
    "central": 12,
    "southwest": 10,
    "northeast": 6,
    "northwest": 5,
}
COURIERS = ("sf", "jd", "zto", "ems")
COURIER_WEIGHTS = (30, 25, 35, 10)
# Spring Festival: couriers pause for about a week either side.
SPRING_FESTIVAL = {
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}
HOUR_WEIGHTS = (
    0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.3, 1.5, 1.6,
    1.7, 1.5, 1.4, 1.4, 1.4, 1.5, 1.6, 1.9, 2.3, 2.6, 2.4, 1.5,
)  # fmt: skip

# Probabilities of what happens to an order.
P_NEVER_PAID = 0.025
P_FAILED_FIRST = 0.015
P_DOUBLE_CHARGE = 0.0004
P_CANCEL_AFTER_PAY = 0.018
P_RETURN = 0.02
P_EXCHANGE = 0.01
P_PARTIAL_REFUND = 0.012
P_INVOICE = 0.06
P_ALT_ADDRESS = 0.08

CENT = Decimal("0.01")


_REGION_HUBS = {
    "east": ("上海", "Shanghai"),
    "north": ("北京", "Beijing"),
    "south": ("广州", "Guangzhou"),
    "central": ("武汉", "Wuhan"),
    "southwest": ("成都", "Chengdu"),
    "northwest": ("西安", "Xi'an"),
    "northeast": ("沈阳", "Shenyang"),
}
_LETTER_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
_LETTER_SIZE_WEIGHTS = (5, 18, 32, 27, 13, 5)


@dataclass
class DemoShop:
    """Rows per table as dicts of column values.

    Keys starting with "_" are references resolved to ids when written:
    `_category` (code), `_customer` (code), `_order` (number), `_sku`, `_shipment`
    (tracking number).
    """

    today: dt.date
    categories: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self._tables()}

    def _tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [
            ("categories", self.categories),
            ("products", self.products),
            ("customers", self.customers),
            ("orders", self.orders),
            ("order_items", self.items),
            ("payments", self.payments),
            ("shipments", self.shipments),
            ("tracking_events", self.events),
            ("refunds", self.refunds),
            ("return_requests", self.returns),
            ("invoice_requests", self.invoices),
        ]


@dataclass
class _Profile:
    """What stays the same across one customer's orders."""

    code: str
    name: str
    phone: str
    language: str
    region: Region
    city: City
    district: tuple[str, str]
    address: str
    segment: str  # vip | regular | occasional | one_time
    churned: bool
    favourites: tuple[str, ...]  # category codes
    letter_size: str
    shoe_size: int


def build_demo(
    catalogue: Catalogue,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    policy: ShopPolicy | None = None,
    progress: bool = False,
) -> DemoShop:
    """Generate the demo shop in memory; see the module docstring for what it contains.

    Delivery times, shipping fees, couriers and payment methods follow `policy`
    (default: the configured shop policy).
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS}; got {customers}")
    if orders < 0:
        raise ValueError(f"orders must be >= 0; got {orders}")
    missing = [sku for sku in SHOWCASE_SKUS if sku not in {p.sku for p in catalogue.products}]
    if missing:
        raise ValueError(
            f"the catalogue lacks the showcase products {', '.join(missing)} that the demo needs"
        )
    policy = policy or shop_policy()
    _check_policy(policy)
    builder = _Builder(catalogue, policy, random.Random(seed), today or utcnow().date())
    builder.catalogue_rows()
    builder.generate(customers, orders, progress)
    add_showcase(builder.shop, builder.prices, builder.shipping_fee, builder.now)
    return builder.shop


def _check_policy(policy: ShopPolicy) -> None:
    delivery = policy.delivery
    problems = [f"region {r.code!r}" for r in REGIONS if r.code not in delivery.regions] + [
        f"courier {c!r}" for c in COURIERS if c not in delivery.couriers
    ]
    problems += [
        f"payment method {m!r}" for m in words.PAYMENT_PREFIX if m not in policy.payments.methods
    ]
    if problems:
        raise ValueError(f"the shop policy lacks {', '.join(problems)} that the demo shop uses")


def write_demo(conn: Connection, shop: DemoShop, progress: bool = False) -> dict[str, int]:
    """Insert the shop's rows on `conn` (inside the caller's transaction); returns row counts."""
    counts = shop.counts()
    with tqdm(
        total=sum(counts.values()), desc="writing", unit=" rows", disable=not progress
    ) as bar:

        def write(model: Any, rows: list[dict[str, Any]], **refs: dict[str, int]) -> list[int]:
            table: Table = model.__table__
            resolved = [_resolve(row, refs) for row in rows]
            return insert_rows(conn, table, resolved, returning_ids=model in _PARENTS, progress=bar)

        ids = write(Category, shop.categories)
        categories = dict(zip((c["code"] for c in shop.categories), ids, strict=True))
        ids = write(Product, shop.products, _category=categories)
        products = dict(zip((p["sku"] for p in shop.products), ids, strict=True))
        ids = write(Customer, shop.customers)
        customers = dict(zip((c["code"] for c in shop.customers), ids, strict=True))
        ids = write(Order, shop.orders, _customer=customers)
        orders = dict(zip((o["number"] for o in shop.orders), ids, strict=True))
        write(OrderItem, shop.items, _order=orders, _sku=products)
        write(Payment, shop.payments, _order=orders)
        ids = write(Shipment, shop.shipments, _order=orders)
        shipments = dict(zip((s["tracking_number"] for s in shop.shipments), ids, strict=True))
        write(TrackingEvent, shop.events, _shipment=shipments)
        write(Refund, shop.refunds, _order=orders)
        write(ReturnRequest, shop.returns, _order=orders, _sku=products)
        write(InvoiceRequest, shop.invoices, _order=orders)
    return counts


_PARENTS = (Category, Product, Customer, Order, Shipment)
_REF_COLUMNS = {
    "_category": "category_id",
    "_customer": "customer_id",
    "_order": "order_id",
    "_sku": "product_id",
    "_shipment": "shipment_id",
}


def _resolve(row: dict[str, Any], refs: dict[str, dict[str, int]]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    for key, mapping in refs.items():
        value = row[key]
        out[_REF_COLUMNS[key]] = None if value is None else mapping[value]
    return out


def existing_shop_rows(conn: Connection) -> dict[str, int]:
    """Rows already in the tables the demo fills first (non-zero means "not empty")."""
    return {
        model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Order, Customer, Product, Category)
    }


def clear_crm_data(conn: Connection) -> None:
    """Delete every row of every CRM table, children first."""
    for table in reversed(load_all_models().sorted_tables):
        conn.execute(table.delete())


def load_demo(
    url: str | None = None,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    replace: bool = False,
    catalogue_path: str | Path | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Fill the (migrated) database at `url` with the demo shop, in one transaction.

    Refuses a database that already has shop data unless `replace`, which first
    deletes ALL CRM data (shop, tickets, conversations, analytics results).
    """
    catalogue = load_catalogue(catalogue_path)
    with session_scope(url) as session:
        conn = session.connection()
        existing = {k: v for k, v in existing_shop_rows(conn).items() if v}
        if existing and not replace:
            found = ", ".join(f"{n} {table}" for table, n in existing.items())
            raise ValueError(
                f"the database already has shop data ({found}); the demo never mixes with it. "
                "Use `crm demo --replace` to delete ALL CRM data and load the demo shop"
            )
        shop = build_demo(
            catalogue,
            customers=customers,
            orders=orders,
            seed=seed,
            today=today,
            progress=progress,
        )
        if existing:
            clear_crm_data(conn)
        return write_demo(conn, shop, progress)


class _Builder:
    """Holds the random source, counters and output while one shop is generated."""

    def __init__(
        self, catalogue: Catalogue, policy: ShopPolicy, rng: random.Random, today: dt.date
    ) -> None:
        self.catalogue = catalogue
        self.delivery = policy.delivery
        self.rng = rng
        self.shop = DemoShop(today=today)
        self.now = dt.datetime.combine(today, dt.time())
        self.start = today - dt.timedelta(days=HISTORY_DAYS)
        self.products = {p.sku: p for p in catalogue.products}
        self.prices = {p.sku: p.price for p in catalogue.products}
        self.colour_zh = {c.code: (c.zh[0] if c.zh else c.code) for c in catalogue.colors}
        self.day_cum = list(itertools.accumulate(self._day_weight(d) for d in range(HISTORY_DAYS)))
        self.seq = itertools.count(1)  # payment refs, tracking numbers, RMA codes
        self._missions: dict[tuple[str, ...], tuple[list[str], list[float]]] = {}
        self._pick_tables: dict[tuple[str, int, bool], tuple[list[str], list[float]]] = {}
        self.popularity = {
            p.sku: rng.lognormvariate(0, 0.5) * (3.0 if p.sku in BESTSELLERS else 1.0)
            for p in catalogue.products
        }
        self.categories = [c.code for c in catalogue.categories]
        self.category_weights = [CATEGORY_WEIGHTS.get(c, 5) for c in self.categories]

    # -- catalogue -------------------------------------------------------------------

    def catalogue_rows(self) -> None:
        for c in self.catalogue.categories:
            self.shop.categories.append(
                {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en}
            )
        for p in self.catalogue.products:
            self.shop.products.append(
                {
                    "sku": p.sku,
                    "_category": p.category,
                    "name_zh": p.name_zh,
                    "name_en": p.name_en,
                    "price": p.price,
                    "active": True,
                }
            )

    # -- calendar --------------------------------------------------------------------

    def _day_weight(self, index: int) -> float:
        day = self.start + dt.timedelta(days=index)
        weight = 0.75 + 0.5 * index / HISTORY_DAYS  # the shop grows
        if day.weekday() >= 5:
            weight *= 1.1
        m, d = day.month, day.day
        if m == 6 and d <= 17:
            weight *= 1.6
        elif m == 6 and d == 18:
            weight *= 5.0
        elif (m == 10 and d >= 24) or (m == 11 and d <= 10):
            weight *= 1.5
        elif m == 11 and d == 11:
            weight *= 8.0
        elif m == 11 and d in (12, 13):
            weight *= 1.6
        elif m == 12 and d == 12:
            weight *= 2.5
        festival = SPRING_FESTIVAL.get(day.year)
        if festival is not None and abs((day - festival).days) <= 7:
            weight *= 0.45
        return weight

    @staticmethod
    def _is_sale(day: dt.date) -> bool:
        m, d = day.month, day.day
        return (
            (m == 6 and d <= 18)
            or (m == 10 and d >= 24)
            or (m == 11 and d <= 11)
            or (m, d) == (12, 12)
        )

    @staticmethod
    def _is_peak(day: dt.date) -> bool:
        # Warehouses and couriers run late right after the big sales.
        m, d = day.month, day.day
        return (m == 6 and 16 <= d <= 20) or (m == 11 and 9 <= d <= 14)

    def _sample_days(self, first: int, last: int, k: int) -> list[int]:
        lo = self.day_cum[first - 1] if first > 0 else 0.0
        hi = self.day_cum[last]
        days = [
            min(
                max(bisect.bisect_left(self.day_cum, lo + self.rng.random() * (hi - lo)), first),
                last,
            )
            for _ in range(k)
        ]
        return sorted(days)

    def _placed_at(self, day: dt.date) -> dt.datetime:
        rng = self.rng
        if (day.month, day.day) in ((6, 18), (11, 11)) and rng.random() < 0.35:
            hour = 0  # the midnight rush when the sale opens
        else:
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        return dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))

    # -- customers -------------------------------------------------------------------

    def _profiles(self, n: int) -> list[_Profile]:
        rng = self.rng
        phones: set[str] = {"13800138000", "+447700900123"}
        regions = list(REGIONS)
        region_weights = [REGION_WEIGHTS.get(r.code, 5) for r in regions]
        profiles = []
        for i in range(n):
            language = "en" if rng.random() < 0.06 else "zh"
            name = self._name(language)
            phone = self._phone(language, phones)
            region = rng.choices(regions, region_weights)[0]
            city = rng.choices(
                region.cities, [1 / (k + 1) ** 0.7 for k in range(len(region.cities))]
            )[0]
            district, address = self._address(city, language)
            r = rng.random()
            segment = (
                "vip"
                if r < 0.015
                else "regular"
                if r < 0.235
                else "occasional"
                if r < 0.635
                else "one_time"
            )
            favourites = tuple(rng.choices(self.categories, self.category_weights, k=2))
            shoe = round(rng.gauss(40, 2.3))
            profiles.append(
                _Profile(
                    code=f"C{i + 1:06d}",
                    name=name,
                    phone=phone,
                    language=language,
                    region=region,
                    city=city,
                    district=district,
                    address=address,
                    segment=segment,
                    churned=segment != "one_time" and rng.random() < 0.12,
                    favourites=favourites,
                    letter_size=rng.choices(_LETTER_SIZES, _LETTER_SIZE_WEIGHTS)[0],
                    shoe_size=min(max(shoe, 36), 45),
                )
            )
        return profiles

    def _name(self, language: str) -> str:
        rng = self.rng
        while True:
            if language == "en":
                name = f"{rng.choice(words.EN_FIRST)} {rng.choice(words.EN_LAST)}"
            else:
                given = (
                    rng.choice(words.GIVEN_ONE)
                    if rng.random() < 0.3
                    else rng.choice(words.GIVEN_TWO)
                )
                name = (
                    rng.choice(words.SURNAMES[:20] if rng.random() < 0.6 else words.SURNAMES)
                    + given
                )
            if name not in ("张伟", "Emma Wilson"):  # keep the showcase customers unmistakable
                return name

    def _phone(self, language: str, used: set[str]) -> str:
        rng = self.rng
        while True:
            if language == "en" and rng.random() < 0.4:
                # Numbers reserved for fiction: UK 07700 900xxx, US 555-01xx, AU 0491 570xxx.
                phone = rng.choice(
                    (
                        f"+447700900{rng.randrange(1000):03d}",
                        f"+1{rng.randint(201, 989)}55501{rng.randrange(100):02d}",
                        f"+61491570{rng.randrange(1000):03d}",
                    )
                )
            else:
                phone = rng.choice(words.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in used:
                used.add(phone)
                return phone

    def _address(self, city: City, language: str) -> tuple[tuple[str, str], str]:
        rng = self.rng
        district = rng.choice(city.districts)
        street_zh, street_en = rng.choice(words.STREETS)
        number, building = rng.randint(1, 999), rng.randint(1, 30)
        room = rng.randint(1, 32) * 100 + rng.randint(1, 6)
        if language == "en":
            return district, (
                f"Room {room}, Building {building}, {number} {street_en}, {district[1]}, {city.name_en}"
            )
        return district, f"{city.name_zh}市{district[0]}{street_zh}{number}号{building}栋{room}室"

    def _order_counts(
        self, profiles: list[_Profile], windows: list[tuple[int, int]], total: int
    ) -> list[int]:
        """Heavy-tailed: one-time buyers get 1, VIPs take a large share of the rest.

        Beyond the minimum, orders follow a buying rate times the active time, so
        late joiners do not crowd the recent months.
        """
        rng = self.rng
        minimum = {"one_time": 1, "occasional": 2, "regular": 3, "vip": 6}
        counts = [0] * len(profiles)
        budget = total
        for i in rng.sample(range(len(profiles)), len(profiles)):
            counts[i] = min(minimum[profiles[i].segment], budget)
            budget -= counts[i]
        if budget > 0:
            base = {"one_time": 0.0, "occasional": 0.15, "regular": 1.0, "vip": 3.5}
            weights = [
                base[p.segment] * rng.lognormvariate(0, 0.5) * (last - first + 1)
                for p, (first, last) in zip(profiles, windows, strict=True)
            ]
            if sum(weights) == 0:  # tiny shops of one-time buyers only
                weights = [1.0] * len(profiles)
            for i in rng.choices(range(len(profiles)), weights, k=budget):
                counts[i] += 1
        return counts

    def _active_days(self, profile: _Profile) -> tuple[int, int]:
        rng, last = self.rng, HISTORY_DAYS - 1
        if profile.churned:
            # Stopped buying more than a year ago.
            end = last - 365 - rng.randint(0, 180)
            return rng.randint(0, max(0, end - 90)), end
        if profile.segment == "one_time":
            return 0, last
        # Many repeat buyers were customers before the history starts; the rest joined since.
        if rng.random() < 0.55:
            return 0, last
        if profile.segment == "occasional":
            return min(int(HISTORY_DAYS * rng.random() ** 1.5), last - 30), last
        return int((HISTORY_DAYS - 120) * rng.random() ** 1.5), last

    # -- orders ----------------------------------------------------------------------

    def generate(self, n_customers: int, n_orders: int, progress: bool) -> None:
        rng = self.rng
        profiles = self._profiles(n_customers)
        windows = [self._active_days(p) for p in profiles]
        counts = self._order_counts(profiles, windows, n_orders)
        pending: list[tuple[dt.datetime, str, int, _Profile]] = []
        first_order: dict[str, dt.datetime] = {}
        for profile, (first, last), count in zip(profiles, windows, counts, strict=True):
            if count == 0:
                continue
            for day in self._sample_days(first, last, count):
                placed = self._placed_at(self.start + dt.timedelta(days=day))
                pending.append((placed, profile.code, len(pending), profile))
                first_order[profile.code] = min(first_order.get(profile.code, placed), placed)
        pending.sort(key=lambda p: (p[0], p[1], p[2]))
        with tqdm(total=len(pending), desc="orders", unit=" orders", disable=not progress) as bar:
            for number, (placed, _, _, profile) in enumerate(pending, start=10_000_001):
                self._order(f"SO{number}", profile, placed)
                bar.update()
        for profile in profiles:
            first = first_order.get(profile.code)
            if first is None:  # registered, never bought
                created = self.now - dt.timedelta(minutes=rng.randint(60, HISTORY_DAYS * 24 * 60))
            else:
                created = first - dt.timedelta(minutes=rng.randint(5, 90 * 24 * 60))
            self.shop.customers.append(self._customer_row(profile, created))

    def _customer_row(self, profile: _Profile, created: dt.datetime) -> dict[str, Any]:
        rng = self.rng
        email = None
        if rng.random() < 0.75:
            if profile.language == "en":
                first, last = profile.name.lower().split(" ", 1)
                local = f"{first}.{last}{rng.randint(1, 99)}"
            else:
                local = str(rng.randint(10**7, 10**10))  # QQ-number style
            email = f"{local}@{rng.choice(('example.com', 'example.net', 'example.org'))}"
        return {
            "code": profile.code,
            "name": profile.name,
            "phone": profile.phone,
            "email": email,
            "language": profile.language,
            "city": profile.city.name_zh,
            "region": profile.region.code,
            "created_at": created,
        }

    def _pick_product(self, category: str, month: int, vip: bool) -> ProductEntry:
        key = (category, month, vip)
        table = self._pick_tables.get(key)
        if table is None:
            skus, weights = [], []
            for p in self.catalogue.products:
                if p.category != category:
                    continue
                months, other = SEASONAL.get(p.sku, ({}, 1.0))
                price = float(p.price) or 1.0
                # Cheap things sell more; VIPs lean to the expensive end.
                price_factor = price**0.4 if vip else price**-0.35
                skus.append(p.sku)
                weights.append(self.popularity[p.sku] * months.get(month, other) * price_factor)
            table = self._pick_tables[key] = (skus, list(itertools.accumulate(weights)))
        skus, cum = table
        return self.products[self.rng.choices(skus, cum_weights=cum)[0]]

    def _basket(self, profile: _Profile, day: dt.date) -> list[ProductEntry]:
        rng = self.rng
        vip = profile.segment == "vip"
        if rng.random() < P_MISSION:
            basket = [self.products[self._mission(profile)]]
        else:
            category = (
                rng.choice(profile.favourites)
                if rng.random() < 0.65
                else rng.choices(self.categories, self.category_weights)[0]
            )
            basket = [self._pick_product(category, day.month, vip)]
        for product in basket:  # grows while iterating: companions bring their own
            for sku, probability in AFFINITIES.get(product.sku, ()):
                if (
                    sku in self.products
                    and rng.random() < probability
                    and all(p.sku != sku for p in basket)
                ):
                    basket.append(self.products[sku])
        extra = 0.35 if vip else 0.18
        while len(basket) < 6 and rng.random() < extra:
            other = self._pick_product(
                rng.choices(self.categories, self.category_weights)[0], day.month, vip
            )
            if all(p.sku != other.sku for p in basket):
                basket.append(other)
        return basket

    def _mission(self, profile: _Profile) -> str:
        """The sku an errand starts from: an AFFINITIES anchor, likelier in a favourite category."""
        table = self._missions.get(profile.favourites)
        if table is None:
            skus = [sku for sku in AFFINITIES if sku in self.products]
            weights = [
                MISSION_WEIGHTS.get(sku, 1.0)
                * (4.0 if self.products[sku].category in profile.favourites else 1.0)
                for sku in skus
            ]
            table = self._missions[profile.favourites] = (skus, list(itertools.accumulate(weights)))
        skus, cum = table
        return self.rng.choices(skus, cum_weights=cum)[0]

    def _variant(self, product: ProductEntry, profile: _Profile) -> tuple[str | None, str | None]:
        rng = self.rng
        color = None
        if product.colors:
            color = rng.choices(product.colors, [1 / (k + 1) for k in range(len(product.colors))])[
                0
            ]
        size = None
        if product.sizes:
            if all(s.isdigit() for s in product.sizes):
                wanted = profile.shoe_size
                size = min(product.sizes, key=lambda s: (abs(int(s) - wanted), s))
            elif profile.letter_size in product.sizes:
                size = profile.letter_size
            else:
                size = rng.choice(product.sizes)
        return color, size

    def _order(self, number: str, profile: _Profile, placed: dt.datetime) -> None:
        rng = self.rng
        lines = []
        sale = self._is_sale(placed.date())
        for product in self._basket(profile, placed.date()):
            if product.sku in CONSUMABLES:
                quantity = rng.choices((1, 2, 3), (60, 28, 12))[0]
                if profile.segment == "vip":
                    quantity += rng.randint(0, 2)
            else:
                quantity = 1 if rng.random() < 0.93 else 2
            price = product.price
            if sale:
                price = (price * Decimal("0.85")).quantize(CENT, ROUND_HALF_UP)
            color, size = self._variant(product, profile)
            lines.append((product, quantity, price, color, size))
        items_total = sum((price * q for _, q, price, _, _ in lines), Decimal("0.00"))
        address = profile.address
        district = profile.district
        if rng.random() < P_ALT_ADDRESS:  # sent to the office, a friend, a parent
            district, address = self._address(profile.city, profile.language)
        order = {
            "number": number,
            "_customer": profile.code,
            "status": "pending_payment",
            "placed_at": placed,
            "paid_at": None,
            "shipped_at": None,
            "delivered_at": None,
            "cancelled_at": None,
            "phone": profile.phone,
            "shipping_name": profile.name,
            "shipping_address": address,
            "region": profile.region.code,
            "items_total": items_total,
            "shipping_fee": self.shipping_fee(items_total),
            "currency": "CNY",
        }
        order["total"] = order["items_total"] + order["shipping_fee"]
        self.shop.orders.append(order)
        for product, quantity, price, color, size in lines:
            self.shop.items.append(
                {
                    "_order": number,
                    "_sku": product.sku,
                    "quantity": quantity,
                    "unit_price": price,
                    "color": color,
                    "size": size,
                }
            )
        self._lifecycle(order, profile, district, [line[0] for line in lines])

    def shipping_fee(self, items_total: Decimal) -> Decimal:
        if items_total >= self.delivery.free_shipping_threshold:
            return Decimal("0.00")
        return self.delivery.standard_fee

    def _method(self, language: str) -> str:
        if language == "en":
            return self.rng.choices(("card", "paypal", "alipay", "wechat_pay"), (50, 20, 20, 10))[0]
        return self.rng.choices(("alipay", "wechat_pay", "card"), (55, 40, 5))[0]

    def _payment(
        self, order: dict[str, Any], method: str, status: str, at: dt.datetime
    ) -> dict[str, Any]:
        row = {
            "_order": order["number"],
            "amount": order["total"],
            "method": method,
            "status": status,
            "transaction_ref": f"{words.PAYMENT_PREFIX[method]}{next(self.seq):012d}",
            "created_at": at,
        }
        self.shop.payments.append(row)
        return row

    def _lifecycle(
        self,
        order: dict[str, Any],
        profile: _Profile,
        district: tuple[str, str],
        products: list[ProductEntry],
    ) -> None:
        """Timestamps, status, payments, shipment and after-sales of one order, as of `now`."""
        rng, now = self.rng, self.now
        placed = order["placed_at"]
        method = self._method(profile.language)
        minutes = dt.timedelta(minutes=1)
        if rng.random() < P_NEVER_PAID:
            attempt = placed + minutes * rng.randint(1, 10)
            if now - placed < dt.timedelta(hours=24):
                if rng.random() < 0.6 and attempt < now:
                    self._payment(order, method, "pending", attempt)
            else:  # unpaid orders close automatically
                order["status"] = "cancelled"
                order["cancelled_at"] = placed + minutes * rng.randint(30, 23 * 60)
                if rng.random() < 0.4:
                    self._payment(order, method, "failed", attempt)
            return
        paid_at = placed + dt.timedelta(seconds=rng.randint(30, 1200))
        if paid_at >= now:
            self._payment(order, method, "pending", placed + (paid_at - placed) / 2)
            return
        if rng.random() < P_FAILED_FIRST:
            self._payment(
                order, self._method(profile.language), "failed", placed + (paid_at - placed) / 2
            )
        payments = [self._payment(order, method, "paid", paid_at)]
        order["status"], order["paid_at"] = "paid", paid_at
        double = rng.random() < P_DOUBLE_CHARGE
        if double and paid_at + dt.timedelta(seconds=90) < now:
            payments.append(
                self._payment(
                    order, method, "paid", paid_at + dt.timedelta(seconds=rng.randint(15, 90))
                )
            )
        if not double and rng.random() < P_CANCEL_AFTER_PAY:
            cancelled_at = paid_at + minutes * rng.randint(10, 8 * 60)
            if cancelled_at < now:
                self._cancel_after_payment(order, profile, payments, cancelled_at)
                return
        peak = self._is_peak(placed.date())
        processing_at = paid_at + minutes * rng.randint(30, 6 * 60)
        shipped_at = paid_at + minutes * rng.randint(6 * 60, 40 * 60)
        if peak:
            shipped_at += dt.timedelta(days=rng.randint(1, 2))
        region = profile.region.code
        courier = rng.choices(
            COURIERS, (20, 20, 30, 30) if region == "northwest" else COURIER_WEIGHTS
        )[0]
        days = self.delivery.regions[region].days[courier]
        transit = rng.randint(max(days.min, 1), max(days.max, 1)) + (
            rng.randint(0, 2) if peak else 0
        )
        delivered_at = dt.datetime.combine(
            (shipped_at + dt.timedelta(days=transit)).date(), dt.time(9)
        ) + minutes * rng.randint(0, 11 * 60)
        if processing_at >= now:
            return
        order["status"] = "processing"
        if shipped_at >= now:
            return
        order["status"], order["shipped_at"] = "shipped", shipped_at
        delivered = delivered_at < now
        if delivered:
            order["status"], order["delivered_at"] = "delivered", delivered_at
        self._shipment(
            order, profile, district, courier, delivered_at, days.max + (2 if peak else 0)
        )
        if rng.random() < P_INVOICE:
            self._invoice(order, profile)
        if delivered:
            self._after_sales(order, profile, products, payments)

    def _cancel_after_payment(
        self,
        order: dict[str, Any],
        profile: _Profile,
        payments: list[dict[str, Any]],
        cancelled_at: dt.datetime,
    ) -> None:
        rng = self.rng
        order["status"], order["cancelled_at"] = "cancelled", cancelled_at
        decided = cancelled_at + dt.timedelta(minutes=rng.randint(1, 30))
        completed = decided + dt.timedelta(hours=rng.randint(1, 48))
        done = completed < self.now
        if done:
            for payment in payments:
                payment["status"] = "refunded"
        self.shop.refunds.append(
            {
                "_order": order["number"],
                "amount": order["total"],
                "reason": rng.choice(words.CANCEL_REASONS[profile.language]),
                "status": "completed" if done else "approved",
                "auto_approved": True,
                "conversation_id": None,
                "requested_at": cancelled_at,
                "decided_at": decided if decided < self.now else None,
                "completed_at": completed if done else None,
            }
        )

    def _shipment(
        self,
        order: dict[str, Any],
        profile: _Profile,
        district: tuple[str, str],
        courier: str,
        delivered_at: dt.datetime,
        slowest_days: int,
    ) -> None:
        rng, now = self.rng, self.now
        region = profile.region.code
        tracking = _tracking_number(courier, next(self.seq))
        shipped_at = order["shipped_at"]
        city = profile.city
        origin_zh, origin_en, warehouse_zh, warehouse_en = WAREHOUSE
        stops = [("picked_up", warehouse_zh, warehouse_en)]
        if city.name_zh == origin_zh:
            if rng.random() < 0.5:
                stops.append(("in_transit", f"{origin_zh}转运中心", f"{origin_en} sorting centre"))
        else:
            stops.append(("in_transit", f"{origin_zh}转运中心", f"{origin_en} sorting centre"))
            hub_zh, hub_en = _REGION_HUBS[region]
            if hub_zh not in (origin_zh, city.name_zh) and rng.random() < 0.7:
                stops.append(("in_transit", f"{hub_zh}转运中心", f"{hub_en} sorting centre"))
            stops.append(
                ("arrived_at_hub", f"{city.name_zh}转运中心", f"{city.name_en} sorting centre")
            )
        stops.append(
            (
                "out_for_delivery",
                f"{city.name_zh}{district[0]}营业部",
                f"{district[1]} delivery station, {city.name_en}",
            )
        )
        stops.append(
            ("delivered", f"{city.name_zh}市{district[0]}", f"{district[1]}, {city.name_en}")
        )
        out_for_delivery = delivered_at - dt.timedelta(minutes=rng.randint(60, 180))
        middle = len(stops) - 3  # stops between pick-up and out-for-delivery
        span = (out_for_delivery - shipped_at) / (middle + 1)
        times = [shipped_at]
        for k in range(1, middle + 1):
            times.append(shipped_at + span * k + span * rng.uniform(-0.3, 0.3))
        times += [out_for_delivery, delivered_at]
        self.shop.shipments.append(
            {
                "_order": order["number"],
                "courier": courier,
                "tracking_number": tracking,
                "shipped_at": shipped_at,
                "estimated_delivery": (shipped_at + dt.timedelta(days=slowest_days)).date(),
                "delivered_at": delivered_at if delivered_at < now else None,
            }
        )
        for (code, where_zh, where_en), at in zip(stops, times, strict=True):
            if at < now:
                self.shop.events.append(
                    {
                        "_shipment": tracking,
                        "occurred_at": at.replace(microsecond=0),
                        "code": code,
                        "location_zh": where_zh,
                        "location_en": where_en,
                    }
                )

    def _invoice(self, order: dict[str, Any], profile: _Profile) -> None:
        rng = self.rng
        created = order["paid_at"] + dt.timedelta(minutes=rng.randint(5, 10 * 24 * 60))
        if created >= self.now:
            return
        if rng.random() < 0.55:
            companies = words.COMPANIES_EN if profile.language == "en" else words.COMPANIES_ZH
            title = rng.choice(companies)
            alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # unified social credit code characters
            tax_id: str | None = "91" + "".join(rng.choice(alphabet) for _ in range(16))
        else:
            title, tax_id = profile.name, None  # a personal invoice
        self.shop.invoices.append(
            {
                "_order": order["number"],
                "title": title,
                "tax_id": tax_id,
                "status": "issued" if created < self.now - dt.timedelta(days=3) else "requested",
                "conversation_id": None,
                "created_at": created,
            }
        )

    def _after_sales(
        self,
        order: dict[str, Any],
        profile: _Profile,
        products: list[ProductEntry],
        payments: list[dict[str, Any]],
    ) -> None:
        r = self.rng.random()
        if r < P_RETURN:
            self._return(order, profile, products, payments)
        elif r < P_RETURN + P_EXCHANGE:
            self._exchange(order, profile, products)
        elif r < P_RETURN + P_EXCHANGE + P_PARTIAL_REFUND:
            self._partial_refund(order, profile)

    def _rma(self) -> str:
        return f"RMA{next(self.seq):09d}"

    def _return(
        self,
        order: dict[str, Any],
        profile: _Profile,
        products: list[ProductEntry],
        payments: list[dict[str, Any]],
    ) -> None:
        """A whole-order return, as far as it has got by `now`."""
        rng, now = self.rng, self.now
        requested = order["delivered_at"] + dt.timedelta(minutes=rng.randint(12 * 60, 6 * 24 * 60))
        if requested >= now:
            return
        reason, no_reason = rng.choice(words.RETURN_REASONS[profile.language])
        approved = requested + dt.timedelta(minutes=rng.randint(60, 24 * 60))
        received = approved + dt.timedelta(days=rng.randint(2, 5))
        refunded = received + dt.timedelta(hours=rng.randint(4, 48))
        rejected = rng.random() < 0.1
        if rejected:
            status = "rejected" if approved < now else "requested"
        elif refunded < now:
            status = "completed"
        elif received < now:
            status = "received"
        elif approved < now:
            status = "approved"
        else:
            status = "requested"
        self.shop.returns.append(
            {
                "rma_code": self._rma(),
                "_order": order["number"],
                "kind": "return",
                "_sku": products[0].sku if len(products) == 1 else None,
                "reason": reason,
                "exchange_for": None,
                "no_reason": no_reason,
                "status": status,
                "conversation_id": None,
                "created_at": requested,
            }
        )
        if status not in ("received", "completed"):
            return
        # No-reason returns refund the goods; the original shipping fee stays paid.
        amount = order["items_total"] if no_reason else order["total"]
        done = status == "completed"
        self.shop.refunds.append(
            {
                "_order": order["number"],
                "amount": amount,
                "reason": reason,
                "status": "completed" if done else "requested",
                "auto_approved": False,
                "conversation_id": None,
                "requested_at": received,
                "decided_at": received if done else None,
                "completed_at": refunded if done else None,
            }
        )
        if done:
            order["status"] = "returned"
            for payment in payments:
                payment["status"] = "refunded"

    def _exchange(
        self, order: dict[str, Any], profile: _Profile, products: list[ProductEntry]
    ) -> None:
        rng, now = self.rng, self.now
        swappable = [p for p in products if len(p.sizes) > 1 or len(p.colors) > 1]
        if not swappable:
            return
        product = rng.choice(swappable)
        created = order["delivered_at"] + dt.timedelta(minutes=rng.randint(6 * 60, 7 * 24 * 60))
        if created >= now:
            return
        zh = profile.language == "zh"
        if len(product.sizes) > 1:
            size = rng.choice(product.sizes)
            exchange_for = f"换成{size}码" if zh else f"size {size} instead"
            reason = "尺码不合适" if zh else "Doesn't fit"
        else:
            color = rng.choice(product.colors)
            exchange_for = f"换成{self.colour_zh[color]}" if zh else f"{color} instead"
            reason = "颜色不喜欢" if zh else "Prefer another colour"
        age = now - created
        status = (
            "completed"
            if age > dt.timedelta(days=10)
            else "approved"
            if age > dt.timedelta(days=1)
            else "requested"
        )
        self.shop.returns.append(
            {
                "rma_code": self._rma(),
                "_order": order["number"],
                "kind": "exchange",
                "_sku": product.sku,
                "reason": reason,
                "exchange_for": exchange_for,
                "no_reason": False,
                "status": status,
                "conversation_id": None,
                "created_at": created,
            }
        )

    def _partial_refund(self, order: dict[str, Any], profile: _Profile) -> None:
        rng, now = self.rng, self.now
        requested = order["delivered_at"] + dt.timedelta(minutes=rng.randint(60, 10 * 24 * 60))
        if requested >= now:
            return
        share = Decimal(rng.choice(("0.10", "0.15", "0.20", "0.30")))
        decided = requested + dt.timedelta(hours=rng.randint(2, 48))
        completed = decided + dt.timedelta(hours=rng.randint(1, 24))
        if decided >= now:
            status = "requested"
        elif rng.random() < 0.1:
            status = "rejected"
        else:
            status = "completed" if completed < now else "approved"
        self.shop.refunds.append(
            {
                "_order": order["number"],
                "amount": (order["total"] * share).quantize(CENT, ROUND_HALF_UP),
                "reason": rng.choice(words.PARTIAL_REASONS[profile.language]),
                "status": status,
                "auto_approved": False,
                "conversation_id": None,
                "requested_at": requested,
                "decided_at": decided if status != "requested" else None,
                "completed_at": completed if status == "completed" else None,
            }
        )


def _tracking_number(courier: str, n: int) -> str:
    # Generated numbers start with 1 (or 7 for zto), the showcase's with 9.
    if courier == "sf":
        return f"SF{1_000_000_000_000 + n}"
    if courier == "jd":
        return f"JDV{100_000_000_000 + n}"
    if courier == "zto":
        return f"{73_000_000_000_000 + n}"
    return f"{1_100_000_000_000 + n}"  # ems
