"""Reading event logs over any block range, in pages every node serves.

Nodes bound what one `eth_getLogs` may scan (ours: `AGORA_RPC_LOG_BLOCK_RANGE`, 10,000 blocks
by default; hosted nodes often 2,000), so a history is read in windows.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

from ._tx import mapped_errors

LOG_PAGE = 2_000
"""Blocks per request: within every common node's limit."""


def fetch_logs(
    w3: Web3,
    *,
    address: str,
    topics: list[Any] | None = None,
    from_block: int,
    to_block: int | None = None,
    page: int = LOG_PAGE,
) -> list[Any]:
    """Every log of ``address`` matching ``topics`` from ``from_block`` to ``to_block`` (default: the head)."""
    last = w3.eth.block_number if to_block is None else to_block
    out: list[Any] = []
    with mapped_errors():
        for first in range(from_block, last + 1, page):
            query: dict[str, Any] = {"fromBlock": first, "toBlock": min(last, first + page - 1), "address": address}
            if topics is not None:
                query["topics"] = topics
            out.extend(w3.eth.get_logs(query))  # type: ignore[arg-type]
    return out
