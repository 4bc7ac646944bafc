"""The REST API (FastAPI, `api`), its database (SQLAlchemy models and Alembic migrations, `db`),
the chain indexer (`indexer`) and the intake and relaying of signed requests (`intake`).
May import `ledger` and `store` only (docs/architecture.md, docs/api.md).
"""

__all__: list[str] = []
