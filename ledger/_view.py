"""Reading the embedded chain and running calls on it, beside the one writer.

A `ChainView` wraps a py-evm chain object over a database connection of its own: blocks,
receipts, state and EVM calls at blocks already committed. The writer holds its lock only
while it mines; views answer meanwhile, so a slow `eth_call` never stops anyone else.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI
from eth.chains.base import MiningChain
from eth.exceptions import HeaderNotFound, Revert, TransactionNotFound
from eth.vm.spoof import SpoofTransaction
from eth_typing import BlockNumber, Hash32

from ._evm import deadline

_FEE_FIELDS = ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas")
MAX_TIMESTAMP = 2**64 - 1
"""Block timestamps are uint64 in the header; the chain clock never passes this."""
_ZERO_ADDRESS = b"\x00" * 20


class Reverted(Exception):
    """Raised when a call or gas estimate ends in REVERT (or another EVM error)."""

    def __init__(self, data: bytes, message: str = "execution reverted") -> None:
        super().__init__(message)
        self.data = data
        self.message = message


class GasCapExceeded(Exception):
    """Raised when a call asks for more gas than the cap allows."""

    def __init__(self, gas: int, cap: int) -> None:
        super().__init__(f"gas {gas} exceeds the gas cap {cap}")
        self.gas = gas
        self.cap = cap


LOCATED = 4_096
"""Transactions of recent blocks whose place is kept (a block holds a few hundred at most)."""


class RecentBlocks:
    """The last few blocks and their receipts, decoded, by block hash, for a chain's views to share.

    A block's hash fixes its transactions and receipts, so an entry is never stale (a block
    that `evm_revert` dropped is simply not asked for: views check the canonical chain first).
    Each client asking for its receipt in a block of n transactions would otherwise decode all
    n transactions and n receipts again.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[bytes, str], Any] = OrderedDict()
        self._loading: dict[tuple[bytes, str], Future[Any]] = {}
        self._located: OrderedDict[bytes, tuple[bytes, int]] = OrderedDict()  # tx: (block hash, index)
        self._lock = threading.Lock()

    def get(self, block_hash: bytes, kind: str, load: Callable[[], Any]) -> Any:
        """The entry, loaded once: readers asking for it while it loads wait for that load (eight
        senders asking for their receipts in the block just mined would each decode it)."""
        key = (block_hash, kind)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            loading = self._loading.get(key)
            if loading is None:
                self._loading[key] = mine = Future[Any]()
        if loading is not None:
            return loading.result()
        try:
            value = load()
        except BaseException as exc:
            with self._lock:
                del self._loading[key]
            mine.set_exception(exc)
            raise
        with self._lock:
            del self._loading[key]
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        mine.set_result(value)
        return value

    def put_block(self, block: BlockAPI, receipts: tuple[Any, ...]) -> None:
        """Keeps a block just committed and its receipts, decoded as its writer has them, and
        where each of its transactions is: its senders ask for their receipts next."""
        with self._lock:
            self._entries[(block.hash, "block")] = block
            self._entries[(block.hash, "receipts")] = receipts
            for index, transaction in enumerate(block.transactions):
                self._located[transaction.hash] = (block.hash, index)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
            while len(self._located) > LOCATED:
                self._located.popitem(last=False)

    def locate(self, tx_hash: bytes) -> tuple[BlockAPI, int] | None:
        """The recent block holding ``tx_hash`` and its index there, when both are still kept."""
        with self._lock:
            found = self._located.get(tx_hash)
            block = None if found is None else self._entries.get((found[0], "block"))
        return None if found is None or block is None else (block, found[1])

    def forget_locations(self) -> None:
        """Forgets where transactions are: `evm_revert` took their blocks off the canonical chain."""
        with self._lock:
            self._located.clear()


