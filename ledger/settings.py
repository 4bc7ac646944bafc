"""Settings of the ledger package (environment prefix ``AGORA_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


class LedgerSettings(BaseSettings):
    """Where the state lives and which chain to talk to."""

    model_config = SettingsConfigDict(env_prefix="AGORA_", extra="ignore")

    home: Path = Path("~/.agora")
    """State directory: the embedded chain, keystores and deployment records."""
    rpc_url: str | None = None
    """A node to use instead of the embedded chain (anvil, geth, an L2...)."""
    password: str | None = None
    """Keystore password for non-interactive use."""

    @property
    def state_dir(self) -> Path:
        return self.home.expanduser()


@lru_cache
def get_settings() -> LedgerSettings:
    """The settings read from the environment once; tests call ``get_settings.cache_clear()``."""
    return LedgerSettings()
