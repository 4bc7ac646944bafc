"""Settings of the store package (environment prefix ``AGORA_STORE_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """Which nodes to use and how to code blobs."""

    model_config = SettingsConfigDict(env_prefix="AGORA_STORE_", extra="ignore")

    nodes: str = ""
    """Comma-separated node URLs (AGORA_STORE_NODES)."""
    k: int = 4
    m: int = 2
    segment_size: int = 4 * 1024 * 1024
    timeout: float = 10.0

    def node_list(self) -> list[str]:
        return [n.strip() for n in self.nodes.split(",") if n.strip()]


@lru_cache
def get_settings() -> StoreSettings:
    """The settings read from the environment once; tests call ``get_settings.cache_clear()``."""
    return StoreSettings()
