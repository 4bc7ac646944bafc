"""The REST API (FastAPI), its SQLAlchemy models, the chain indexer and signed-order intake.
May import `ledger` and `store` only. (To be built: see the marketplace issue.)
"""

__all__: list[str] = []
