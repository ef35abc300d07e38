"""Alembic environment for the CRM store, driven from crm_engine.schema (no alembic.ini).

The database comes from, in order: a connection handed over in
`config.attributes["connection"]`, the URL in `config.attributes["url"]`, the
`sqlalchemy.url` option, or crm_engine.config.database_url().
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from crm_engine.config import database_url
from crm_engine.schema import load_all_models

config = context.config
target_metadata = load_all_models()


def _url() -> str:
    return (
        config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or database_url()
    )


def _configure(**kwargs: object) -> None:
    # Batch mode rewrites ALTERs SQLite cannot do as copy-and-rename; on other
    # databases batch operations run as plain ALTERs, so one script fits both.
    context.configure(
        target_metadata=target_metadata, render_as_batch=True, compare_type=True, **kwargs
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Own engine without the SQLite foreign-key pragma of crm_engine.db: batch
    # migrations copy tables, which enforced foreign keys would block.
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
