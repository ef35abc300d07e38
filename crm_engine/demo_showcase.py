"""The demo shop's SHOWCASE: customers and orders that are the same whatever the seed or size.

README walkthroughs and end-to-end tests rely on them:
- 张伟, C900001, phone 13800138000, zh, region east:
  SO20000001 processing (cancellable); SO20000002 delivered 3 days before `today`
  (APP-TSHIRT: refundable, no-reason returnable); SO20000003 shipped 1 day ago
  with sf, in transit; SO20000021 pending_payment; SO20000022 paid and charged twice.
- Emma Wilson, C900002, phone +447700900123, en, region east:
  SO20000011 processing; SO20000012 delivered 3 days ago (SHO-RUN);
  SO20000013 shipped with jd, in transit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crm_engine.demo_places import WAREHOUSE
from crm_engine.demo_words import PAYMENT_PREFIX

if TYPE_CHECKING:
    from crm_engine.demo import DemoShop

SHOWCASE_CUSTOMER_ZH = "C900001"
SHOWCASE_CUSTOMER_EN = "C900002"
SHOWCASE_ORDERS = (
    "SO20000001",
    "SO20000002",
    "SO20000003",
    "SO20000011",
    "SO20000012",
    "SO20000013",
    "SO20000021",
    "SO20000022",
)
SHOWCASE_SKUS = (
    "APP-TSHIRT",
    "SHO-RUN",
    "ELE-EARBUD",
    "ELE-CASE",
    "BAG-BACK",
    "KIT-CUP",
    "ELE-PBANK",
    "ELE-CABLE",
    "ELE-WATCH",
    "FOO-COFFEE",
    "KIT-GRINDER",
)
SHOWCASE_SUMMARY = """\
张伟 (C900001, phone 13800138000, zh): SO20000001 processing, SO20000002 delivered,
  SO20000003 shipped (sf), SO20000021 pending payment, SO20000022 paid twice
