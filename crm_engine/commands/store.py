"""`crm init`, `crm demo`, `crm import` and `crm export-catalogue`: the CRM store's data.

All of them work on the configured database (CRM_DATABASE_URL, else var/crm.db).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crm_engine.catalogue_export import catalogue_from_db
from crm_engine.catalogue_file import default_path, load_catalogue, write_catalogue
from crm_engine.db import session_scope
from crm_engine.demo import DEFAULT_CUSTOMERS, DEFAULT_ORDERS, DEFAULT_SEED, load_demo
from crm_engine.demo_showcase import SHOWCASE_SUMMARY
from crm_engine.importer import COLUMNS, KINDS, import_csv
from crm_engine.schema import init_db, require_current


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser(
        "init", help="create or upgrade the CRM database schema (safe to run again)"
    )
    init.set_defaults(handler=cmd_init)

    demo = subparsers.add_parser(
        "demo",
        help="fill the database with a generated demo shop",
        description="Generate a realistic demo shop (deterministic for a seed and date) and "
        "write it to the database. Refuses a database that already has shop data.",
    )
    demo.add_argument("--customers", type=_count(1), default=DEFAULT_CUSTOMERS, metavar="N")
    demo.add_argument("--orders", type=_count(0), default=DEFAULT_ORDERS, metavar="N")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N")
    demo.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the history ends (default: today, UTC)",
    )
    demo.add_argument(
        "--replace",
        action="store_true",
        help="first delete ALL CRM data (shop, tickets, conversations, analytics)",
    )
    demo.add_argument(
        "--catalogue", type=Path, default=None, help="catalogue file (default: the configured one)"
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(handler=cmd_demo)

    columns = "\n".join(
        f"  {kind}: required {', '.join(req)}; optional {', '.join(opt)}"
        for kind, (req, opt) in COLUMNS.items()
    )
    imp = subparsers.add_parser(
        "import",
        help="import customers, products or orders from a CSV file (all rows or none)",
        description="Check every row of a UTF-8 CSV file and import it only if all rows are "
        "good. Orders have one row per order line.\n\nColumns:\n" + columns,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    imp.set_defaults(handler=cmd_import)

    export = subparsers.add_parser(
        "export-catalogue",
        help="write the catalogue file (what the bot matches) from the database",
        description="Write active products and categories from the database in the format "
        "of data/shop/catalogue.yml. Aliases, colours and sizes are not in the database: "
        "they are kept from --base.",
    )
    export.add_argument("file", type=Path)
    export.add_argument(
        "--base",
        type=Path,
        default=None,
        help="catalogue to keep aliases, colours and sizes from "
        "(default: FILE if it exists, else the configured catalogue)",
    )
    export.set_defaults(handler=cmd_export_catalogue)


def cmd_init(args: argparse.Namespace) -> int:
    print(init_db())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    print(init_db())
    started = time.perf_counter()
    counts = load_demo(
        customers=args.customers,
        orders=args.orders,
        seed=args.seed,
        today=args.today,
        replace=args.replace,
        catalogue_path=args.catalogue,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    print(f"Demo shop written in {time.perf_counter() - started:.1f} s:")
    for table, n in counts.items():
        print(f"  {table:<18} {n:>8}")
    print("Try the bot as:\n" + SHOWCASE_SUMMARY)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    require_current()
    with session_scope() as session:
        result = import_csv(args.kind, args.file, session.connection(), dry_run=args.dry_run)
    if not result.ok:
        print(result.summary(), file=sys.stderr)
        for error in result.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def cmd_export_catalogue(args: argparse.Namespace) -> int:
    require_current()
    base_path = args.base or (args.file if args.file.is_file() else default_path())
    base = load_catalogue(base_path) if args.base or base_path.is_file() else None
    with session_scope() as session:
        report = catalogue_from_db(session.connection(), base)
    if not report.catalogue.products:
        raise ValueError("the database has no active products; nothing to export")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    kept = f"aliases, colours and sizes kept from {base_path}" if base else "no base catalogue"
    write_catalogue(
        report.catalogue,
        args.file,
        header=f"Exported from the CRM database by `crm export-catalogue` on {stamp};\n{kept}.",
    )
    print(
        f"{args.file}: {len(report.catalogue.categories)} categories, "
        f"{len(report.catalogue.products)} products "
        f"({report.products_with_base} with aliases from the base, {report.products_new} new)"
    )
    if report.dropped:
        print(f"  not active in the database, left out: {', '.join(report.dropped)}")
    return 0


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
