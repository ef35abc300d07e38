"""The shop catalogue file (data/shop/catalogue.yml): load, validate and write it.

The bot's catalogue matcher (bot/catalogue.py) reads the same file for the
phrases customers use, so the format is shared: `categories`, `products`,
`colors` and `sizes`, each a list of mappings. This module adds the checks the
CRM needs (known codes, money, one owner per phrase) and stays free of database
imports and of Python 3.11-only syntax so .venv-rasa can use it too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from crm_engine.config import settings

# The column lengths of crm_engine.models, checked here so a catalogue that
# validates also loads into the database.
_MAX_CODE = 40
_MAX_VARIANT_CODE = 20
_MAX_NAME = 200

_KEYS = {
    "categories": ("code", "name_zh", "name_en", "aliases_zh", "aliases_en"),
    "products": (
        "sku",
        "category",
        "name_zh",
        "name_en",
        "aliases_zh",
        "aliases_en",
        "price",
        "colors",
        "sizes",
    ),
    "colors": ("code", "zh", "en"),
    "sizes": ("code", "zh", "en"),
}


@dataclass(frozen=True)
class CategoryEntry:
    code: str
    name_zh: str
    name_en: str
    aliases_zh: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductEntry:
    sku: str
    category: str  # a CategoryEntry code
    name_zh: str
    name_en: str
    price: Decimal  # CNY, two decimals
    aliases_zh: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()  # colour codes the product comes in
    sizes: tuple[str, ...] = ()  # size codes the product comes in


@dataclass(frozen=True)
class VariantEntry:
    """A colour or a size: its code and the words customers use for it."""

    code: str
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    categories: tuple[CategoryEntry, ...]
    products: tuple[ProductEntry, ...]
    colors: tuple[VariantEntry, ...]
    sizes: tuple[VariantEntry, ...]

    def product(self, sku: str) -> ProductEntry:
        for entry in self.products:
            if entry.sku == sku:
                return entry
        raise KeyError(f"no product with sku {sku!r} in the catalogue")


def default_path() -> Path:
    """The configured catalogue file (CRM_CATALOGUE_FILE, else data/shop/catalogue.yml)."""
    return settings().catalogue_path


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate a catalogue file (default: the configured one).

    Raises FileNotFoundError, or ValueError listing every problem with the entry
    it concerns.
    """
    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"catalogue file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    return parse_catalogue(data, source=str(path))


def parse_catalogue(data: Any, source: str = "catalogue") -> Catalogue:
    """Validate the parsed YAML of a catalogue; see load_catalogue."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ValueError(
            f"{source}: expected a mapping with keys {', '.join(_KEYS)}, got {type(data).__name__}"
        )
    for key in data:
        if key not in _KEYS:
            errors.append(f"unknown top-level key {key!r} (allowed: {', '.join(_KEYS)})")
    sections: dict[str, list[dict[str, Any]]] = {}
    for section, allowed in _KEYS.items():
        sections[section] = _entries(data.get(section), section, allowed, errors)

    colors = _variants(sections["colors"], "colour", errors)
    sizes = _variants(sections["sizes"], "size", errors)
    categories = _categories(sections["categories"], errors)
    products = _products(
        sections["products"],
        {c.code for c in categories},
        {c.code for c in colors},
        {s.code for s in sizes},
        errors,
    )
    _check_phrases(
        [
            (f"category {c.code!r}", _phrases(c.name_zh, c.name_en, c.aliases_zh, c.aliases_en))
            for c in categories
        ]
        + [
            (f"product {p.sku!r}", _phrases(p.name_zh, p.name_en, p.aliases_zh, p.aliases_en))
            for p in products
        ],
        errors,
    )
    _check_phrases([(f"colour {c.code!r}", (*c.zh, *c.en)) for c in colors], errors)
    _check_phrases([(f"size {s.code!r}", (*s.zh, *s.en)) for s in sizes], errors)
    if errors:
        raise ValueError(f"{source}: invalid catalogue:\n  - " + "\n  - ".join(errors))
    return Catalogue(tuple(categories), tuple(products), tuple(colors), tuple(sizes))


def dump_catalogue(catalogue: Catalogue, header: str | None = None) -> str:
    """The catalogue as YAML in the layout of data/shop/catalogue.yml."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    lines.append("categories:")
    for c in catalogue.categories:
        lines += _item(
            [
                ("code", c.code),
                ("name_zh", c.name_zh),
                ("name_en", c.name_en),
                ("aliases_zh", list(c.aliases_zh)),
                ("aliases_en", list(c.aliases_en)),
            ]
        )
    lines.append("products:")
    for p in catalogue.products:
        lines += _item(
            [
                ("sku", p.sku),
                ("category", p.category),
                ("name_zh", p.name_zh),
                ("name_en", p.name_en),
                ("aliases_zh", list(p.aliases_zh)),
                ("aliases_en", list(p.aliases_en)),
                ("price", f"{p.price:.2f}"),
                ("colors", list(p.colors)),
                ("sizes", list(p.sizes)),
            ]
        )
    for section, variants in (("colors", catalogue.colors), ("sizes", catalogue.sizes)):
        lines.append(f"{section}:")
        for v in variants:
            lines += _item([("code", v.code), ("zh", list(v.zh)), ("en", list(v.en))])
    return "\n".join(lines) + "\n"


