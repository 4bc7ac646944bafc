"""The embedded chain: py-evm through eth-tester, persisted to SQLite, one block per transaction."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI, ReceiptAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.constants import GENESIS_PARENT_HASH, ZERO_ADDRESS
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.db.chain import ChainDB
from eth.exceptions import CanonicalHeadNotFound, HeaderNotFound, Revert, TransactionNotFound
from eth.vm.forks import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    generate_genesis_state_for_keys,
    get_account_keys_from_mnemonic,
    get_default_genesis_params,
)
from eth_typing import BlockNumber, Hash32
from eth_utils import to_wei

from ._kv import SqliteKV

log = logging.getLogger(__name__)

CHAIN_ID = 31337
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_HD_PATH = "m/44'/60'/0'/0"
DEV_ACCOUNTS = 10
DEV_BALANCE = to_wei(10_000, "ether")
GAS_LIMIT = 30_000_000
_TIME_OFFSET_KEY = b"agora:time-offset"


class Reverted(Exception):
    """Raised when a call or gas estimate ends in REVERT (or another EVM error)."""

    def __init__(self, data: bytes, message: str = "execution reverted") -> None:
        super().__init__(message)
        self.data = data
        self.message = message


class ChainInUse(Exception):
    """Raised when another process holds the chain's state directory."""


