"""Worker daemon: bidding policy, deterministic WebAssembly execution on Ray, result
commit/reveal. May import `ledger` and `store` only. (To be built: see the worker issue.)
"""

__all__: list[str] = []