def write_catalogue(catalogue: Catalogue, path: str | Path, header: str | None = None) -> None:
    """Write atomically, after checking that the text reads back as the same catalogue."""
    path = Path(path)
    text = dump_catalogue(catalogue, header)
    if parse_catalogue(yaml.safe_load(text), source=str(path)) != catalogue:
        raise ValueError(f"{path}: the catalogue does not survive a round trip through YAML")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _item(fields: list[tuple[str, Any]]) -> list[str]:
    lines = []
    for index, (key, value) in enumerate(fields):
        prefix = "  - " if index == 0 else "    "
        # Prices are quoted so YAML never reads them as floats.
        rendered = f'"{value}"' if key == "price" else _yaml_inline(value)
        lines.append(f"{prefix}{key}: {rendered}")
    return lines


def _yaml_inline(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1 << 20)
    return text.removesuffix("\n...\n").strip()


def _entries(
    value: Any, section: str, allowed: tuple[str, ...], errors: list[str]
) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{section!r} must be a list, got {type(value).__name__}")
        return []
    entries = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            errors.append(f"{section}[{index}] must be a mapping, got {entry!r}")
            continue
        for key in entry:
            if key not in allowed:
                errors.append(
                    f"{section}[{index}] ({_label(entry)}): unknown key {key!r} "
                    f"(allowed: {', '.join(allowed)})"
                )
        entries.append(entry)
    return entries


def _label(entry: dict[str, Any]) -> str:
    for key in ("sku", "code"):
        if key in entry:
            return f"{key} {entry[key]!r}"
    return "no code"


def _text(entry: dict[str, Any], key: str, where: str, errors: list[str], limit: int) -> str:
    value = entry.get(key)
    # YAML reads `code: 36` as an int; a size code is still the text "36".
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        errors.append(f"{where}: {key!r} must be a non-empty string, got {value!r}")
        return ""
    text = str(value).strip()
    if len(text) > limit:
        errors.append(f"{where}: {key!r} is longer than {limit} characters: {text!r}")
    return text


