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

    Carries the manifest CID that was asked for (``cid``), the blob's content CID (``blob_cid``),
    how many good shards were found and needed, and each failed node's reason.
    """

    def __init__(
        self, cid: str, segment: int, found: int, needed: int, failures: dict[str, str], *, blob_cid: str = ""
    ) -> None:
        self.cid = cid
        self.blob_cid = blob_cid
        self.segment = segment
        self.found = found
        self.needed = needed
        self.failures = failures
        reasons = "; ".join(f"{node}: {why}" for node, why in sorted(failures.items()))
        blob = f" (blob {blob_cid})" if blob_cid and blob_cid != cid else ""
        super().__init__(
            f"cannot read {cid}{blob}: segment {segment} has {found} good shards of the {needed} needed"
            + (f" (failed: {reasons})" if reasons else "")
        )


class NotEnoughNodes(StoreError):
    """Raised when a put has fewer usable nodes (in the allowed regions) than shards per segment."""


class NodeError(StoreError):
    """Raised when a store node refuses a request, cannot be reached, or answers too much or too late."""

    def __init__(self, node: str, reason: str) -> None:
        self.node = node
        self.reason = reason
        super().__init__(f"{node}: {reason}")


class CorruptShard(StoreError):
    """Raised when a shard's size or fragment header is not what its manifest implies (it is
    never handed to the erasure code's C library then)."""


class ManifestError(StoreError):
    """Raised when a manifest is malformed, inconsistent, or does not match its CID."""


class BlobTooLarge(StoreError):
    """Raised when a manifest declares a blob larger than the caller's size limit (before any shard is read)."""

    def __init__(self, cid: str, size: int, limit: int) -> None:
        self.cid = cid
        self.size = size
        self.limit = limit
        super().__init__(f"{cid} is {size} bytes, more than the limit of {limit} bytes")


class TooManyShards(StoreError):
    """Raised when a manifest names more shards than the caller will check (before any is read)."""

    def __init__(self, cid: str, size: int, shards: int, limit: int) -> None:
        self.cid, self.size, self.shards, self.limit = cid, size, shards, limit
        super().__init__(f"{cid} has {shards:,} shards, more than the {limit:,} checked at once")


class Unauthenticated(StoreError):
    """Raised when a write carries no valid, current, low-s signature of its path and size (HTTP 401)."""


class WriterRefused(StoreError):
    """Raised when a write is signed by an account this node does not accept (HTTP 403)."""


class WritersUnavailable(StoreError):
    """Raised when a node cannot decide whether a signer may write, e.g. the chain does not answer (HTTP 503)."""


class QuotaExceeded(StoreError):
    """Raised when a write would take a signer past its quota on a node (HTTP 507)."""


class BadName(StoreError):
    """Raised when a request names a shard or manifest by something that cannot be one (HTTP 422)."""


class LengthRequired(StoreError):
    """Raised when a write does not declare its body's length (HTTP 411)."""


class TooLarge(StoreError):
    """Raised when a write declares a body larger than the node takes (HTTP 413)."""


class BadUpload(StoreError):
    """Raised when an uploaded body is not what its name says: wrong hash, invalid manifest (HTTP 400)."""


class UploadStalled(StoreError):
    """Raised when an upload sends nothing for the idle timeout, or takes longer than the upload timeout (HTTP 408)."""


class NodeBusy(StoreError):
    """Raised when a node already has as many uploads in progress as it allows, in all or from one
    writer (HTTP 503, Retry-After)."""


class TooManyFailures(StoreError):
    """Raised when a writer has made too many failed uploads lately (HTTP 429, Retry-After)."""

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ReadTimeout(StoreError):
    """Raised when reading a blob takes longer than its deadline (the request deadline plus the
    blob's size at the minimum rate), counting only the time the caller waits."""
