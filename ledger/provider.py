"""Connecting web3 to a chain: the embedded one in-process, or any node by URL."""

from __future__ import annotations

from typing import Any, cast

import orjson
from web3 import Web3
from web3.providers import BaseProvider, HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from ._embedded import EmbeddedChain
from .rpc import Dispatcher, RPCError


class EmbeddedProvider(BaseProvider):
    """A web3 provider that answers through the same `Dispatcher` as `agora chain serve`."""

    def __init__(self, chain: EmbeddedChain) -> None:
        super().__init__()
        self.chain = chain
        self.dispatcher = Dispatcher(chain)
        self._id = 0

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self._id += 1
        if method == "eth_chainId":  # asked before every call by web3: answer without the lock
            return {"jsonrpc": "2.0", "id": self._id, "result": hex(self.chain.chain_id)}
        try:
            result = self.dispatcher.call(method, list(params))
        except RPCError as exc:
            return {"jsonrpc": "2.0", "id": self._id, "error": exc.to_json()}  # type: ignore[typeddict-item]
        return {"jsonrpc": "2.0", "id": self._id, "result": result}

    def is_connected(self, show_traceback: bool = False) -> bool:  # noqa: ARG002 - web3 signature
        return True


class UntrustingHTTPProvider(HTTPProvider):
    """web3's HTTP provider, parsing answers as untrusted input: JSON nested at most 1,024 deep.

    Every process of ours imports py-evm, which raises the recursion limit to 100,000; web3's
    own parser would then crash the process on a node's deeply nested answer instead of raising.
    """

    @staticmethod
    def decode_rpc_response(raw_response: bytes) -> RPCResponse:
        return cast(RPCResponse, orjson.loads(raw_response))


def connect(url: str | None = None, *, chain: EmbeddedChain | None = None, timeout: int = 30) -> Web3:
    """A `Web3` for ``url`` (http, ws or ipc path), or for ``chain`` in-process."""
    if chain is not None:
        return Web3(EmbeddedProvider(chain))
    if url is None:
        raise ValueError("connect() needs a url or an embedded chain")
    if url.startswith(("ws://", "wss://")):
        raise ValueError("websocket URLs need an async client; use the node's http endpoint")
    if url.startswith(("http://", "https://")):
        # Caching lets web3 ask eth_chainId once, not before every eth_call. Only that: web3 caches
        # a block asked for by number only once it is an hour old, and to tell it asks the node for
        # the block a second time on every such call (and a cached block would hide a dev chain's
        # reorganisation from the indexer).
        provider = UntrustingHTTPProvider(
            url,
            request_kwargs={"timeout": timeout},
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
            request_cache_validation_threshold=None,
        )
        return Web3(provider)
    return Web3(Web3.IPCProvider(url, timeout=timeout))
