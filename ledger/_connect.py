"""Finding the chain: a node by URL, a running `agora chain serve`, or the embedded chain itself."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import orjson
import requests
from web3 import Web3

from ._embedded import ChainInUse, EmbeddedChain
from .errors import ChainUnavailable
from .provider import connect
from .settings import DEFAULT_RPC_URL

log = logging.getLogger(__name__)


@dataclass
class ChainHandle:
    """A connected `Web3`, and the embedded chain behind it when it runs in this process."""

    w3: Web3
    url: str | None
    embedded: EmbeddedChain | None = None

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.close()

    @property
    def description(self) -> str:
        return self.url or "embedded chain (in-process)"


def _answers(url: str, timeout: float) -> bool:
    """Whether a JSON-RPC node answers at ``url`` (whatever listens there is read as untrusted)."""
    try:
        with requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=timeout, stream=True
        ) as reply:
            answer = orjson.loads(reply.raw.read(65_536)) if reply.ok else None
        return isinstance(answer, dict) and "result" in answer
    except (requests.RequestException, ValueError, OSError):
        return False


def open_chain(*, home: Path, rpc_url: str | None) -> ChainHandle:
    """Connects to ``rpc_url`` when given; else to a chain served on the default port; else opens
    the embedded chain under ``home`` in this process."""
    if rpc_url:
        if not _answers(rpc_url, timeout=5.0):
            raise ChainUnavailable(f"no Ethereum JSON-RPC node answers at {rpc_url}")
        return ChainHandle(connect(rpc_url), rpc_url)
    if _answers(DEFAULT_RPC_URL, timeout=0.5):
        return ChainHandle(connect(DEFAULT_RPC_URL), DEFAULT_RPC_URL)
    try:
        chain = EmbeddedChain(home)
    except ChainInUse as exc:
        raise ChainUnavailable(str(exc)) from None
    return ChainHandle(connect(chain=chain), None, chain)
