"""The shop's rules from data/shop_policy.yml, as frozen dataclasses.

Loading is strict inside the sections this module owns (an unknown or missing
key, a status or category code that does not exist, an amount that is not a
decimal all raise ValueError naming the key and the value) and tolerant of
top-level sections it does not know, which other modules read (e.g. `tiers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from crm_engine.config import settings
from crm_engine.models import ORDER_STATUSES

# Product category codes of the catalogue (data/shop/catalogue.yml uses them).
CATEGORY_CODES = (
    "apparel",
    "shoes",
    "bags",
    "electronics",
    "home",
    "kitchen",
    "beauty",
    "food",
    "baby",
    "sports",
    "books",
    "pets",
)
SUPPORTED_CURRENCIES = ("CNY",)
# Codes the analytics write (crm_engine.tiers.TIERS, crm_engine.segmentation.SEGMENTS,
# crm_engine.profiles.RISK_NAMES), repeated here so loading the policy does not
# import pandas and scikit-learn; tests/crm/test_personalisation.py keeps them equal.
VALUE_TIERS = ("vip", "high", "medium", "low")  # best first
SEGMENT_CODES = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
CHURN_RISKS = ("high", "medium", "low")
# Ticket priorities go normal -> high -> urgent; more steps than that mean nothing.
MAX_PRIORITY_STEPS = 3
MAX_COMPLEMENTARY_ITEMS = 10
_OFFER_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,29}$")

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class _Named:
    name_zh: str
    name_en: str

    def name(self, language: str) -> str:
        """The display name in `language` ('zh' or 'en'; anything else gets English)."""
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class DayRange:
    min: int
    max: int


@dataclass(frozen=True)
class OrderRules:
    cancellable_statuses: frozenset[str]
    address_changeable_statuses: frozenset[str]
    unpaid_cancel_hours: int
    dispatch_within_hours: int


@dataclass(frozen=True)
class VerificationRules:
    max_attempts: int
    lockout_minutes: int


@dataclass(frozen=True)
class RefundRules:
    cancel_and_refund_statuses: frozenset[str]
    refund_without_return_categories: frozenset[str]
    refund_without_return_days: int
    auto_approve_limit: Decimal
    review_within_hours: int
    processing_days: Mapping[str, DayRange]  # by payment method code


@dataclass(frozen=True)
class Warehouse(_Named):
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    phone: str

    def address(self, language: str) -> str:
        return self.address_zh if language == "zh" else self.address_en


@dataclass(frozen=True)
class ReturnRules:
    return_window_days: int
    no_reason_days: int
    no_reason_categories: frozenset[str]
    excluded_categories: frozenset[str]
    exchange_window_days: int
    exchange_categories: frozenset[str]
    review_within_hours: int
    ship_back_within_days: int
    warehouse: Warehouse


@dataclass(frozen=True)
class InvoiceRules:
    eligible_statuses: frozenset[str]
    issue_within_days: int


@dataclass(frozen=True)
class PaymentMethod(_Named):
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class PaymentRules:
    methods: Mapping[str, PaymentMethod]
    pending_confirmation_minutes: int


@dataclass(frozen=True)
class Courier(_Named):
    code: str
    name_zh: str
    name_en: str
    tracking_url: str  # contains {tracking_number}

    def url_for(self, tracking_number: str) -> str:
        return self.tracking_url.replace("{tracking_number}", tracking_number)


@dataclass(frozen=True)
class Place:
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Region(_Named):
    code: str
    name_zh: str
    name_en: str
    days: Mapping[str, DayRange]  # by courier code
    provinces: tuple[Place, ...]
    cities: tuple[Place, ...]


@dataclass(frozen=True)
class TimeSlot(_Named):
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Country(_Named):
    code: str  # ISO 3166 alpha-2
    name_zh: str
    name_en: str
    courier: str
    fee: Decimal
    days: DayRange
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class InternationalRules:
    excluded_categories: frozenset[str]
    countries: Mapping[str, Country]


@dataclass(frozen=True)
class Label(_Named):
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class DeliveryRules:
    warehouse_region: str
    free_shipping_threshold: Decimal
    standard_fee: Decimal
    default_courier: str
    couriers: Mapping[str, Courier]
    regions: Mapping[str, Region]
    time_slot_couriers: tuple[str, ...]
    time_slots: tuple[TimeSlot, ...]
    international: InternationalRules
    tracking_events: Mapping[str, Label]


@dataclass(frozen=True)
class TierRules:
    """What one value tier changes: its refund approval limit and ticket priority."""

    auto_approve_limit: Decimal
    priority_steps: int  # handoff/complaint/review tickets raised this many levels


@dataclass(frozen=True)
class RetentionOffer:
    """A win-back offer for customers likely to leave (segment or churn risk listed)."""

    segments: frozenset[str]
    churn_risks: frozenset[str]
    code: str
    offer_zh: str  # contains {code}
    offer_en: str

    def text(self, language: str) -> str:
        """The offer in `language` with the code filled in."""
        template = self.offer_zh if language == "zh" else self.offer_en
        return template.replace("{code}", self.code)


@dataclass(frozen=True)
class OnboardingRules:
    """Who counts as new: a listed segment, or at most `max_orders` purchases so far."""

    segments: frozenset[str]
    max_orders: int


def _no_tiers() -> Mapping[str, TierRules]:
    return MappingProxyType({})


@dataclass(frozen=True)
class PersonalisationRules:
    """The `personalisation` section; the defaults (section left out) treat everyone alike."""

    tiers: Mapping[str, TierRules] = field(default_factory=_no_tiers)
    retention: RetentionOffer | None = None
    onboarding: OnboardingRules | None = None
    complementary_items: int = 0

    def priority_steps(self, tier: str | None) -> int:
        rules = self.tiers.get(tier) if tier else None
        return rules.priority_steps if rules else 0


@dataclass(frozen=True)
class ShopPolicy:
    currency: str
    timezone: ZoneInfo
    orders: OrderRules
    verification: VerificationRules
    refunds: RefundRules
    returns: ReturnRules
    invoices: InvoiceRules
    payments: PaymentRules
    delivery: DeliveryRules
    personalisation: PersonalisationRules = field(default_factory=PersonalisationRules)

    def auto_approve_limit(self, tier: str | None = None) -> Decimal:
        """The refund amount approved without a person for a customer of value `tier`
        (None: unknown); tiers without their own limit get refunds.auto_approve_limit."""
        rules = self.personalisation.tiers.get(tier) if tier else None
        return rules.auto_approve_limit if rules else self.refunds.auto_approve_limit


class _Section:
    """Reads one mapping of the policy, remembering which keys were used.

    `close()` rejects keys nobody read, so a misspelt rule fails loudly instead
    of silently falling back to nothing.
    """

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"shop policy: {path} must be a mapping, got {data!r}")
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str, default: Any = ...) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is ...:
                raise ValueError(f"shop policy: {self.key(name)} is missing")
            return default
        return self.data[name]

    def section(self, name: str) -> _Section:
        return _Section(self.raw(name), self.key(name))

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"shop policy: {self.key(name)} must be non-empty text, got {value!r}")
        return value.strip()

    def count(self, name: str, minimum: int = 0) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(
                f"shop policy: {self.key(name)} must be a whole number >= {minimum}, got {value!r}"
            )
        return value

    def amount(self, name: str) -> Decimal:
        return _amount(self.raw(name), self.key(name))

    def codes(self, name: str, allowed: Iterable[str], what: str) -> frozenset[str]:
        return frozenset(_code_list(self.raw(name), self.key(name), tuple(allowed), what))

    def close(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ValueError(
                f"shop policy: unknown key {self.key(unknown[0])!s}; "
                f"allowed keys in {self.path or 'the top level'}: {', '.join(sorted(self.used))}"
            )


def _amount(value: Any, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(
            f"shop policy: {key} must be an amount written as text like '99.00', got {value!r}"
        )
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(
            f"shop policy: {key} must be an amount like '99.00', got {value!r}"
        ) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(
            f"shop policy: {key} must be a non-negative amount with at most 2 decimals, got {value!r}"
        )
    return amount.quantize(Decimal("0.01"))


def _code_list(value: Any, key: str, allowed: tuple[str, ...], what: str) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"shop policy: {key} must be a list of {what}, got {value!r}")
    for item in value:
        if item not in allowed:
            raise ValueError(
                f"shop policy: {key} contains {item!r}, which is not a {what}; "
                f"allowed: {', '.join(allowed)}"
            )
    if len(set(value)) != len(value):
        raise ValueError(f"shop policy: {key} lists a {what} twice: {value!r}")
    return list(value)


def _day_range(value: Any, key: str) -> DayRange:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] <= value[1]
    ):
        raise ValueError(
            f"shop policy: {key} must be [min, max] whole days with 0 <= min <= max, got {value!r}"
        )
    return DayRange(value[0], value[1])


def _code_map(section: _Section, name: str, what: str) -> _Section:
    sub = section.section(name)
    if not sub.data:
        raise ValueError(f"shop policy: {sub.path} must list at least one {what}")
    for code in sub.data:
        if not isinstance(code, str) or not _CODE.match(code):
            raise ValueError(
                f"shop policy: {sub.path} has {what} code {code!r}; "
                "codes are lowercase letters, digits and _"
            )
    return sub


def _frozen(mapping: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _aliases(sub: _Section) -> tuple[str, ...]:
    value = sub.raw("aliases", [])
    if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
        raise ValueError(
            f"shop policy: {sub.key('aliases')} must be a list of names, got {value!r}"
        )
    return tuple(a.strip() for a in value)


def _orders(top: _Section) -> OrderRules:
    s = top.section("orders")
    rules = OrderRules(
        cancellable_statuses=s.codes("cancellable_statuses", ORDER_STATUSES, "order status"),
        address_changeable_statuses=s.codes(
            "address_changeable_statuses", ORDER_STATUSES, "order status"
        ),
        unpaid_cancel_hours=s.count("unpaid_cancel_hours", 1),
        dispatch_within_hours=s.count("dispatch_within_hours", 1),
    )
    s.close()
    return rules


def _verification(top: _Section) -> VerificationRules:
    s = top.section("verification")
    rules = VerificationRules(
        max_attempts=s.count("max_attempts", 1), lockout_minutes=s.count("lockout_minutes", 1)
    )
    s.close()
    return rules


def _refunds(top: _Section) -> RefundRules:
    s = top.section("refunds")
    days_section = _code_map(s, "processing_days", "payment method")
    processing = {
        code: _day_range(days_section.raw(code), days_section.key(code))
        for code in days_section.data
    }
    rules = RefundRules(
        cancel_and_refund_statuses=s.codes(
            "cancel_and_refund_statuses", ORDER_STATUSES, "order status"
        ),
        refund_without_return_categories=s.codes(
            "refund_without_return_categories", CATEGORY_CODES, "category code"
        ),
        refund_without_return_days=s.count("refund_without_return_days"),
        auto_approve_limit=s.amount("auto_approve_limit"),
        review_within_hours=s.count("review_within_hours", 1),
        processing_days=_frozen(processing),
    )
    s.close()
    return rules


def _returns(top: _Section) -> ReturnRules:
    s = top.section("returns")
    w = s.section("warehouse")
    warehouse = Warehouse(
        name_zh=w.text("name_zh"),
        name_en=w.text("name_en"),
        address_zh=w.text("address_zh"),
        address_en=w.text("address_en"),
        phone=w.text("phone"),
    )
    w.close()
    rules = ReturnRules(
        return_window_days=s.count("return_window_days", 1),
        no_reason_days=s.count("no_reason_days"),
        no_reason_categories=s.codes("no_reason_categories", CATEGORY_CODES, "category code"),
        excluded_categories=s.codes("excluded_categories", CATEGORY_CODES, "category code"),
        exchange_window_days=s.count("exchange_window_days"),
        exchange_categories=s.codes("exchange_categories", CATEGORY_CODES, "category code"),
        review_within_hours=s.count("review_within_hours", 1),
        ship_back_within_days=s.count("ship_back_within_days", 1),
        warehouse=warehouse,
    )
    s.close()
    if rules.no_reason_days > rules.return_window_days:
        raise ValueError(
            f"shop policy: returns.no_reason_days ({rules.no_reason_days}) must not exceed "
            f"returns.return_window_days ({rules.return_window_days})"
        )
    both = sorted(rules.no_reason_categories & rules.excluded_categories)
    if both:
        raise ValueError(
            f"shop policy: returns.no_reason_categories and returns.excluded_categories "
            f"both list {both[0]!r}"
        )
    return rules


def _invoices(top: _Section) -> InvoiceRules:
    s = top.section("invoices")
    rules = InvoiceRules(
        eligible_statuses=s.codes("eligible_statuses", ORDER_STATUSES, "order status"),
        issue_within_days=s.count("issue_within_days", 1),
    )
    s.close()
    return rules


def _payments(top: _Section) -> PaymentRules:
    s = top.section("payments")
    m = _code_map(s, "methods", "payment method")
    methods = {}
    for code in m.data:
        item = m.section(code)
        methods[code] = PaymentMethod(code, item.text("name_zh"), item.text("name_en"))
        item.close()
    rules = PaymentRules(
        methods=_frozen(methods),
        pending_confirmation_minutes=s.count("pending_confirmation_minutes", 1),
    )
    s.close()
    return rules


def _place(value: Any, key: str) -> Place:
    p = _Section(value, key)
    place = Place(zh=p.text("zh"), en=p.text("en"), aliases=_aliases(p))
    p.close()
    return place


def _places(sub: _Section, name: str) -> tuple[Place, ...]:
    value = sub.raw(name)
    if not isinstance(value, list) or not value:
        raise ValueError(f"shop policy: {sub.key(name)} must be a non-empty list, got {value!r}")
    return tuple(_place(v, f"{sub.key(name)}[{i}]") for i, v in enumerate(value))


def _delivery(top: _Section) -> DeliveryRules:
    s = top.section("delivery")

    c = _code_map(s, "couriers", "courier")
    couriers = {}
    for code in c.data:
        item = c.section(code)
        url = item.text("tracking_url")
        if "{tracking_number}" not in url:
            raise ValueError(
                f"shop policy: {item.key('tracking_url')} must contain {{tracking_number}}, "
                f"got {url!r}"
            )
        couriers[code] = Courier(code, item.text("name_zh"), item.text("name_en"), url)
        item.close()
    courier_codes = tuple(couriers)

    r = _code_map(s, "regions", "region")
    regions = {}
    for code in r.data:
        item = r.section(code)
        d = item.section("days")
        missing = [cc for cc in courier_codes if cc not in d.data]
        if missing:
            raise ValueError(f"shop policy: {d.path} has no days for courier {missing[0]!r}")
        days = {cc: _day_range(d.raw(cc), d.key(cc)) for cc in courier_codes}
        d.close()
        regions[code] = Region(
            code=code,
            name_zh=item.text("name_zh"),
            name_en=item.text("name_en"),
            days=_frozen(days),
            provinces=_places(item, "provinces"),
            cities=_places(item, "cities"),
        )
        item.close()

    slots_value = s.raw("time_slots")
    if not isinstance(slots_value, list) or not slots_value:
        raise ValueError(
            f"shop policy: delivery.time_slots must be a non-empty list, got {slots_value!r}"
        )
    slots = []
    for i, value in enumerate(slots_value):
        item = _Section(value, f"delivery.time_slots[{i}]")
        slots.append(TimeSlot(item.text("code"), item.text("name_zh"), item.text("name_en")))
        item.close()

    i_section = s.section("international")
    countries_section = i_section.section("countries")
    countries = {}
    for code in countries_section.data:
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(
                f"shop policy: delivery.international.countries has {code!r}; "
                "use ISO 3166 two-letter codes such as 'HK'"
            )
        item = countries_section.section(code)
        courier = item.text("courier")
        if courier not in couriers:
            raise ValueError(
                f"shop policy: {item.key('courier')} is {courier!r}, not one of the couriers "
                f"({', '.join(courier_codes)})"
            )
        countries[code] = Country(
            code=code,
            name_zh=item.text("name_zh"),
            name_en=item.text("name_en"),
            courier=courier,
            fee=item.amount("fee"),
            days=_day_range(item.raw("days"), item.key("days")),
            aliases=_aliases(item),
        )
        item.close()
    countries_section.close()
    international = InternationalRules(
        excluded_categories=i_section.codes("excluded_categories", CATEGORY_CODES, "category code"),
        countries=_frozen(countries),
    )
    i_section.close()

    t = _code_map(s, "tracking_events", "tracking event")
    labels = {}
    for code in t.data:
        item = t.section(code)
        labels[code] = Label(item.text("name_zh"), item.text("name_en"))
        item.close()

    rules = DeliveryRules(
        warehouse_region=s.text("warehouse_region"),
        free_shipping_threshold=s.amount("free_shipping_threshold"),
        standard_fee=s.amount("standard_fee"),
        default_courier=s.text("default_courier"),
        couriers=_frozen(couriers),
        regions=_frozen(regions),
        time_slot_couriers=tuple(
            _code_list(
                s.raw("time_slot_couriers"), "delivery.time_slot_couriers", courier_codes, "courier"
            )
        ),
        time_slots=tuple(slots),
        international=international,
        tracking_events=_frozen(labels),
    )
    s.close()
    if rules.default_courier not in couriers:
        raise ValueError(
            f"shop policy: delivery.default_courier is {rules.default_courier!r}, not one of "
            f"the couriers ({', '.join(courier_codes)})"
        )
    if rules.warehouse_region not in regions:
        raise ValueError(
            f"shop policy: delivery.warehouse_region is {rules.warehouse_region!r}, not one of "
            f"the regions ({', '.join(regions)})"
        )
    return rules


def _personalisation_tiers(p: _Section, refunds: RefundRules) -> Mapping[str, TierRules]:
    t = p.section("tiers")
    tiers = {}
    for code in t.data:
        if code not in VALUE_TIERS:
            raise ValueError(
                f"shop policy: {t.path} has tier {code!r}; allowed: {', '.join(VALUE_TIERS)}"
            )
        item = t.section(code)
        steps = item.count("priority_steps")
        if steps > MAX_PRIORITY_STEPS:
            raise ValueError(
                f"shop policy: {item.key('priority_steps')} must be at most "
                f"{MAX_PRIORITY_STEPS} (normal to urgent), got {steps!r}"
            )
        tiers[code] = TierRules(item.amount("auto_approve_limit"), steps)
        item.close()
    t.close()
    # A better tier never gets less than a worse one: an inverted pair is a typo,
    # and would make a VIP wait for a review a low-value customer skips.
    effective = [
        (code, tiers[code] if code in tiers else TierRules(refunds.auto_approve_limit, 0))
        for code in VALUE_TIERS
    ]
    for (better, b), (worse, w) in zip(effective, effective[1:], strict=False):
        for what in ("auto_approve_limit", "priority_steps"):
            if getattr(w, what) > getattr(b, what):
                raise ValueError(
                    f"shop policy: {what} of tier {worse!r} ({getattr(w, what)}) is above that "
                    f"of the better tier {better!r} ({getattr(b, what)}); tiers not listed in "
                    f"{t.path} use auto_approve_limit {refunds.auto_approve_limit} and "
                    "priority_steps 0"
                )
    return _frozen(tiers)


def _offer_text(s: _Section, name: str) -> str:
    text = s.text(name)
    if "{code}" not in text:
        raise ValueError(
            f"shop policy: {s.key(name)} must contain {{code}} (where the offer code goes), "
            f"got {text!r}"
        )
    return text


def _retention(p: _Section) -> RetentionOffer | None:
    if p.raw("retention") is None:
        return None
    s = p.section("retention")
    code = s.text("code")
    if not _OFFER_CODE.match(code):
        raise ValueError(
            f"shop policy: {s.key('code')} must be 3-30 capital letters, digits, - or _ "
            f"(customers type it at checkout), got {code!r}"
        )
    offer = RetentionOffer(
        segments=s.codes("segments", SEGMENT_CODES, "segment code"),
        churn_risks=s.codes("churn_risks", CHURN_RISKS, "churn risk level"),
        code=code,
        offer_zh=_offer_text(s, "offer_zh"),
        offer_en=_offer_text(s, "offer_en"),
    )
    s.close()
    if not offer.segments and not offer.churn_risks:
        raise ValueError(
            f"shop policy: {s.path} lists neither segments nor churn_risks, so nobody would "
            "get the offer; write `retention: null` to turn it off"
        )
    return offer


def _onboarding(p: _Section) -> OnboardingRules | None:
    if p.raw("onboarding") is None:
        return None
    s = p.section("onboarding")
    rules = OnboardingRules(
        segments=s.codes("segments", SEGMENT_CODES, "segment code"),
        max_orders=s.count("max_orders"),
    )
    s.close()
    return rules


def _personalisation(top: _Section, refunds: RefundRules) -> PersonalisationRules:
    # Optional: a shop that does not run `crm analyze` treats every customer alike.
    if top.raw("personalisation", None) is None:
        return PersonalisationRules()
    p = top.section("personalisation")
    complementary = p.count("complementary_items")
    if complementary > MAX_COMPLEMENTARY_ITEMS:
        raise ValueError(
            f"shop policy: personalisation.complementary_items must be at most "
            f"{MAX_COMPLEMENTARY_ITEMS}, got {complementary!r}"
        )
    rules = PersonalisationRules(
        tiers=_personalisation_tiers(p, refunds),
        retention=_retention(p),
        onboarding=_onboarding(p),
        complementary_items=complementary,
    )
    p.close()
    return rules


def parse_policy(data: Any) -> ShopPolicy:
    """Check and convert the parsed YAML of a policy file."""
    top = _Section(data, "")
    currency = top.raw("currency")
    if currency not in SUPPORTED_CURRENCIES:
        raise ValueError(
            f"shop policy: currency must be one of {', '.join(SUPPORTED_CURRENCIES)}, got {currency!r}"
        )
    zone = top.raw("timezone")
    try:
        timezone = ZoneInfo(zone) if isinstance(zone, str) and zone else None
    except (ZoneInfoNotFoundError, ValueError):
        timezone = None
    if timezone is None:
        raise ValueError(
            f"shop policy: timezone must be an IANA time zone such as 'Asia/Shanghai', got {zone!r}"
        )
    refunds = _refunds(top)
    policy = ShopPolicy(
        currency=currency,
        timezone=timezone,
        orders=_orders(top),
        verification=_verification(top),
        refunds=refunds,
        returns=_returns(top),
        invoices=_invoices(top),
        payments=_payments(top),
        delivery=_delivery(top),
        personalisation=_personalisation(top, refunds),
    )
    # Other top-level sections belong to other modules: deliberately not closed.
    methods = set(policy.payments.methods)
    refund_methods = set(policy.refunds.processing_days)
    if methods != refund_methods:
        odd = sorted(methods ^ refund_methods)[0]
        raise ValueError(
            f"shop policy: refunds.processing_days and payments.methods must list the same "
            f"payment methods; {odd!r} is only in one of them"
        )
    return policy


def load_policy(path: Path | str | None = None) -> ShopPolicy:
    """Read and check a policy file (default: CRM_POLICY_FILE, else data/shop_policy.yml)."""
    path = Path(path) if path is not None else settings().policy_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"shop policy file not found: {path}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"shop policy: {path} is not valid YAML: {exc}") from None
    return parse_policy(data)


@lru_cache(maxsize=4)
def _cached(path: Path) -> ShopPolicy:
    return load_policy(path)


def shop_policy() -> ShopPolicy:
    """The configured policy, loaded once per process and file."""
    return _cached(settings().policy_path)
