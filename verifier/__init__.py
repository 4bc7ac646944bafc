"""Settlement checks: redundancy quorum, disputes and re-execution, zero-knowledge proofs.
May import `ledger` and `store` only. (To be built: see the verifier issue.)
"""

__all__: list[str] = []
