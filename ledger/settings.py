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

    # Limits of `agora chain serve` (and of the in-process provider, which shares its dispatcher).
    rpc_gas_cap: int = 50_000_000
    """Most gas an eth_call or eth_estimateGas may ask for (geth's --rpc.gascap)."""
    rpc_evm_timeout: float = 5.0
    """Seconds of EVM execution one eth_call or eth_estimateGas may take (geth's --rpc.evmtimeout)."""
    rpc_tx_timeout: float = 10.0
    """Seconds a transaction may execute on the served chain; a slower one is refused, not mined."""
    rpc_batch_items: int = 1_000
    """Requests in one batch."""
    rpc_batch_timeout: float = 10.0
    """Seconds one batch may take in all; later entries are refused once it has run out."""
    rpc_response_max: int = 25 * 1024 * 1024
    """Bytes of one response, a whole batch included (geth's batch response limit)."""
    rpc_log_block_range: int = 10_000
    """Blocks one eth_getLogs may scan."""
    rpc_log_results: int = 10_000
    """Logs one eth_getLogs may return."""
    rpc_read_timeout: float = 10.0
    """Seconds one eth_getLogs or eth_feeHistory may take."""
    rpc_body_max: int = 5 * 1024 * 1024
    """Bytes of one request body."""
    rpc_body_idle: float = 10.0
    """Seconds a client may pause while sending a body."""
    rpc_body_timeout: float = 30.0
    """Seconds a client may take to send a whole body."""
    rpc_write_timeout: float = 30.0
    """Seconds a client may leave its answer unread before it is cut off."""
    rpc_unsent_max: int = 256 * 1024 * 1024
    """Bytes of answers waiting for their clients to read them, across connections."""
    rpc_head_max: int = 64 * 1024
    """Bytes of a request's line and headers."""
    rpc_head_timeout: float = 10.0
    """Seconds a client has to send a request's line and headers."""
    rpc_queue: int = 64
    """Requests of one kind (EVM calls, writes, reads) waiting for a thread; more are refused at once."""
    rpc_threads: int = 4
    """Requests worked on at once (the rest wait their turn)."""
    rpc_connections: int = 256
    """Open connections; more are answered 503."""
    rpc_hosts: str = "localhost,127.0.0.1,[::1]"
    """Host headers the server answers (comma list, * for any): a page on another name that
    resolves here (DNS rebinding) is refused."""
    rpc_cors_origins: str = "http://localhost:*,http://127.0.0.1:*,chrome-extension://*,moz-extension://*"
    """Origins whose pages may call the server (comma list; * as a port or a whole origin matches any)."""
    rpc_switch_interval: float = 0.0005
    """Seconds a thread may hold the interpreter before another gets a turn (Python's default: 0.005)."""
    rpc_dev_methods: bool = True
    """Whether evm_* and eth_sendTransaction (development keys) are served."""

    @property
    def state_dir(self) -> Path:
        return self.home.expanduser()


@lru_cache
def get_settings() -> LedgerSettings:
    """The settings read from the environment once; tests call ``get_settings.cache_clear()``."""
    return LedgerSettings()
