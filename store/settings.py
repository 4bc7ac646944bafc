"""Settings of the store package (environment prefix ``AGORA_STORE_``): the client's coding and
bounds, and a node's limits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from .manifest import MAX_MANIFEST_BYTES, MAX_SHARD_BYTES

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
    keep_alive: float = 5.0
    """Seconds an idle keep-alive connection is kept."""
    max_head: int = 64 * 1024
    """Bytes of a request's line and headers."""


class StoreSettings(BaseSettings):
    """Which nodes to use, how to code blobs, and the bounds of clients and nodes."""

    model_config = SettingsConfigDict(env_prefix="AGORA_STORE_", extra="ignore")

    nodes: str = ""
    """Comma-separated node URLs (AGORA_STORE_NODES)."""
    k: int = 4
    m: int = 2
    segment_size: int = 4 * MIB
    timeout: float = 10.0
    """Client: seconds a node may stay silent within a request."""
    deadline: float = 60.0
    """Client: seconds one request may take in all (connect, send, headers, body)."""
    hedge_after: float = 2.0
    """Client: seconds a segment read waits on a slow shard before asking for another one."""
    max_get: int = 256 * MIB
    """Client: the default size limit of `StoreClient.get` (a blob read into memory)."""
    idle_timeout: float = NodeLimits.idle_timeout
    upload_timeout: float = NodeLimits.upload_timeout
    max_uploads: int = NodeLimits.max_uploads
    max_connections: int = NodeLimits.max_connections
    keep_alive: float = NodeLimits.keep_alive
    quota: int = 1024 * MIB
    """Node: bytes each accepted writer may newly store on this node."""

    def node_list(self) -> list[str]:
        return [n.strip() for n in self.nodes.split(",") if n.strip()]

    def node_limits(self) -> NodeLimits:
        return NodeLimits(
            idle_timeout=self.idle_timeout,
            upload_timeout=self.upload_timeout,
            max_uploads=self.max_uploads,
            max_connections=self.max_connections,
            keep_alive=self.keep_alive,
        )


@lru_cache
def get_settings() -> StoreSettings:
    """The settings read from the environment once; tests call ``get_settings.cache_clear()``."""
    return StoreSettings()
