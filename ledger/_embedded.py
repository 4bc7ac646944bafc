"""The embedded chain: py-evm through eth-tester, persisted to SQLite; concurrent transactions share blocks."""

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

import rlp
from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth.constants import SECPK1_N
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.db.chain import ChainDB
from eth.exceptions import CanonicalHeadNotFound, UnrecognizedTransactionType
from eth_keys.datatypes import PrivateKey
from eth_keys.exceptions import BadSignature
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    generate_genesis_state_for_keys,
    get_account_keys_from_mnemonic,
    get_default_genesis_params,
)
from eth_utils import ValidationError, to_wei

from ._blocks import Sent, TransactionTimeout, seal
from ._devcontrols import DevControls
from ._evm import CHAIN_ID, AgoraDevChain, EVMTimeout
from ._kv import SqliteKV
from ._view import MAX_TIMESTAMP, ChainView, GasCapExceeded, RecentBlocks, Reverted, context_header
from .accounts import DEV_HD_PATH, DEV_MNEMONIC

log = logging.getLogger(__name__)

DEV_ACCOUNTS = 10
DEV_BALANCE = to_wei(10_000, "ether")
GAS_LIMIT = 30_000_000
GATHER = 0.008
"""Seconds a miner waits for senders of the recent blocks to come back before mining a smaller group."""
GROUPS = 16
"""Blocks whose group sizes say how many senders to wait for."""

__all__ = ["EVMTimeout", "GasCapExceeded", "Reverted", "TransactionTimeout"]


class InvalidTransaction(ValueError):
    """Raised when raw bytes do not decode to a transaction this chain knows."""


class ChainInUse(Exception):
    """Raised when another process holds the chain's state directory."""


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


