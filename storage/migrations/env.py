"""Alembic environment: runs the migrations against the URL the caller or the settings give."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from storage.db import make_engine

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)


def database_url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from bot.settings import Settings  # only when run from the alembic command line

    return Settings().database_url  # type: ignore[call-arg]  # values come from the environment


def run_migrations_offline() -> None:
    context.configure(url=database_url(), literal_binds=True, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            # SQLite can run DDL in a transaction too, since make_engine issues BEGIN itself:
            # a migration that fails half-way then leaves nothing behind.
            context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
