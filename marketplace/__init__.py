"""The REST API (FastAPI, `api`), its database (SQLAlchemy models and Alembic migrations, `db`),
the chain indexer (`indexer`), the intake and relaying of signed requests (`intake`), and the
market's insight: the registered workers (`directory`), quotes and explanations (`insight`,
`quote`, `explain`), listings of workers, names and programs (`listings`), and `/metrics`.
May import `ledger` and `store` only (docs/architecture.md, docs/api.md).
"""

__all__: list[str] = []