class EmbeddedChain(DevControls):
    """A persistent development chain that mines transactions as they come (auto-mine).

    With ``home`` the chain lives in ``home/chain.sqlite`` and every mined block is committed
    before the call that mined it returns; without it the chain is kept in memory. One writer
    (behind a lock) mines: a transaction sent while it is busy waits, and the next block takes
    every waiting transaction, so a lone sender gets one block per transaction and concurrent
    senders share blocks. Reads and calls go through `view()`, which on a persistent chain is a
    connection of its own that needs no lock, so slow calls never hold up the writer or other
    readers.
    """

    def __init__(
        self, home: Path | None = None, *, accounts: int = DEV_ACCOUNTS, tx_timeout: float | None = None
    ) -> None:
        """``tx_timeout``: seconds a transaction may execute before this node refuses it (None: no limit)."""
        self.tx_timeout = tx_timeout
        self._lock = threading.RLock()
        self._queue: list[Sent] = []  # sent, waiting for the writer (guarded by _queue_lock)
        queue = threading.RLock()
        self._queue_lock = threading.Condition(queue)  # notified when a block is done or a miner stops
        self._mining = False  # a sender is mining the queue (or waiting for the writer's lock to)
        self._arrived = threading.Condition(queue)  # notified when a transaction is queued
        self._groups: list[int] = []  # sent at once around each of the last `GROUPS` blocks (guarded by _queue_lock)
        self._last_nonces: dict[bytes, int] = {}  # each sender the last block mined: its last nonce (_queue_lock)
        self._kv: SqliteKV | None = None
        self._lockfile: Any = None
        self._path: Path | None = None
        if home is None:
            raw: Any = MemoryDB()
        else:
            self._lockfile = _exclusive_lock(Path(home))
            self._path = Path(home) / "chain.sqlite"
            self._kv = raw = SqliteKV(self._path, synchronous=os.environ.get("AGORA_CHAIN_SYNC", "FULL"))
        self._db = AtomicDB(raw)
        keys = get_account_keys_from_mnemonic(DEV_MNEMONIC, quantity=accounts, hd_path=DEV_HD_PATH)
        self.backend = _PersistentBackend(self._db, keys)
        self._time_offset = self._load_time_offset()
        self._snapshots: dict[int, tuple[bytes, int]] = {}
        self._next_snapshot = 1
        self._views: list[tuple[ChainView, SqliteKV]] = []
        self._views_lock = threading.Lock()
        self._recent = RecentBlocks(32)  # 16 blocks with their receipts, for every view of this chain
        self._main_view = ChainView(self.chain, chain_id=CHAIN_ID, recent=self._recent)
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
        """Serialises access to the writer: py-evm is not thread-safe."""
        with self._lock:
            yield

    @contextmanager
    def view(self) -> Iterator[ChainView]:
        """A reader of committed blocks and state, for as long as the block lasts.

        On a persistent chain each view has a database connection of its own and takes no lock;
        an in-memory chain has one view, the writer's, behind the writer's lock.
        """
        if self._path is None:
            with self._lock:
                yield self._main_view
            return
        with self._views_lock:
            pair = self._views.pop() if self._views else None
        if pair is None:
            kv = SqliteKV(self._path, readonly=True)
            pair = (ChainView(AgoraDevChain(AtomicDB(kv)), chain_id=CHAIN_ID, recent=self._recent), kv)
        try:
            yield pair[0]
        finally:
            if self._kv is None:
                pair[1].close()
            else:
                with self._views_lock:
                    self._views.append(pair)

    def _commit(self) -> None:
        if self._kv is not None:
            self._kv.commit()

    def _rollback(self) -> None:
        if self._kv is not None:
            self._kv.rollback()

    def close(self) -> None:
        """Closes the database; uncommitted work (there is none between calls) is dropped."""
        with self._lock:
            with self._views_lock:
                for _, kv in self._views:
                    kv.close()
                self._views.clear()
            if self._kv is not None:
                self._kv.close()
                self._kv = None
            if self._lockfile is not None:
                self._lockfile.close()
                self._lockfile = None

    def _refresh_pending(self) -> BlockHeaderAPI:
        """Dates the (empty) pending block now, so block.timestamp follows the wall clock."""
        chain = self.chain
        if not chain.get_block().transactions:
            parent = chain.get_canonical_head()
            stamp = min(MAX_TIMESTAMP, max(parent.timestamp, self.now()))
            if chain.header.timestamp != stamp:
                chain.header = chain.header.copy(timestamp=stamp)
        return chain.header

    def pending_header(self) -> BlockHeaderAPI:
        """The header of the next block, dated now."""
        with self._lock:
            return self._refresh_pending()

    # -- reads (each through a view) --------------------------------------------------------------
    def head(self) -> BlockHeaderAPI:
        """The latest mined block's header."""
        with self.view() as view:
            return view.head()

    # -- execution -----------------------------------------------------------------------------
    def call(self, tx: dict[str, Any], block: BlockHeaderAPI | None = None, *, timeout: float | None = None) -> bytes:
        """Executes ``tx`` without mining it; raises `Reverted` with the revert data."""
        header = context_header(self.pending_header(), block, tx)
        with self.view() as view:
            return view.call(tx, header, timeout=timeout)

    def estimate_gas(
        self,
        tx: dict[str, Any],
        block: BlockHeaderAPI | None = None,
        *,
        cap: int | None = None,
        timeout: float | None = None,
    ) -> int:
        """A gas limit with which ``tx`` succeeds, at most ``cap``; raises `Reverted` when none does."""
        header = context_header(self.pending_header(), block, tx)
        limit = min(header.gas_limit, cap or header.gas_limit)
        gas = int(tx.get("gas", limit))
        if gas > limit:
            raise GasCapExceeded(gas, limit)
        with self.view() as view:
            return view.estimate_gas(tx, header, cap=gas, timeout=timeout)

    def _mine_until(self, sent: Sent) -> None:
        """Mines blocks of the waiting transactions until ``sent`` is mined (its block committed)
        or refused. Called with the writer's lock held."""
        while not sent.done.is_set():
            with self._queue_lock:
                group, self._queue = self._queue, []
            if not group:  # not done, yet nowhere: never mine empty blocks for it for ever
                raise RuntimeError("a transaction waiting for its block left the queue")
            deferred: list[Sent] = []
            try:
                self._refresh_pending()
                mined, deferred, block, receipts = seal(self.chain, group, tx_timeout=self.tx_timeout)
                if block is not None:
                    self._commit()
                    self._keep_for_readers(block, receipts)
                else:
                    self._rollback()  # every one refused: nothing of them is kept
            except BaseException as exc:
                self._rollback()
                self.chain.header = self.chain.create_header_from_parent(self.chain.get_canonical_head())
                deferred = []
                for other in group:
                    other.error = other.error or exc
                raise
            finally:
                with self._queue_lock:
                    self._queue[:0] = deferred  # first in the next block, in the order they came
                    for other in group:
                        if other not in deferred:
                            other.done.set()
                    self._queue_lock.notify_all()
            with self._queue_lock:
                self._groups = [*self._groups[-(GROUPS - 1) :], len(mined) + self._waiting_senders(mined)]

    def _waiting_senders(self, mined: list[Sent]) -> int:
        """How many senders that block or the one before mined queued their next transaction (the
        nonce after the last one mined) while it was mined: they were sending at once with it
        (eight senders taking turns in two groups of four). Each counts once. Nothing else does,
        whatever it costs nothing to send: a never-mined key's transactions (refused for want of
        funds), replays of mined ones (their nonces are used) or one key's flood of later nonces
        cannot make miners wait."""
        nonces: dict[bytes, int] = {}
        for sent in mined:
            transaction = sent.transaction
            nonces[transaction.sender] = max(nonces.get(transaction.sender, -1), transaction.nonce)
        recent, self._last_nonces = {**self._last_nonces, **nonces}, nonces
        waiting = (sent.transaction for sent in self._queue)
        return len({t.sender for t in waiting if t.sender in recent and t.nonce == recent[t.sender] + 1})

    def _keep_for_readers(self, block: BlockAPI, receipts: tuple[ReceiptAPI, ...]) -> None:
        """Hands a committed block and its receipts to the readers' cache: its senders ask for
        their receipts next. The block is durable already; a failure here costs readers only a
        lookup in the database."""
        try:
            self._recent.put_block(block, receipts)
        except Exception:  # noqa: BLE001 - a cache: never a reason to call a mined block failed
            log.exception("block %d is not kept for readers", block.number)

    def _gather(self) -> None:
        """Waits up to `GATHER` for as many transactions as were sending at once around the recent
        blocks: each block's own and its recent senders' next ones that queued while it was mined
        (`_waiting_senders`). Called with the queue's lock held, which waiting releases, before
        the writer's lock is taken, so readers and the senders it waits for go on. Senders whose
        block just committed are still reading their receipts and signing their next
        transactions while the next block starts: without the wait, eight senders split into two
        groups of ~4 taking turns, and each block's fixed cost (state root, commit) is shared by
        half as many. Counting only what each block mined, the turns kept themselves going (the
        miner always found the four it expected). A lone sender (recent blocks of one) never
        waits; a wait that runs out forgets the recent sizes, so a burst, or transactions sent
        only to be refused, cost the blocks after them at most one wait."""
        expect = max(self._groups, default=1)
        deadline = time.monotonic() + GATHER
        while len(self._queue) < expect:
            left = deadline - time.monotonic()
            if left <= 0:
                self._groups.clear()
                return
            self._arrived.wait(left)

    def _wait_or_mine(self, sents: list[Sent]) -> None:
        """Queues ``sents`` and returns once all are mined or refused: mined by whoever is mining
        already, or by this thread when nobody is. Waiting senders sleep until their block is
        committed (not on the writer's lock, which the next block may hold by then)."""
        with self._queue_lock:
            self._queue.extend(sents)
            self._arrived.notify()
            while self._mining and not all(s.done.is_set() for s in sents):
                self._queue_lock.wait()
            if all(s.done.is_set() for s in sents):
                return
            self._mining = True
            self._gather()
        try:
            with self._lock:
                for sent in sents:
                    self._mine_until(sent)  # the first call mines them all (the block's gas allowing)
        finally:
            with self._queue_lock:
                self._mining = False
                self._queue_lock.notify_all()  # someone still waiting takes over

    def decode_transaction(self, raw: bytes) -> SignedTransactionAPI:
        """A signed transaction from its wire bytes.

        Raises `InvalidTransaction` when the bytes are not a transaction this chain knows.
        """
        try:
            transaction: SignedTransactionAPI = self.chain.get_transaction_builder().decode(raw)
            # One recovery (py-evm's check recovered the key and verified with it, then `sender`
            # recovered it again): a signature a key recovers from is valid for it. A high s
            # (EIP-2), which that check let through and sealing refused, is refused here.
            sender = transaction.sender
            if transaction.s > SECPK1_N // 2:
                raise InvalidTransaction("the signature's s is above n/2 (EIP-2): a malleated signature")
        except (
            rlp.DecodingError,
            rlp.DeserializationError,
            UnrecognizedTransactionType,
            ValidationError,
            BadSignature,
        ) as exc:
            raise InvalidTransaction(f"undecodable transaction: {exc}") from None
        if getattr(transaction, "type_id", None) == 3:
            raise InvalidTransaction("blob transactions are not taken: this chain keeps no blobs")
        chain_id = getattr(transaction, "chain_id", None)
        if chain_id is not None and chain_id != CHAIN_ID:
            raise InvalidTransaction(f"transaction signed for chain {chain_id}, this is chain {CHAIN_ID}")
        priority, max_fee = (getattr(transaction, k, None) for k in ("max_priority_fee_per_gas", "max_fee_per_gas"))
        if priority is not None and max_fee is not None and priority > max_fee:
            raise InvalidTransaction(f"maxPriorityFeePerGas {priority} is above maxFeePerGas {max_fee}")
        log.debug("transaction %s from %s", transaction.hash.hex(), sender.hex())
        return transaction

    def send_raw_transaction(self, raw: bytes, *, checked: bool = False, max_gas: int | None = None) -> bytes:
        """Decodes, applies and mines a signed transaction; returns its hash once durable.

        Transactions sent while the writer is busy are mined together in its next block; each
        call returns when its own block is committed, or raises its own refusal (a refused
        transaction changes nothing and leaves the others of its block be). A ``checked`` one
        whose execution reverts is refused too, raising `Reverted` with its revert data (what
        an `eth_call` before it would say, but of the state it is mined on, in one execution).
        A transaction whose gas limit is over ``max_gas`` raises `GasCapExceeded` instead.
        """
        transaction = self.decode_transaction(raw)
        if max_gas is not None and transaction.gas > max_gas:
            raise GasCapExceeded(transaction.gas, max_gas)
        sent = Sent(transaction, checked=checked)
        self._wait_or_mine([sent])
        return sent.outcome()

    def send_raw_transactions(self, raws: list[bytes], *, checked: bool = False) -> list[bytes | Exception]:
        """Sends several signed transactions at once, as concurrent senders would: they share
        blocks (in this order). Each entry is its transaction's hash once durable, or its
        refusal (``checked``: as for `send_raw_transaction`)."""
        out: list[bytes | Exception] = []
        waiting: list[tuple[int, Sent]] = []
        for raw in raws:
            try:
                sent = Sent(self.decode_transaction(raw), checked=checked)
            except InvalidTransaction as exc:
                out.append(exc)
                continue
            waiting.append((len(out), sent))
            out.append(b"")
        self._wait_or_mine([sent for _, sent in waiting])
        for index, sent in waiting:
            out[index] = sent.error if isinstance(sent.error, Exception) else sent.outcome()
        return out

    def send_transaction(self, tx: dict[str, Any], *, timeout: float | None = None) -> bytes:
        """Signs ``tx`` with the dev key of its ``from`` and sends it."""
        with self._lock:
            tx = dict(tx)
            if "gas" not in tx:
                tx["gas"] = self.estimate_gas(tx, timeout=timeout)
            if "gas_price" not in tx:
                base_fee = int(self._refresh_pending().base_fee_per_gas or 0)
                if "max_fee_per_gas" in tx:
                    tx.setdefault("max_priority_fee_per_gas", min(10**9, tx["max_fee_per_gas"]))
                else:
                    tx.setdefault("max_priority_fee_per_gas", 10**9)
                    tx["max_fee_per_gas"] = 2 * base_fee + tx["max_priority_fee_per_gas"]
            sent = Sent(self.backend._get_normalized_and_signed_evm_transaction(tx))
            with self._queue_lock:
                self._queue.append(sent)
            self._mine_until(sent)  # holding the writer's lock since the nonce was read: mine now
            return sent.outcome()

    def has_key(self, address: bytes) -> bool:
        return address in self.backend._key_lookup


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
