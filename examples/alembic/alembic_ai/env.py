"""Alembic's env.py for the `ai` database: the URL comes from
AI_DATABASE_URL, as the application reads it, and the models from app.models
(found through `prepend_sys_path = .` in alembic_ai.ini)."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from app.models import ai

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

URL_VARIABLE = "AI_DATABASE_URL"


def url():
    # Platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    value = os.environ[URL_VARIABLE]
    for scheme in ("postgres://", "postgresql://"):
        if value.startswith(scheme):
            return "postgresql+psycopg://" + value[len(scheme):]
    return value


def run_migrations_offline() -> None:
    context.configure(
        url=url(),
        target_metadata=ai,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_engine(url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=ai)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
