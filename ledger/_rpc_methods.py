"""The Ethereum methods the chain server answers, as a mixin of `Dispatcher`.

Each method takes its JSON params; methods marked `reads` get a chain view first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from eth.abc import BlockHeaderAPI
from eth_utils import keccak

from . import _format as fmt
from ._embedded import EmbeddedChain
from ._evm import EVMTimeout
from ._jsonrpc import (
    INVALID_PARAMS,
    SERVER_ERROR,
    RPCError,
    address_filter,
    bloom_mask,
    bloom_may_match,
    call_object,
    hex_bytes,
    invalid,
    limit_error,
    log_matches,
    quantity,
    topic_filter,
)
from ._rpc_limits import Budget, ReadClock, RPCLimits
from ._view import ChainView, GasCapExceeded, context_header


def reads(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a method that reads through a chain view (passed as its first argument)."""
    fn._reads = True  # type: ignore[attr-defined]
    return fn


class ChainMethods:
    """The method table: ``rpc_<name>`` answers ``<name>``."""

    chain: EmbeddedChain
    limits: RPCLimits
    client_version: str
    _local: threading.local

    def _too_large(self, what: str) -> RPCError:
        return limit_error(f"{what} too large: more than {self.limits.response_max} bytes", "rpc_response_max")

    def _batch_timeout(self) -> RPCError:
        return limit_error(f"request timed out: the batch used its {self.limits.batch_timeout:g}s", "rpc_batch_timeout")

    # -- limits ----------------------------------------------------------------------------
    def _call_timeout(self) -> float:
        budget: Budget | None = getattr(self._local, "budget", None)
        if budget is None:
            return self.limits.evm_timeout
        remaining = budget.remaining()
        if remaining <= 0:
            raise self._batch_timeout()
        return min(self.limits.evm_timeout, remaining)

    def _timeout_error(self, exc: EVMTimeout) -> RPCError:
        if exc.seconds < self.limits.evm_timeout:
            return self._batch_timeout()
        return limit_error(f"execution aborted (timeout = {exc.seconds:g}s)", "rpc_evm_timeout")

    def _gas(self, tx: dict[str, Any], header: BlockHeaderAPI) -> int:
        """The gas a call runs with: as asked, else the cap; never more than the cap."""
        cap = min(self.limits.gas_cap, header.gas_limit) if "gas" not in tx else self.limits.gas_cap
        gas = int(tx.get("gas", cap))
        if gas > self.limits.gas_cap:
            raise GasCapExceeded(gas, self.limits.gas_cap)
        return gas

    # -- block parameters -------------------------------------------------------------------
    @staticmethod
    def _block(view: ChainView, tag: Any = "latest") -> BlockHeaderAPI:
        if isinstance(tag, dict):
            if "blockHash" in tag:
                header = view.header_by_hash(hex_bytes(tag["blockHash"], "blockHash", size=32))
                if header is None:
                    raise RPCError(SERVER_ERROR, f"block {tag['blockHash']} not found")
                return header
            tag = tag.get("blockNumber", "latest")
        if tag in ("latest", "safe", "finalized", "pending", None):
            return view.head()
        if tag == "earliest":
            return view.header_at(0)
        number = quantity(tag, "block")
        head = view.head().block_number
        if number > head:
            raise RPCError(SERVER_ERROR, f"block {number} is beyond the head {head}")
        return view.header_at(number)

    def _exec_header(self, view: ChainView, tag: Any, tx: dict[str, Any]) -> BlockHeaderAPI:
        """The header a call runs in: the pending block (as anvil) unless an older one is named.

        Built from the view, without the writer's lock: a call never waits for a transaction.
        """
        if tag in (None, "pending", "latest"):
            return context_header(view.pending_header(self.chain.now()), None, tx)
        return context_header(view.head(), self._block(view, tag), tx)

    def _block_or_none(self, view: ChainView, tag: Any) -> BlockHeaderAPI | None:
        try:
            return self._block(view, tag)
        except RPCError as exc:
            if exc.code == INVALID_PARAMS:
                raise
            return None

    # -- methods: node ----------------------------------------------------------------------
    def rpc_web3_clientVersion(self) -> str:
        return self.client_version

    def rpc_web3_sha3(self, value: str) -> str:
        return fmt.data(keccak(hex_bytes(value, "data")))

    def rpc_net_version(self) -> str:
        return str(self.chain.chain_id)

    def rpc_net_listening(self) -> bool:
        return True

    def rpc_eth_chainId(self) -> str:
        return fmt.qty(self.chain.chain_id)

    def rpc_eth_syncing(self) -> bool:
        return False

    def rpc_eth_accounts(self) -> list[str]:
        if not self.limits.dev_methods:
            return []
        return [k.public_key.to_checksum_address() for k in self.chain.dev_keys]

    @reads
    def rpc_eth_blockNumber(self, view: ChainView) -> str:
        return fmt.qty(view.head().block_number)

    @reads
    def rpc_eth_gasPrice(self, view: ChainView) -> str:
        return fmt.qty(fmt.base_fee(view.head()) + 10**9)

    def rpc_eth_maxPriorityFeePerGas(self) -> str:
        return fmt.qty(10**9)

    @reads
    def rpc_eth_feeHistory(
        self, view: ChainView, count: Any, newest: Any, percentiles: list[float] | None = None
    ) -> dict[str, Any]:
        n = quantity(count, "blockCount")
        if not 1 <= n <= 1024:
            raise invalid("blockCount must be between 1 and 1024")
        if percentiles is not None and (
            not isinstance(percentiles, list)
            or len(percentiles) > 100
            or not all(isinstance(p, int | float) and not isinstance(p, bool) and 0 <= p <= 100 for p in percentiles)
        ):
            raise invalid("rewardPercentiles must be at most 100 numbers between 0 and 100")
        last = self._block(view, newest).block_number
        first = max(0, last - n + 1)
        base_fees, ratios, rewards = [], [], []
        header = None
        clock = self._read_clock()
        for number in range(first, last + 1):
            clock.check()
            header = view.header_at(number)
            base_fees.append(fmt.qty(fmt.base_fee(header)))
            ratios.append(header.gas_used / header.gas_limit)
            if percentiles:
                tips = sorted(_tips(view.block(header)))
                rewards.append([fmt.qty(_percentile(tips, p)) for p in percentiles])
        assert header is not None
        base_fees.append(fmt.qty(_next_base_fee(header)))
        out: dict[str, Any] = {"oldestBlock": fmt.qty(first), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles:
            out["reward"] = rewards
        return out

    # -- methods: state ---------------------------------------------------------------------
    def _state(self, view: ChainView, tag: Any) -> Any:
        return view.state_at(self._block(view, tag))

    @reads
    def rpc_eth_getBalance(self, view: ChainView, account: str, tag: Any = "latest") -> str:
        return fmt.qty(self._state(view, tag).get_balance(hex_bytes(account, "address", size=20)))

    @reads
    def rpc_eth_getCode(self, view: ChainView, account: str, tag: Any = "latest") -> str:
        return fmt.data(self._state(view, tag).get_code(hex_bytes(account, "address", size=20)))

    @reads
    def rpc_eth_getTransactionCount(self, view: ChainView, account: str, tag: Any = "latest") -> str:
        return fmt.qty(self._state(view, tag).get_nonce(hex_bytes(account, "address", size=20)))

    @reads
    def rpc_eth_getStorageAt(self, view: ChainView, account: str, slot: Any, tag: Any = "latest") -> str:
        state = self._state(view, tag)
        value = state.get_storage(hex_bytes(account, "address", size=20), quantity(slot, "slot"))
        return fmt.data(value.to_bytes(32, "big"))

    @reads
    def rpc_eth_call(self, view: ChainView, tx: Any, tag: Any = "latest", overrides: Any = None) -> str:
        if overrides:
            raise invalid("state overrides are not supported")
        parsed = call_object(tx)
        header = self._exec_header(view, tag, parsed)
        parsed["gas"] = self._gas(parsed, header)
        return fmt.data(view.call(parsed, header, timeout=self._call_timeout()))

    @reads
    def rpc_eth_estimateGas(self, view: ChainView, tx: Any, tag: Any = None) -> str:
        parsed = call_object(tx)
        header = self._exec_header(view, tag, parsed)
        cap = min(self._gas(parsed, header), header.gas_limit)
        return fmt.qty(view.estimate_gas(parsed, header, cap=cap, timeout=self._call_timeout()))

    # -- methods: transactions --------------------------------------------------------------
    def rpc_eth_sendRawTransaction(self, raw: str) -> str:
        return fmt.data(self.chain.send_raw_transaction(hex_bytes(raw, "raw transaction")))

    def rpc_agora_sendRawTransactionChecked(self, raw: str) -> str:
        """`eth_sendRawTransaction`, except that a transaction whose execution reverts is refused
        with the revert (as `eth_call` answers it) instead of mined: nothing of it is kept, its
        nonce stays unused. One execution where a check by `eth_call` and the send take two.
        Its gas limit is held to the calls' cap: a refusal is paid by nobody, as a call is not;
        its revert data is cut at `rpc.ACTED_REVERT_MAX` bytes (a contract's error is far less)."""
        transaction = hex_bytes(raw, "raw transaction")
        return fmt.data(self.chain.send_raw_transaction(transaction, checked=True, max_gas=self.limits.gas_cap))

    def rpc_eth_sendTransaction(self, tx: Any) -> str:
        parsed = call_object(tx)
        if "from" not in parsed:
            raise invalid("from is required")
        if not self.chain.has_key(parsed["from"]):
            raise RPCError(SERVER_ERROR, f"no key for {tx['from']}: eth_sendTransaction signs only for eth_accounts")
        if "gas" in parsed and parsed["gas"] > self.limits.gas_cap:
            raise GasCapExceeded(parsed["gas"], self.limits.gas_cap)
        return fmt.data(self.chain.send_transaction(parsed, timeout=self._call_timeout()))

    @reads
    def rpc_eth_getTransactionByHash(self, view: ChainView, tx_hash: str) -> dict[str, Any] | None:
        found = view.transaction_location(hex_bytes(tx_hash, "transaction hash", size=32))
        if found is None:
            return None
        block, index = found
        return fmt.transaction_json(block.transactions[index], block.header, index)

    @reads
    def rpc_eth_getTransactionReceipt(self, view: ChainView, tx_hash: str) -> dict[str, Any] | None:
        found = view.transaction_location(hex_bytes(tx_hash, "transaction hash", size=32))
        if found is None:
            return None
        block, index = found
        return fmt.receipt_json(block, view.recent_receipts(block), index)

    # -- methods: blocks and logs -----------------------------------------------------------
    @reads
    def rpc_eth_getBlockByNumber(self, view: ChainView, tag: Any, full: bool = False) -> dict[str, Any] | None:
        header = self._block_or_none(view, tag)
        return None if header is None else fmt.block_json(view.block(header), full=bool(full))

    @reads
    def rpc_eth_getBlockByHash(self, view: ChainView, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        header = view.header_by_hash(hex_bytes(block_hash, "block hash", size=32))
        return None if header is None else fmt.block_json(view.block(header), full=bool(full))

    @reads
    def rpc_eth_getBlockTransactionCountByNumber(self, view: ChainView, tag: Any) -> str | None:
        header = self._block_or_none(view, tag)
        return None if header is None else fmt.qty(len(view.block(header).transactions))

    @reads
    def rpc_eth_getLogs(self, view: ChainView, query: Any) -> list[dict[str, Any]]:
        if not isinstance(query, dict):
            raise invalid("expected a filter object")
        addresses = address_filter(query.get("address"))
        topics = topic_filter(query.get("topics"))
        if "blockHash" in query:
            header = view.header_by_hash(hex_bytes(query["blockHash"], "blockHash", size=32))
            if header is None:
                raise RPCError(SERVER_ERROR, f"block {query['blockHash']} not found")
            first = last = header.block_number
        else:
            first = self._block(view, query.get("fromBlock", "latest")).block_number
            last = self._block(view, query.get("toBlock", "latest")).block_number
        span = self.limits.log_block_range
        if last - first + 1 > span:
            raise limit_error(
                f"block range {first}..{last} is more than {span} blocks: ask in parts", "rpc_log_block_range"
            )
        address_masks = [bloom_mask(a) for a in addresses or ()]
        topic_masks = [None if options is None else [bloom_mask(t) for t in options] for options in topics]
        clock = self._read_clock()
        logs: list[dict[str, Any]] = []
        size = 0
        for number in range(first, last + 1):
            clock.check()
            header = view.header_at(number)
            if not header.bloom or not bloom_may_match(header.bloom, address_masks, topic_masks):
                continue
            for entry in self._block_logs(view, header, addresses, topics):
                logs.append(entry)
                size += 400 + len(entry["data"]) + 70 * len(entry["topics"])
            if len(logs) > self.limits.log_results:
                raise limit_error(
                    f"query returned more than {self.limits.log_results} results: ask for a smaller block range",
                    "rpc_log_results",
                )
            if size > self.limits.response_max:
                raise self._too_large("response")
        return logs

    def _read_clock(self) -> ReadClock:
        budget: Budget | None = getattr(self._local, "budget", None)
        seconds = self.limits.read_timeout
        if budget is not None:
            seconds = min(seconds, budget.remaining())
        return ReadClock(seconds, self.limits.read_timeout)

    @staticmethod
    def _block_logs(
        view: ChainView, header: BlockHeaderAPI, addresses: set[bytes] | None, topics: list[set[bytes] | None]
    ) -> list[dict[str, Any]]:
        block = view.block(header)
        out, log_index = [], 0
        for tx_index, receipt in enumerate(view.receipts(block)):
            for entry in receipt.logs:
                if log_matches(entry, addresses, topics):
                    out.append(
                        fmt.log_json(
                            entry,
                            header=header,
                            tx_hash=block.transactions[tx_index].hash,
                            tx_index=tx_index,
                            log_index=log_index,
                        )
                    )
                log_index += 1
        return out

    # -- methods: development controls (off with AGORA_RPC_DEV_METHODS=false) ----------------
    def rpc_evm_snapshot(self) -> str:
        return fmt.qty(self.chain.snapshot())

    def rpc_evm_revert(self, snapshot_id: Any) -> bool:
        return self.chain.revert(quantity(snapshot_id, "snapshot id"))

    def rpc_evm_increaseTime(self, seconds: Any) -> int:
        return self.chain.increase_time(quantity(seconds, "seconds"))

    def rpc_evm_mine(self, options: Any = None) -> str:
        if options is not None:
            raise invalid("evm_mine mines one block now: it takes no timestamp or options here")
        self.chain.mine()
        return "0x0"


def _tips(block: Any) -> list[int]:
    base = fmt.base_fee(block.header)
    out = []
    for tx in block.transactions:
        if tx.type_id in (None, 0, 1):
            out.append(max(0, tx.gas_price - base))
        else:
            out.append(min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base))
    return out


def _percentile(sorted_values: list[int], p: float) -> int:
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))
    return sorted_values[index]


def _next_base_fee(header: BlockHeaderAPI) -> int:
    """EIP-1559: the base fee of the block after ``header``."""
    target = header.gas_limit // 2
    base = fmt.base_fee(header)
    if header.gas_used == target:
        return base
    delta = base * abs(header.gas_used - target) // target // 8
    return base + max(delta, 1) if header.gas_used > target else base - delta