def _text_list(entry: dict[str, Any], key: str, where: str, errors: list[str]) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.append(f"{where}: {key!r} must be a list, got {value!r}")
        return ()
    items: list[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
            errors.append(f"{where}: {key!r} items must be non-empty strings, got {item!r}")
        elif str(item).strip() not in items:
            items.append(str(item).strip())
    return tuple(items)


def _unique(code: str, seen: set[str], what: str, errors: list[str]) -> None:
    if code and code in seen:
        errors.append(f"duplicate {what} {code!r}")
    seen.add(code)


def _variants(entries: list[dict[str, Any]], what: str, errors: list[str]) -> list[VariantEntry]:
    result, seen = [], set()
    for entry in entries:
        where = f"{what} {entry.get('code')!r}"
        code = _text(entry, "code", where, errors, _MAX_VARIANT_CODE)
        _unique(code, seen, f"{what} code", errors)
        result.append(
            VariantEntry(
                code, _text_list(entry, "zh", where, errors), _text_list(entry, "en", where, errors)
            )
        )
    return result


def _categories(entries: list[dict[str, Any]], errors: list[str]) -> list[CategoryEntry]:
    result, seen = [], set()
    for entry in entries:
        where = f"category {entry.get('code')!r}"
        code = _text(entry, "code", where, errors, _MAX_CODE)
        _unique(code, seen, "category code", errors)
        result.append(
            CategoryEntry(
                code=code,
                name_zh=_text(entry, "name_zh", where, errors, _MAX_NAME),
                name_en=_text(entry, "name_en", where, errors, _MAX_NAME),
                aliases_zh=_text_list(entry, "aliases_zh", where, errors),
                aliases_en=_text_list(entry, "aliases_en", where, errors),
            )
        )
    return result


def _products(
    entries: list[dict[str, Any]],
    categories: set[str],
    colors: set[str],
    sizes: set[str],
    errors: list[str],
) -> list[ProductEntry]:
    result, seen = [], set()
    for entry in entries:
        where = f"product {entry.get('sku')!r}"
        sku = _text(entry, "sku", where, errors, _MAX_CODE)
        _unique(sku, seen, "sku", errors)
        category = _text(entry, "category", where, errors, _MAX_CODE)
        if category and category not in categories:
            errors.append(
                f"{where}: unknown category {category!r} (known: {', '.join(sorted(categories))})"
            )
        product_colors = _text_list(entry, "colors", where, errors)
        product_sizes = _text_list(entry, "sizes", where, errors)
        _known(product_colors, colors, where, "colour", errors)
        _known(product_sizes, sizes, where, "size", errors)
        result.append(
            ProductEntry(
                sku=sku,
                category=category,
                name_zh=_text(entry, "name_zh", where, errors, _MAX_NAME),
                name_en=_text(entry, "name_en", where, errors, _MAX_NAME),
                price=_price(entry.get("price"), where, errors),
                aliases_zh=_text_list(entry, "aliases_zh", where, errors),
                aliases_en=_text_list(entry, "aliases_en", where, errors),
                colors=product_colors,
                sizes=product_sizes,
            )
        )
    return result


def _known(codes: Iterable[str], known: set[str], where: str, what: str, errors: list[str]) -> None:
    for code in codes:
        if code not in known:
            errors.append(
                f"{where}: unknown {what} code {code!r} (known: {', '.join(sorted(known))})"
            )


def _price(value: Any, where: str, errors: list[str]) -> Decimal:
    try:
        # str() first: a YAML float such as 79.9 becomes Decimal("79.9"), not its binary value.
        price = Decimal(str(value).strip()) if not isinstance(value, bool) else None
    except InvalidOperation:
        price = None
    if (
        price is None
        or not price.is_finite()
        or price < 0
        or price != price.quantize(Decimal("0.01"))
    ):
        errors.append(
            f"{where}: 'price' must be an amount >= 0 with at most 2 decimals, such as \"79.00\"; "
            f"got {value!r}"
        )
        return Decimal("0.00")
    return price.quantize(Decimal("0.01"))


def _phrases(
    name_zh: str, name_en: str, aliases_zh: tuple[str, ...], aliases_en: tuple[str, ...]
) -> tuple[str, ...]:
    return (name_zh, name_en, *aliases_zh, *aliases_en)


def normalise_phrase(phrase: str) -> str:
    """How two phrases are compared: full-width folded, case-insensitive, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", phrase).casefold().split())


def _check_phrases(owners: list[tuple[str, tuple[str, ...]]], errors: list[str]) -> None:
    # A phrase must name one thing, or the bot cannot tell which one was meant.
    first_owner: dict[str, tuple[str, str]] = {}
    for owner, phrases in owners:
        for phrase in phrases:
            key = normalise_phrase(phrase)
            if not key:
                continue
            other = first_owner.setdefault(key, (owner, phrase))
            if other[0] != owner:
                errors.append(
                    f"{owner}: phrase {phrase!r} is already used by {other[0]} ({other[1]!r})"
                )
