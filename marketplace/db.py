"""The marketplace's database: where it is, its engine, and its schema brought up to date.

SQLite (WAL) at ``STATE/marketplace.sqlite`` by default; PostgreSQL (or any SQLAlchemy URL) by
``AGORA_DATABASE_URL`` (`postgresql+psycopg://…`). The schema is Alembic's: `migrate` runs every
revision not yet applied, so a database made by any earlier version is brought forward.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(state_dir: Path) -> str:
    """``AGORA_DATABASE_URL``, else a SQLite file under ``state_dir``."""
    return os.environ.get("AGORA_DATABASE_URL") or f"sqlite:///{state_dir / 'marketplace.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite in WAL mode with foreign keys enforced."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Applies every migration not yet applied (a new database gets the whole schema)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
