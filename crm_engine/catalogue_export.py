"""Rebuild the catalogue file from the database, so the bot matches what the shop sells.

The database holds categories, products and prices but not the phrases customers
use (aliases), nor which colours and sizes a product comes in, nor the colour and
size vocabularies. Those are kept from a base catalogue file (usually the file
being replaced). A product the base does not know gets no aliases (the bot still
matches its names) and the colours and sizes it has been ordered in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from crm_engine.catalogue_file import Catalogue, CategoryEntry, ProductEntry
from crm_engine.models import Category, OrderItem, Product


@dataclass(frozen=True)
class ExportReport:
    catalogue: Catalogue
    products_with_base: int  # products whose aliases, colours and sizes came from the base
    products_new: int  # products the base did not know
    dropped: tuple[str, ...]  # skus in the base but not active in the database


def catalogue_from_db(conn: Connection, base: Catalogue | None = None) -> ExportReport:
    """The active products and their categories, merged with `base` as described above."""
    empty = Catalogue((), (), (), ())
    base = base or empty
    base_categories = {c.code: c for c in base.categories}
    base_products = {p.sku: p for p in base.products}
    color_codes = [c.code for c in base.colors]
    size_codes = [s.code for s in base.sizes]

    categories = []
    for row in conn.execute(select(Category).order_by(Category.id)):
        known = base_categories.get(row.code)
        categories.append(
            CategoryEntry(
                code=row.code,
                name_zh=row.name_zh,
                name_en=row.name_en,
                aliases_zh=known.aliases_zh if known else (),
                aliases_en=known.aliases_en if known else (),
            )
        )
    rows = conn.execute(
        select(Product, Category.code.label("category_code"))
        .join(Category, Product.category_id == Category.id)
        .where(Product.active.is_(True))
        .order_by(Product.id)
    ).all()
    ordered = _ordered_variants(conn)
    products = []
    new = 0
    for row in rows:
        known = base_products.get(row.sku)
        if known is None:
            new += 1
            colors, sizes = ordered.get(row.id, (set(), set()))
        products.append(
            ProductEntry(
                sku=row.sku,
                category=row.category_code,
                name_zh=row.name_zh,
                name_en=row.name_en,
                price=row.price,
                aliases_zh=known.aliases_zh if known else (),
                aliases_en=known.aliases_en if known else (),
                colors=known.colors if known else tuple(c for c in color_codes if c in colors),
                sizes=known.sizes if known else tuple(s for s in size_codes if s in sizes),
            )
        )
    exported = {p.sku for p in products}
    return ExportReport(
        catalogue=Catalogue(tuple(categories), tuple(products), base.colors, base.sizes),
        products_with_base=len(products) - new,
        products_new=new,
        dropped=tuple(p.sku for p in base.products if p.sku not in exported),
    )


def _ordered_variants(conn: Connection) -> dict[int, tuple[set[str], set[str]]]:
    """product id -> (colour codes, size codes) seen on its order lines."""
    variants: dict[int, tuple[set[str], set[str]]] = {}
    query = select(OrderItem.product_id, OrderItem.color, OrderItem.size).distinct()
    for product_id, color, size in conn.execute(query):
        colors, sizes = variants.setdefault(product_id, (set(), set()))
        if color:
            colors.add(color)
        if size:
            sizes.add(size)
    return variants
