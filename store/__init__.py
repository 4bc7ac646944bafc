"""Erasure-coded, content-addressed store: CIDs, the Reed-Solomon codec, manifests with Merkle
proofs, store nodes and the client that spreads shards across them.

Bottom layer: imports nothing of ours. (To be built: see the store issue.)
"""

__all__: list[str] = []
