"""The Alembic migrations build exactly the schema of the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from crm_engine.models import Customer
from crm_engine.schema import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    init_db,
    load_all_models,
    require_current,
    schema_differences,
)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return schema_differences(conn)
    finally:
        engine.dispose()


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(empty_db_url):
    message = init_db(empty_db_url)

    assert "migrated from empty" in message
    assert _differences(empty_db_url) == []
    assert _tables(empty_db_url) == set(load_all_models().tables) | {"alembic_version"}
    assert current_revision(empty_db_url) == head_revision()


def test_init_db_is_idempotent(empty_db_url):
    init_db(empty_db_url)

    assert "already at revision" in init_db(empty_db_url)
    assert _differences(empty_db_url) == []


def test_downgrade_to_base_removes_every_crm_table(empty_db_url):
    init_db(empty_db_url)

    command.downgrade(alembic_config(empty_db_url), "base")

    assert _tables(empty_db_url) <= {"alembic_version"}
    assert current_revision(empty_db_url) is None


def test_tables_made_by_create_all_are_stamped_not_recreated(empty_db_url):
    engine = create_engine(empty_db_url)
    load_all_models().create_all(engine)
    engine.dispose()

    assert "marked as migrated" in init_db(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()


def test_tables_that_differ_from_the_models_are_refused(empty_db_url):
    engine = create_engine(empty_db_url)
    Customer.__table__.create(engine)
    engine.dispose()

    with pytest.raises(ValueError, match="differ from the models"):
        init_db(empty_db_url)
    assert current_revision(empty_db_url) is None


def test_require_current_names_the_command_to_run(empty_db_url):
    with pytest.raises(ValueError, match="run `crm init` first"):
        require_current(empty_db_url)
    init_db(empty_db_url)
    require_current(empty_db_url)


def test_migrations_ship_inside_the_package():
    assert MIGRATIONS_DIR.parent.name == "crm_engine"
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