class ChainView:
    """Committed blocks, receipts, state and EVM calls over one chain object."""

    def __init__(self, chain: MiningChain, *, chain_id: int, recent: RecentBlocks) -> None:
        self.chain = chain
        self.chain_id = chain_id
        self.recent = recent

    # -- blocks --------------------------------------------------------------------------------
    def head(self) -> BlockHeaderAPI:
        """The latest committed block's header."""
        return self.chain.chaindb.get_canonical_head()

    def header_at(self, number: int) -> BlockHeaderAPI:
        return self.chain.chaindb.get_canonical_block_header_by_number(BlockNumber(number))

    def header_by_hash(self, block_hash: bytes) -> BlockHeaderAPI | None:
        try:
            header = self.chain.chaindb.get_block_header_by_hash(Hash32(block_hash))
            canonical = self.chain.chaindb.get_canonical_block_hash(header.block_number)
        except (HeaderNotFound, KeyError):
            return None
        return header if canonical == block_hash else None

    def block(self, header: BlockHeaderAPI) -> BlockAPI:
        return self.chain.get_block_by_header(header)

    def receipts(self, block: BlockAPI) -> tuple[Any, ...]:
        return tuple(block.get_receipts(self.chain.chaindb))

    def recent_block(self, header: BlockHeaderAPI) -> BlockAPI:
        """`block`, kept among the recent ones: for lookups by transaction, not for scans."""
        return self.recent.get(header.hash, "block", lambda: self.block(header))  # type: ignore[no-any-return]

    def recent_receipts(self, block: BlockAPI) -> tuple[Any, ...]:
        """`receipts`, kept among the recent ones: for lookups by transaction, not for scans."""
        return self.recent.get(block.hash, "receipts", lambda: self.receipts(block))  # type: ignore[no-any-return]

    def transaction_location(self, tx_hash: bytes) -> tuple[BlockAPI, int] | None:
        """The canonical block holding ``tx_hash`` and its index there (an O(1) index lookup)."""
        recent = self.recent.locate(tx_hash)
        if recent is not None:
            return recent
        try:
            number, index = self.chain.chaindb.get_transaction_index(Hash32(tx_hash))
            if number > self.head().block_number:
                return None  # in a block that evm_revert dropped (its number still maps to it)
            block = self.recent_block(self.header_at(number))
        except (TransactionNotFound, HeaderNotFound):
            return None
        if index >= len(block.transactions) or block.transactions[index].hash != tx_hash:
            return None  # indexed once, then dropped from the canonical chain by evm_revert
        return block, index

    def pending_header(self, now: int) -> BlockHeaderAPI:
        """The next block's header dated ``now`` (never before its parent), as a call sees it."""
        parent = self.head()
        stamp = min(MAX_TIMESTAMP, max(parent.timestamp, now))
        return self.chain.create_header_from_parent(parent, timestamp=stamp)

    def state_at(self, header: BlockHeaderAPI) -> Any:
        return self.chain.get_vm(at_header=header).state

    # -- calls ---------------------------------------------------------------------------------
    def call(self, tx: dict[str, Any], header: BlockHeaderAPI, *, timeout: float | None = None) -> bytes:
        """Executes ``tx`` in the context of ``header`` without mining it.

        Raises `Reverted` with the revert data, or `EVMTimeout` after ``timeout`` seconds.
        """
        with deadline(timeout):
            computation = self._run(tx, header)
        if computation.is_error:
            raise reverted(computation.error)
        return bytes(computation.output)

    def estimate_gas(
        self, tx: dict[str, Any], header: BlockHeaderAPI, *, cap: int, timeout: float | None = None
    ) -> int:
        """A gas limit of at most ``cap`` with which ``tx`` succeeds; raises `Reverted` when none does.

        One run at the cap measures what is used; a second run confirms that amount plus the
        63/64 reserve of nested calls. Only when that fails does a binary search follow. The
        time limit covers every run.
        """
        with deadline(timeout):
            first = self._run({**tx, "gas": cap}, header)
            if first.is_error:
                raise reverted(first.error)
            guess = min(cap, (cap - first.get_gas_remaining()) * 64 // 63 + 2_300)
            if not self._run({**tx, "gas": guess}, header).is_error:
                return guess
            low, high = guess, cap
            while high - low > 1_000:
                mid = (low + high) // 2
                if self._run({**tx, "gas": mid}, header).is_error:
                    low = mid
                else:
                    high = mid
            return high

    def _run(self, tx: dict[str, Any], header: BlockHeaderAPI) -> ComputationAPI:
        vm = self.chain.get_vm(at_header=header)
        state = vm.build_state(self.chain.chaindb.db, header, vm.chain_context, vm.previous_hashes or ())  # type: ignore[attr-defined]
        snapshot = state.snapshot()
        try:
            computation: ComputationAPI = state.apply_transaction(self._unsigned(vm, state, tx, header))  # type: ignore[arg-type]
            return computation
        finally:
            state.revert(snapshot)

    def _unsigned(self, vm: Any, state: Any, tx: dict[str, Any], header: BlockHeaderAPI) -> SpoofTransaction:
        sender = tx.get("from", _ZERO_ADDRESS)
        common = {
            "nonce": tx.get("nonce", state.get_nonce(sender)),
            "gas": tx.get("gas", header.gas_limit),
            "to": tx.get("to", b""),
            "value": tx.get("value", 0),
            "data": tx.get("data", b""),
        }
        if "max_fee_per_gas" in tx or "max_priority_fee_per_gas" in tx:
            priority = tx.get("max_priority_fee_per_gas", min(tx.get("max_fee_per_gas", 0), 10**9))
            max_fee = tx.get("max_fee_per_gas", priority + 2 * int(header.base_fee_per_gas or 0))
            unsigned = vm.get_transaction_builder().new_unsigned_dynamic_fee_transaction(
                chain_id=self.chain_id,
                max_priority_fee_per_gas=priority,
                max_fee_per_gas=max_fee,
                access_list=(),
                **common,
            )
        else:
            # A call without a price costs nothing, as in geth.
            unsigned = vm.create_unsigned_transaction(gas_price=tx.get("gas_price", 0), **common)
        return SpoofTransaction(unsigned, from_=sender)


def context_header(pending: BlockHeaderAPI, block: BlockHeaderAPI | None, tx: dict[str, Any]) -> BlockHeaderAPI:
    """The header a call runs in: a mined block, or (None) the pending one, as anvil does.

    A call that names no fee runs with a zero base fee, as in geth and anvil.
    """
    header = block if block is not None else pending
    if not any(k in tx for k in _FEE_FIELDS):
        header = header.copy(base_fee_per_gas=0)
    return header


def reverted(error: BaseException | None) -> Reverted:
    """The `Reverted` of a computation's error: its revert data, or the error named."""
    if isinstance(error, Revert):
        data = error.args[0] if error.args and isinstance(error.args[0], bytes) else b""
        return Reverted(data)
    return Reverted(b"", f"execution failed: {type(error).__name__}{': ' + str(error) if str(error) else ''}")
