"""`crm init`, `crm demo`, `crm import` and `crm export-catalogue` as a shop runs them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from crm_engine.catalogue_file import load_catalogue
from crm_engine.cli import main
from crm_engine.config import DEFAULT_CATALOGUE_PATH, PROJECT_ROOT
from crm_engine.db import session_scope
from crm_engine.models import Order, Product

SAMPLES = PROJECT_ROOT / "data" / "shop" / "samples"
SMALL_DEMO = ["demo", "--customers", "30", "--orders", "120", "--seed", "3"]
SMALL_DEMO += ["--today", "2026-11-20", "--no-progress"]


def _orders(url):
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Order))


def test_init_creates_the_schema_and_can_run_again(empty_db_url, capsys):
    assert main(["init"]) == 0
    assert "migrated from empty" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "already at revision" in capsys.readouterr().out


def test_import_before_init_says_what_to_do(empty_db_url, capsys):
    assert main(["import", "customers", str(SAMPLES / "customers.csv")]) == 2
    assert "run `crm init` first" in capsys.readouterr().err


def test_import_reports_success_or_every_error(empty_db_url, capsys):
    main(["init"])
    capsys.readouterr()

    assert main(["import", "customers", str(SAMPLES / "customers.csv"), "--dry-run"]) == 0
    assert "would create 4 customers" in capsys.readouterr().out
    assert main(["import", "customers", str(SAMPLES / "customers.csv")]) == 0
    assert "read 4 rows; created 4 customers" in capsys.readouterr().out

    assert main(["import", "customers", str(SAMPLES / "customers_bad.csv")]) == 1
    err = capsys.readouterr().err
    assert "6 error(s) in 6 rows; nothing was imported" in err
    assert "line 5, column 'language': expected one of zh, en; got 'english'" in err


def test_import_of_a_missing_file_fails_cleanly(empty_db_url, capsys):
    main(["init"])
    assert main(["import", "orders", "no-such-file.csv"]) == 2
    assert "CSV file not found" in capsys.readouterr().err


def test_demo_loads_once_and_replaces_only_when_asked(empty_db_url, capsys):
    assert main(SMALL_DEMO) == 0
    out = capsys.readouterr().out
    assert "Demo shop written" in out and "SO20000001" in out
    loaded = _orders(empty_db_url)
    assert loaded == 120 + 8  # generated plus showcase

    assert main(SMALL_DEMO) == 2
    assert "crm demo --replace" in capsys.readouterr().err
    assert _orders(empty_db_url) == loaded

    assert main([*SMALL_DEMO, "--replace"]) == 0
    assert _orders(empty_db_url) == loaded


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--today", "2026-13-01"],
        ["demo", "--customers", "0"],
        ["demo", "--orders", "many"],
        ["import", "refunds", "x.csv"],
    ],
)
def test_bad_options_are_refused_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_export_catalogue_follows_the_database_and_keeps_aliases(empty_db_url, tmp_path, capsys):
    main(SMALL_DEMO)
    main(["import", "products", str(SAMPLES / "products.csv")])
    with session_scope(empty_db_url) as session:
        session.execute(update(Product).where(Product.sku == "APP-DRESS").values(active=False))
    capsys.readouterr()
    target = tmp_path / "catalogue.yml"

    assert main(["export-catalogue", str(target), "--base", str(DEFAULT_CATALOGUE_PATH)]) == 0
    out = capsys.readouterr().out
    assert "left out: APP-DRESS" in out

    exported, demo = load_catalogue(target), load_catalogue(DEFAULT_CATALOGUE_PATH)
    skus = {p.sku for p in exported.products}
    assert "APP-DRESS" not in skus and "TW-OLDPOT" not in skus
    assert exported.product("APP-TSHIRT") == demo.product("APP-TSHIRT")
    assert exported.product("TEA-LJ250").aliases_zh == ()
    assert {"tea", "teaware"} <= {c.code for c in exported.categories}
    assert exported.colors == demo.colors and exported.sizes == demo.sizes

    # Exporting over the file keeps the aliases it already has.
    assert main(["export-catalogue", str(target)]) == 0
    assert load_catalogue(target) == exported


def test_export_catalogue_with_a_missing_base_fails_cleanly(empty_db_url, tmp_path, capsys):
    main(["init"])
    argv = ["export-catalogue", str(tmp_path / "out.yml"), "--base", str(tmp_path / "nope.yml")]
    assert main(argv) == 2
    assert "catalogue file not found" in capsys.readouterr().err