Emma Wilson (C900002, phone +447700900123, en): SO20000011 processing,
  SO20000012 delivered, SO20000013 shipped (jd)"""


def add_showcase(
    shop: DemoShop,
    prices: Mapping[str, Decimal],
    shipping_fee: Callable[[Decimal], Decimal],
    now: dt.datetime,
) -> None:
    """Add the fixed customers and orders of the module docstring, relative to `now`."""
    day, hour = dt.timedelta(days=1), dt.timedelta(hours=1)
    zhang = {
        "code": SHOWCASE_CUSTOMER_ZH,
        "name": "张伟",
        "phone": "13800138000",
        "email": "zhangwei@example.com",
        "language": "zh",
        "city": "上海",
        "region": "east",
        "created_at": now - 400 * day,
    }
    emma = {
        "code": SHOWCASE_CUSTOMER_EN,
        "name": "Emma Wilson",
        "phone": "+447700900123",
        "email": "emma.wilson@example.com",
        "language": "en",
        "city": "上海",
        "region": "east",
        "created_at": now - 200 * day,
    }
    shop.customers += [zhang, emma]
    zhang_address = "上海市浦东新区世纪大道100号8栋1203室"
    emma_address = "Room 1502, Building 3, 88 Century Avenue, Pudong New Area, Shanghai"
    zh_stops = (
        ("picked_up", WAREHOUSE[2], WAREHOUSE[3]),
        ("in_transit", "上海转运中心", "Shanghai sorting centre"),
        ("arrived_at_hub", "上海浦东分拨中心", "Pudong distribution centre, Shanghai"),
        (
            "out_for_delivery",
            "上海浦东新区营业部",
            "Pudong New Area delivery station, Shanghai",
        ),
        ("delivered", "上海市浦东新区", "Pudong New Area, Shanghai"),
    )

    def order(
        number: str,
        customer: dict[str, Any],
        address: str,
        status: str,
        placed: dt.datetime,
        lines: list[tuple[str, int, str | None, str | None]],
        method: str,
        shipped: dt.datetime | None = None,
        delivered: dt.datetime | None = None,
        courier: str | None = None,
        tracking: str | None = None,
        charges: int = 1,
    ) -> None:
        items_total = sum((prices[sku] * q for sku, q, _, _ in lines), Decimal("0.00"))
        paid = None if status == "pending_payment" else placed + dt.timedelta(minutes=3)
        row = {
            "number": number,
            "_customer": customer["code"],
            "status": status,
            "placed_at": placed,
            "paid_at": paid,
            "shipped_at": shipped,
            "delivered_at": delivered,
            "cancelled_at": None,
            "phone": customer["phone"],
            "shipping_name": customer["name"],
            "shipping_address": address,
            "region": "east",
            "items_total": items_total,
            "shipping_fee": shipping_fee(items_total),
            "currency": "CNY",
        }
        row["total"] = row["items_total"] + row["shipping_fee"]
        shop.orders.append(row)
        for sku, quantity, color, size in lines:
            shop.items.append(
                {
                    "_order": number,
                    "_sku": sku,
                    "quantity": quantity,
                    "unit_price": prices[sku],
                    "color": color,
                    "size": size,
                }
            )
        prefix = PAYMENT_PREFIX[method]
        if paid is None:
            shop.payments.append(
                {
                    "_order": number,
                    "amount": row["total"],
                    "method": method,
                    "status": "pending",
                    "transaction_ref": f"{prefix}9{number[2:]}0",
                    "created_at": placed + dt.timedelta(minutes=1),
                }
            )
        for charge in range(charges if paid else 0):
            shop.payments.append(
                {
                    "_order": number,
                    "amount": row["total"],
                    "method": method,
                    "status": "paid",
                    "transaction_ref": f"{prefix}9{number[2:]}{charge + 1}",
                    "created_at": paid + dt.timedelta(seconds=40 * charge),
                }
            )
        if shipped is None:
            return
        shop.shipments.append(
            {
                "_order": number,
                "courier": courier,
                "tracking_number": tracking,
                "shipped_at": shipped,
                "estimated_delivery": (shipped + 2 * day).date(),
                "delivered_at": delivered,
            }
        )
        end = delivered or shipped + 2 * day
        times = [shipped, shipped + 6 * hour, shipped + 14 * hour, end - 3 * hour, end]
        for (code, where_zh, where_en), at in zip(zh_stops, times, strict=True):
            if at < now and (delivered is not None or code != "delivered"):
                shop.events.append(
                    {
                        "_shipment": tracking,
                        "occurred_at": at,
                        "code": code,
                        "location_zh": where_zh,
                        "location_en": where_en,
                    }
                )

    yesterday = now - day
    order("SO20000001", zhang, zhang_address, "processing", yesterday + 20 * hour + dt.timedelta(minutes=15),
          [("ELE-EARBUD", 1, "black", None), ("ELE-CASE", 1, "pink", None)], "alipay")  # fmt: skip
    order("SO20000002", zhang, zhang_address, "delivered", now - 6 * day + 10 * hour,
          [("APP-TSHIRT", 2, "white", "M")], "alipay",
          shipped=now - 5 * day + 9 * hour, delivered=now - 3 * day + 14 * hour + 30 * dt.timedelta(minutes=1),
          courier="sf", tracking="SF9000000000002")  # fmt: skip
    order("SO20000003", zhang, zhang_address, "shipped", now - 3 * day + 21 * hour,
          [("BAG-BACK", 1, "navy", None)], "wechat_pay",
          shipped=yesterday + 9 * hour, courier="sf", tracking="SF9000000000003")  # fmt: skip
    order("SO20000021", zhang, zhang_address, "pending_payment", now - 2 * hour,
          [("KIT-CUP", 1, "pink", None)], "wechat_pay")  # fmt: skip
    order("SO20000022", zhang, zhang_address, "paid", now - 5 * hour,
          [("ELE-PBANK", 1, "white", None), ("ELE-CABLE", 1, "white", None)], "alipay",
          charges=2)  # fmt: skip
    order("SO20000011", emma, emma_address, "processing", yesterday + 18 * hour + dt.timedelta(minutes=40),
          [("ELE-WATCH", 1, "black", None)], "card")  # fmt: skip
    order("SO20000012", emma, emma_address, "delivered", now - 6 * day + 11 * hour,
          [("SHO-RUN", 1, "white", "38")], "card",
          shipped=now - 5 * day + 10 * hour, delivered=now - 3 * day + 15 * hour,
          courier="sf", tracking="SF9000000000012")  # fmt: skip
    order("SO20000013", emma, emma_address, "shipped", now - 3 * day + 19 * hour,
          [("FOO-COFFEE", 2, None, None), ("KIT-GRINDER", 1, "black", None)], "paypal",
          shipped=yesterday + 11 * hour, courier="jd", tracking="JDV900000000013")  # fmt: skip
