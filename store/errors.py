"""The store's exceptions."""

from __future__ import annotations


class StoreError(Exception):
    """Root of every error the store package raises."""


class InvalidCID(StoreError):
    """Raised when a string is not a CIDv1 of the raw codec with sha2-256."""


class NotFound(StoreError):
    """Raised when no node has a manifest or shard."""


class NotEnoughShards(StoreError):
    """Raised when fewer than k good shards of a segment can be had.

    Carries the blob's CID, how many good shards were found and needed, and each failed node's reason.
    """

    def __init__(self, cid: str, segment: int, found: int, needed: int, failures: dict[str, str]) -> None:
        self.cid = cid
        self.segment = segment
        self.found = found
        self.needed = needed
        self.failures = failures
        reasons = "; ".join(f"{node}: {why}" for node, why in sorted(failures.items()))
        super().__init__(
            f"cannot read {cid}: segment {segment} has {found} good shards of the {needed} needed"
            + (f" (failed: {reasons})" if reasons else "")
        )


class NotEnoughNodes(StoreError):
    """Raised when a put has fewer usable nodes (in the allowed regions) than shards per segment."""


class NodeError(StoreError):
    """Raised when a store node refuses a request or cannot be reached."""

    def __init__(self, node: str, reason: str) -> None:
        self.node = node
        self.reason = reason
        super().__init__(f"{node}: {reason}")


class ManifestError(StoreError):
    """Raised when a manifest is malformed or does not match its CID."""
