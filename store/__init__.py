"""Erasure-coded, content-addressed store: CIDs, the Reed-Solomon codec, manifests with Merkle
proofs, store nodes (directory or S3 backed) and the client that spreads shards across them.

Bottom layer: imports nothing of ours.
"""

from .backends import Backend, DirectoryBackend, DiskFull, S3Backend
from .cid import cid_from_digest, cid_of, cid_of_chunks, digest_of
from .client import AuditReport, RepairReport, ShardHealth, StatReport, StoreClient
from .codec import EC_TYPE, PYECLIB_VERSION
from .errors import (
    InvalidCID,
    ManifestError,
    NodeError,
    NotEnoughNodes,
    NotEnoughShards,
    NotFound,
    StoreError,
)
from .manifest import Manifest, Segment, ShardRef
from .merkle import inclusion_proof, verify_inclusion
from .merkle import root as merkle_root
from .node import create_app, serve
from .settings import StoreSettings, get_settings

__all__ = [
    "EC_TYPE",
    "PYECLIB_VERSION",
    "AuditReport",
    "Backend",
    "DirectoryBackend",
    "DiskFull",
    "InvalidCID",
    "Manifest",
    "ManifestError",
    "NodeError",
    "NotEnoughNodes",
    "NotEnoughShards",
    "NotFound",
    "RepairReport",
    "S3Backend",
    "Segment",
    "ShardHealth",
    "ShardRef",
    "StatReport",
    "StoreClient",
    "StoreError",
    "StoreSettings",
    "cid_from_digest",
    "cid_of",
    "cid_of_chunks",
    "create_app",
    "digest_of",
    "get_settings",
    "inclusion_proof",
    "merkle_root",
    "serve",
    "verify_inclusion",
]
