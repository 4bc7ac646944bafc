"""Erasure-coded, content-addressed store: CIDs, the Reed-Solomon codec, manifests with Merkle
proofs, store nodes (directory or S3 backed) and the client that spreads shards across them.

Bottom layer: imports nothing of ours (third-party libraries only: pyeclib, multiformats,
orjson, eth_account for signed writes, starlette/uvicorn for nodes, boto3 for S3).

Nothing from outside is trusted: manifests, shards (down to the erasure code's fragment headers)
and nodes' answers are checked and bounded before use; a client contacts only its own nodes.
"""

from typing import TYPE_CHECKING, Any

from .errors import (
    BlobTooLarge,
    CorruptShard,
    InvalidCID,
    ManifestError,
    NodeError,
    NotEnoughNodes,
    NotEnoughShards,
    NotFound,
    QuotaExceeded,
    ReadTimeout,
    StoreError,
    TooManyFailures,
    TooManyShards,
    Unauthenticated,
    WriterRefused,
    WritersUnavailable,
)

if TYPE_CHECKING:
    from ._serve import run as serve_guarded
    from ._upkeep import AuditReport, RepairReport, ShardHealth, StatReport
    from .auth import ListedWriters, Signer, authorization, node_identity
    from .backends import Backend, DirectoryBackend, DiskFull, S3Backend
    from .cid import cid_from_digest, cid_of, cid_of_chunks, digest_of
    from .client import StoreClient
    from .codec import EC_TYPE, PYECLIB_VERSION, shard_size
    from .manifest import MAX_MANIFEST_BYTES, MAX_SHARD_BYTES, Manifest, Segment, ShardRef
    from .merkle import inclusion_proof, verify_inclusion
    from .merkle import root as merkle_root
    from .node import create_app, serve
    from .quota import QuotaBook
    from .settings import NodeLimits, StoreSettings, get_settings

# Each name is imported from its module when first asked for: a command that only signs an upload
# and names its CID loads neither the codec (pyeclib), the client, pydantic's settings nor a node's
# server (docs/architecture.md).
_LAZY = {
    "_serve": ("serve_guarded",),
    "_upkeep": ("AuditReport", "RepairReport", "ShardHealth", "StatReport"),
    "auth": ("ListedWriters", "Signer", "authorization", "node_identity"),
    "backends": ("Backend", "DirectoryBackend", "DiskFull", "S3Backend"),
    "cid": ("cid_from_digest", "cid_of", "cid_of_chunks", "digest_of"),
    "client": ("StoreClient",),
    "codec": ("EC_TYPE", "PYECLIB_VERSION", "shard_size"),
    "manifest": ("MAX_MANIFEST_BYTES", "MAX_SHARD_BYTES", "Manifest", "Segment", "ShardRef"),
    "merkle": ("inclusion_proof", "verify_inclusion", "merkle_root"),
    "node": ("create_app", "serve"),
    "quota": ("QuotaBook",),
    "settings": ("NodeLimits", "StoreSettings", "get_settings"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}
_RENAMED = {"serve_guarded": "run", "merkle_root": "root"}


def __getattr__(name: str) -> Any:
    from importlib import import_module

    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value  # asked once
    return value


__all__ = [
    "EC_TYPE",
    "MAX_MANIFEST_BYTES",
    "MAX_SHARD_BYTES",
    "PYECLIB_VERSION",
    "AuditReport",
    "Backend",
    "BlobTooLarge",
    "CorruptShard",
    "DirectoryBackend",
    "DiskFull",
    "InvalidCID",
    "ListedWriters",
    "Manifest",
    "ManifestError",
    "NodeError",
    "NodeLimits",
    "NotEnoughNodes",
    "NotEnoughShards",
    "NotFound",
    "QuotaBook",
    "serve_guarded",
    "QuotaExceeded",
    "ReadTimeout",
    "RepairReport",
    "S3Backend",
    "Segment",
    "ShardHealth",
    "ShardRef",
    "StatReport",
    "StoreClient",
    "StoreError",
    "StoreSettings",
    "TooManyFailures",
    "TooManyShards",
    "Unauthenticated",
    "WriterRefused",
    "WritersUnavailable",
    "authorization",
    "Signer",
    "cid_from_digest",
    "cid_of",
    "cid_of_chunks",
    "create_app",
    "digest_of",
    "get_settings",
    "inclusion_proof",
    "merkle_root",
    "node_identity",
    "serve",
    "shard_size",
    "verify_inclusion",
]