class AgoraPragueVM(PragueVM):  # type: ignore[misc]
    """Prague, except that a block may share its parent's timestamp.

    The embedded chain mines one block per transaction; requiring each block to be a second
    later would push block time ahead of the wall clock under load, and every deadline in
    seconds with it. Blocks mined within one second share that second instead.
    """

    @classmethod
    def validate_header(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        if parent_header is not None and header.timestamp == parent_header.timestamp:
            header = header.copy(timestamp=header.timestamp + 1)
        super().validate_header(header, parent_header)


class AgoraDevChain(MiningChain):
    """Prague rules (with same-second blocks), chain id 31337, constant gas limit."""

    chain_id = CHAIN_ID
    vm_configuration = ((BlockNumber(0), AgoraPragueVM),)

    def create_header_from_parent(self, parent_header: BlockHeaderAPI, **header_params: Any) -> BlockHeaderAPI:
        header_params["gas_limit"] = parent_header.gas_limit
        return super().create_header_from_parent(parent_header, **header_params)

    def get_transaction_builder(self) -> Any:
        return self.get_vm().get_transaction_builder()


class _PersistentBackend(PyEVMBackend):  # type: ignore[misc]
    """eth-tester's py-evm backend over a database we supply instead of a fresh in-memory one."""

    def __init__(self, base_db: AtomicDB, account_keys: tuple[PrivateKey, ...]) -> None:
        self._base_db = base_db
        self._keys = account_keys
        super().__init__()

    def reset_to_genesis(self, *_args: Any, **_kwargs: Any) -> None:
        self.account_keys = self._keys
        try:
            ChainDB(self._base_db).get_canonical_head()
            self.chain = AgoraDevChain(self._base_db)
        except CanonicalHeadNotFound:
            params = get_default_genesis_params({"gas_limit": GAS_LIMIT})
            state = generate_genesis_state_for_keys(self._keys, overrides={"balance": DEV_BALANCE})
            self.chain = AgoraDevChain.from_genesis(self._base_db, params, state)  # type: ignore[assignment]


class EmbeddedChain:
    """A persistent development chain that mines one block per transaction.

    With ``home`` the chain lives in ``home/chain.sqlite`` and every mined block is committed
    before the call that mined it returns; without it the chain is kept in memory.
    """

    def __init__(self, home: Path | None = None, *, accounts: int = DEV_ACCOUNTS) -> None:
        self._lock = threading.RLock()
        self._kv: SqliteKV | None = None
        self._lockfile: Any = None
        if home is None:
            raw: Any = MemoryDB()
        else:
            self._lockfile = _exclusive_lock(Path(home))
            self._kv = raw = SqliteKV(
                Path(home) / "chain.sqlite", synchronous=os.environ.get("AGORA_CHAIN_SYNC", "FULL")
            )
        self._db = AtomicDB(raw)
        keys = get_account_keys_from_mnemonic(DEV_MNEMONIC, quantity=accounts, hd_path=DEV_HD_PATH)
        self.backend = _PersistentBackend(self._db, keys)
        self._time_offset = int(self._db.get(_TIME_OFFSET_KEY, b"0").decode())
        self._snapshots: dict[int, tuple[bytes, int]] = {}
        self._next_snapshot = 1
        self._commit()

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def chain(self) -> AgoraDevChain:
        return self.backend.chain  # type: ignore[no-any-return]

    @property
    def chain_id(self) -> int:
        return CHAIN_ID

    @property
    def dev_keys(self) -> tuple[PrivateKey, ...]:
        return tuple(self.backend.account_keys)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialises access: py-evm is not thread-safe."""
        with self._lock:
            yield

    def _commit(self) -> None:
        if self._kv is not None:
            self._kv.commit()

    def _rollback(self) -> None:
        if self._kv is not None:
            self._kv.rollback()

    def close(self) -> None:
        """Closes the database; uncommitted work (there is none between calls) is dropped."""
        with self._lock:
            if self._kv is not None:
                self._kv.close()
                self._kv = None
            if self._lockfile is not None:
                self._lockfile.close()
                self._lockfile = None

    def now(self) -> int:
        """The chain's clock: wall time plus whatever `increase_time` added."""
        return int(time.time()) + self._time_offset

    def _refresh_pending(self) -> BlockHeaderAPI:
        """Dates the (empty) pending block now, so block.timestamp follows the wall clock."""
        chain = self.chain
        if not chain.get_block().transactions:
            parent = chain.get_canonical_head()
            stamp = max(parent.timestamp, self.now())
            if chain.header.timestamp != stamp:
                chain.header = chain.header.copy(timestamp=stamp)
        return chain.header

    # -- blocks --------------------------------------------------------------------------------
    def head(self) -> BlockHeaderAPI:
        """The latest mined block's header."""
        with self._lock:
            return self.chain.get_canonical_head()

    def header_at(self, number: int) -> BlockHeaderAPI:
        with self._lock:
            return self.chain.chaindb.get_canonical_block_header_by_number(BlockNumber(number))

    def header_by_hash(self, block_hash: bytes) -> BlockHeaderAPI | None:
        with self._lock:
            try:
                header = self.chain.chaindb.get_block_header_by_hash(Hash32(block_hash))
                canonical = self.chain.chaindb.get_canonical_block_hash(header.block_number)
            except (HeaderNotFound, KeyError):
                return None
            return header if canonical == block_hash else None

    def block(self, header: BlockHeaderAPI) -> BlockAPI:
        with self._lock:
            return self.chain.get_block_by_header(header)

    def receipts(self, block: BlockAPI) -> tuple[ReceiptAPI, ...]:
        with self._lock:
            return tuple(block.get_receipts(self.chain.chaindb))

    def transaction_location(self, tx_hash: bytes) -> tuple[BlockAPI, int] | None:
        """The canonical block holding ``tx_hash`` and its index there (an O(1) index lookup)."""
        with self._lock:
            try:
                number, index = self.chain.chaindb.get_transaction_index(Hash32(tx_hash))
                block = self.chain.get_canonical_block_by_number(number)
            except (TransactionNotFound, HeaderNotFound):
                return None
            if index >= len(block.transactions) or block.transactions[index].hash != tx_hash:
                return None  # indexed once, then dropped from the canonical chain by evm_revert
            return block, index

    # -- state ---------------------------------------------------------------------------------
    def state_at(self, header: BlockHeaderAPI) -> Any:
        return self.chain.get_vm(at_header=header).state

    # -- execution -----------------------------------------------------------------------------
    def _unsigned(self, tx: dict[str, Any], header: BlockHeaderAPI) -> SpoofTransaction:
        tx = dict(tx)
        sender = tx.pop("from", b"\x00" * 20)
        tx.setdefault("gas", header.gas_limit)
        if not any(k in tx for k in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas")):
            tx["gas_price"] = 0  # a call without a price costs nothing, as in geth
        tx.setdefault("nonce", self.chain.get_vm(at_header=header).state.get_nonce(sender))
        tx.setdefault("data", b"")
        tx.setdefault("value", 0)
        tx.setdefault("to", b"")
        normalized = self.backend._normalize_transaction({**tx, "from": sender})
        unsigned = self.backend._create_type_aware_unsigned_transaction(normalized)
        return SpoofTransaction(unsigned, from_=sender)

    def _context_header(self, block: BlockHeaderAPI | None, tx: dict[str, Any]) -> BlockHeaderAPI:
        """Header a call runs in: a mined block, or (None) the pending block as anvil does.

        A call that names no fee runs with a zero base fee, as in geth and anvil.
        """
        header = block if block is not None else self._refresh_pending()
        if not any(k in tx for k in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas")):
            header = header.copy(base_fee_per_gas=0)
        return header

    def _fresh_state(self, header: BlockHeaderAPI) -> Any:
        vm = self.chain.get_vm(at_header=header)
        return vm.build_state(self.chain.chaindb.db, header, vm.chain_context, vm.previous_hashes or ())  # type: ignore[attr-defined]

    def call(self, tx: dict[str, Any], block: BlockHeaderAPI | None = None) -> bytes:
        """Executes ``tx`` without mining it; raises `Reverted` with the revert data."""
        with self._lock:
            computation = self._run(tx, self._context_header(block, tx))
            if computation.is_error:
                raise _reverted(computation.error)
            return bytes(computation.output)

    def estimate_gas(self, tx: dict[str, Any], block: BlockHeaderAPI | None = None) -> int:
        """A gas limit with which ``tx`` succeeds; raises `Reverted` when none does.

        One run at the cap measures what is used; a second run confirms that amount plus the
        63/64 reserve of nested calls. Only when that fails does a binary search follow.
        """
        with self._lock:
            header = self._context_header(block, tx)
            cap = int(tx.get("gas", header.gas_limit))
            first = self._run({**tx, "gas": cap}, header)
            if first.is_error:
                raise _reverted(first.error)
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
        state = self._fresh_state(header)
        snapshot = state.snapshot()
        try:
            computation: ComputationAPI = state.apply_transaction(self._unsigned(tx, header))
            return computation
        finally:
            state.revert(snapshot)

    def _apply_and_mine(self, transaction: SignedTransactionAPI) -> bytes:
        self._refresh_pending()
        try:
            # One pass: apply and seal together (apply-then-mine persists the state twice).
            self.chain.mine_all([transaction], coinbase=ZERO_ADDRESS, mix_hash=os.urandom(32))
        except BaseException:
            self._rollback()
            raise
        self._commit()
        return bytes(transaction.hash)

    def send_raw_transaction(self, raw: bytes) -> bytes:
        """Decodes, applies and mines a signed transaction; returns its hash once durable."""
        with self._lock:
            transaction = self.chain.get_vm().get_transaction_builder().decode(raw)
            return self._apply_and_mine(transaction)

    def send_transaction(self, tx: dict[str, Any]) -> bytes:
        """Signs ``tx`` with the dev key of its ``from`` and sends it."""
        with self._lock:
            tx = dict(tx)
            if "gas" not in tx:
                tx["gas"] = self.estimate_gas(tx)
            if not any(k in tx for k in ("gas_price", "max_fee_per_gas")):
                base_fee = int(self._refresh_pending().base_fee_per_gas or 0)
                tx["max_priority_fee_per_gas"] = tx.get("max_priority_fee_per_gas", 10**9)
                tx["max_fee_per_gas"] = 2 * base_fee + tx["max_priority_fee_per_gas"]
            signed = self.backend._get_normalized_and_signed_evm_transaction(tx)
            return self._apply_and_mine(signed)

    def has_key(self, address: bytes) -> bool:
        return address in self.backend._key_lookup

    # -- dev controls --------------------------------------------------------------------------
    def mine(self, blocks: int = 1) -> None:
        with self._lock:
            for _ in range(blocks):
                self._refresh_pending()
                self.chain.mine_all([], coinbase=ZERO_ADDRESS, mix_hash=os.urandom(32))
            self._commit()

    def increase_time(self, seconds: int) -> int:
        """Moves the chain clock forward; returns the total offset."""
        with self._lock:
            self._time_offset += seconds
            self._db[_TIME_OFFSET_KEY] = str(self._time_offset).encode()
            self._commit()
            return self._time_offset

    def snapshot(self) -> int:
        with self._lock:
            sid = self._next_snapshot
            self._next_snapshot += 1
            self._snapshots[sid] = (self.head().hash, self._time_offset)
            return sid

    def revert(self, sid: int) -> bool:
        """Returns the chain to snapshot ``sid`` (dropping it and every later one)."""
        with self._lock:
            if sid not in self._snapshots:
                return False
            block_hash, offset = self._snapshots[sid]
            for later in [s for s in self._snapshots if s >= sid]:
                del self._snapshots[later]
            chaindb = self.chain.chaindb
            header = chaindb.get_block_header_by_hash(Hash32(block_hash))
            chaindb._set_as_canonical_chain_head(chaindb.db, header, GENESIS_PARENT_HASH)  # type: ignore[attr-defined]
            self.chain.header = self.chain.create_header_from_parent(header)
            self._time_offset = offset
            self._db[_TIME_OFFSET_KEY] = str(offset).encode()
            self._commit()
            return True


def _exclusive_lock(home: Path) -> Any:
    """Holds ``home/chain.lock`` so that one process at a time writes the chain."""
    home.mkdir(parents=True, exist_ok=True)
    fh = open(home / "chain.lock", "a+")  # noqa: SIM115 - held for the chain's lifetime
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise ChainInUse(f"the chain in {home} is open in another process (is `agora chain serve` running?)") from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def _reverted(error: BaseException | None) -> Reverted:
    if isinstance(error, Revert):
        data = error.args[0] if error.args and isinstance(error.args[0], bytes) else b""
        return Reverted(data)
    return Reverted(b"", f"execution failed: {type(error).__name__}{': ' + str(error) if str(error) else ''}")
