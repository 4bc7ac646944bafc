"""What one JSON-RPC request may cost: the limits, a batch's time budget, a read's clock."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ._jsonrpc import limit_error
from .settings import LedgerSettings, get_settings


class ReadClock:
    """The time one read (a log query, a fee history) may take; raises the limit's error past it."""

    def __init__(self, seconds: float, limit: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.limit = limit

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise limit_error(f"query took longer than {self.limit:g}s: ask for less", "rpc_read_timeout")


@dataclass(frozen=True)
class RPCLimits:
    """What one request may cost; the defaults and their environment names are in `LedgerSettings`."""

    gas_cap: int
    evm_timeout: float
    batch_items: int
    batch_timeout: float
    response_max: int
    log_block_range: int
    log_results: int
    read_timeout: float
    dev_methods: bool

    @classmethod
    def from_settings(cls, settings: LedgerSettings | None = None) -> RPCLimits:
        s = settings or get_settings()
        return cls(
            gas_cap=s.rpc_gas_cap,
            evm_timeout=s.rpc_evm_timeout,
            batch_items=s.rpc_batch_items,
            batch_timeout=s.rpc_batch_timeout,
            response_max=s.rpc_response_max,
            log_block_range=s.rpc_log_block_range,
            log_results=s.rpc_log_results,
            read_timeout=s.rpc_read_timeout,
            dev_methods=s.rpc_dev_methods,
        )


class Budget:
    """The time one HTTP request (a single call or a whole batch) may still use."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()
