"""Settings of the store package (environment prefix ``AGORA_STORE_``): the client's coding and
bounds, and a node's limits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from .manifest import MAX_MANIFEST_BYTES, MAX_SHARD_BYTES
from .quota import MAX_OBJECTS

MIB = 1024 * 1024


@dataclass(frozen=True)
class NodeLimits:
    """What one request may cost a node (docs/store.md, "Limits")."""

    max_shard_bytes: int = MAX_SHARD_BYTES
    max_manifest_bytes: int = MAX_MANIFEST_BYTES
    idle_timeout: float = 10.0
    """Seconds an upload (or a request head, or a reader of a reply) may send or take nothing."""
    upload_timeout: float = 600.0
    """Seconds a whole upload may take."""
    max_uploads: int = 16
    """Uploads in progress at once; beyond, 503 with Retry-After."""
    max_parses: int = 2
    """Manifests parsed at once (off the event loop)."""
    max_connections: int = 256
    """Connections and requests at once (uvicorn's limit_concurrency); beyond, 503."""
    max_client_connections: int = 64
    """Connections at once from one client address; beyond, 503 and closed."""
    max_writer_uploads: int = 8
    """Uploads in progress at once of one writer (signer, or client address on an open node); beyond, 503."""
    min_upload_rate: int = 64 * 1024
    """Bytes a second an upload must average after its first second; slower, 408."""
    max_failed_uploads: int = 10
    """Failed uploads (invalid, stalled, abandoned) a writer may make in `failure_window`; beyond, 429."""
    failure_window: float = 60.0
    keep_alive: float = 5.0
    """Seconds an idle keep-alive connection is kept."""
    max_head: int = 64 * 1024
    """Bytes of a request's line and headers."""


SEGMENT_SIZE = 8 * MIB
"""Bytes a blob is coded in at a time by default: 2 MiB shards with k=4 (4 MiB segments made a
put ~20% slower: costs per request and per file; docs/benchmarks.md)."""


class StoreSettings(BaseSettings):
    """Which nodes to use, how to code blobs, and the bounds of clients and nodes."""

    model_config = SettingsConfigDict(env_prefix="AGORA_STORE_", extra="ignore")

    nodes: str = ""
    """Comma-separated node URLs (AGORA_STORE_NODES)."""
    k: int = 4
    m: int = 2
    segment_size: int = SEGMENT_SIZE
    timeout: float = 10.0
    """Client: seconds a node may stay silent within a request."""
    deadline: float = 60.0
    """Client: seconds one request may take in all (connect, send, headers, body)."""
    hedge_after: float = 2.0
    """Client: seconds a segment read waits on a slow shard before asking for another one."""
    max_get: int = 256 * MIB
    """Client: the default size limit of `StoreClient.get` (a blob read into memory)."""
    min_rate: int = 64 * 1024
    """Client: bytes a second a node must average within a request after its first second (0: no minimum)."""
    max_segment: int = 64 * MIB
    """Client: the largest segment it reads (a segment is held in memory while decoded)."""
    max_shards: int = 32
    """Client: the most shards (k + m) per segment it reads."""
    ca_file: str = ""
    """Client: a PEM file of certificates to trust for https:// nodes (default: the system's)."""
    idle_timeout: float = NodeLimits.idle_timeout
    upload_timeout: float = NodeLimits.upload_timeout
    max_uploads: int = NodeLimits.max_uploads
    max_connections: int = NodeLimits.max_connections
    max_client_connections: int = NodeLimits.max_client_connections
    max_writer_uploads: int = NodeLimits.max_writer_uploads
    min_upload_rate: int = NodeLimits.min_upload_rate
    max_failed_uploads: int = NodeLimits.max_failed_uploads
    keep_alive: float = NodeLimits.keep_alive
    quota: int = 1024 * MIB
    """Node: bytes each accepted writer may newly store on this node (objects counted in whole blocks)."""
    max_objects: int = MAX_OBJECTS
    """Node: objects each accepted writer may store on this node."""

    def node_list(self) -> list[str]:
        return [n.strip() for n in self.nodes.split(",") if n.strip()]

    def node_limits(self) -> NodeLimits:
        return NodeLimits(
            idle_timeout=self.idle_timeout,
            upload_timeout=self.upload_timeout,
            max_uploads=self.max_uploads,
            max_connections=self.max_connections,
            max_client_connections=self.max_client_connections,
            max_writer_uploads=self.max_writer_uploads,
            min_upload_rate=self.min_upload_rate,
            max_failed_uploads=self.max_failed_uploads,
            keep_alive=self.keep_alive,
        )


@lru_cache
def get_settings() -> StoreSettings:
    """The settings read from the environment once; tests call ``get_settings.cache_clear()``."""
    return StoreSettings()
