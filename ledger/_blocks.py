"""Sealing a group of transactions into one block of the embedded chain, each applied on its own.

The embedded chain's writer mines whatever transactions are waiting when it is free (see
`EmbeddedChain.send_raw_transaction`): a lone sender gets a block per transaction as before,
concurrent senders share blocks. Within a group every transaction is applied in a state
snapshot of its own, so one that is refused (bad nonce, too little to pay for its gas, over the
block's gas, past its time, or a checked one whose execution reverts) is reverted and fails with
the error it would get alone; the others are sealed without it. A transaction that would only
overflow a block others already filled waits for the next block instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import NamedTuple

from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI, VirtualMachineAPI
from eth.constants import ZERO_ADDRESS
from eth.db.trie import _make_trie_root_and_nodes
from trie import HexaryTrie

from ._evm import AgoraDevChain, EVMTimeout, deadline
from ._view import reverted


class TransactionTimeout(EVMTimeout):
    """Raised when a transaction executes longer than the node allows; it is not mined."""


class Sent:
    """A transaction waiting for its block: `done` once it is mined and committed, or refused.
    A ``checked`` one is refused when its execution reverts (`Reverted`), instead of mined."""

    __slots__ = ("checked", "done", "error", "transaction")

    def __init__(self, transaction: SignedTransactionAPI, *, checked: bool = False) -> None:
        self.transaction = transaction
        self.checked = checked
        self.done = threading.Event()
        self.error: BaseException | None = None

    def outcome(self) -> bytes:
        """The transaction's hash, or its refusal raised."""
        if self.error is not None:
            raise self.error
        return bytes(self.transaction.hash)


class Sealed(NamedTuple):
    mined: list[Sent]
    """The transactions in the new block (none: no block is made)."""
    deferred: list[Sent]
    """Those left for the next block because this one's gas ran out."""
    block: BlockAPI | None
    receipts: tuple[ReceiptAPI, ...]


def seal(chain: AgoraDevChain, group: Sequence[Sent], *, tx_timeout: float | None) -> Sealed:
    """Applies ``group`` in order on the pending block and seals the transactions that apply.

    Returns the transactions in the new block and those left for the next, and the block with
    its receipts (readers of the block just mined are served them without decoding it). A refused transaction gets
    its error in `Sent.error` and leaves the state as it found it. The caller commits the
    block's writes (or rolls them back when this raises) and then marks the group done.
    """
    vm = chain.get_vm(chain.header.copy(coinbase=ZERO_ADDRESS))
    header = chain.header
    mined: list[Sent] = []
    receipts: list[ReceiptAPI] = []
    deferred: list[Sent] = []
    waiting: set[bytes] = set()  # senders with a transaction deferred: their later nonces wait too
    try:
        for sent in group:
            transaction = sent.transaction
            if mined and header.gas_used + transaction.gas > header.gas_limit or transaction.sender in waiting:
                deferred.append(sent)  # an empty block takes it (or refuses it, as it would alone)
                waiting.add(transaction.sender)
                continue
            receipt = _apply(vm, header, sent, tx_timeout)
            if receipt is not None:
                header = vm.increment_blob_gas_used(vm.add_receipt_to_header(header, receipt), transaction)
                mined.append(sent)
                receipts.append(receipt)
        if not mined:
            return Sealed(mined, deferred, None, ())
        transactions = [sent.transaction for sent in mined]
        block = vm.set_block_transactions_and_withdrawals(vm.get_block(), header, transactions, receipts)
        sealed = vm.mine_block(block, coinbase=ZERO_ADDRESS, mix_hash=os.urandom(32)).block
        chain.persist_block(sealed)  # validates again and reads back: 0.06 ms a block, kept as py-evm has it
        chain.header = chain.create_header_from_parent(sealed.header)
        return Sealed(mined, deferred, sealed, tuple(receipts))
    finally:
        _drop_trie_caches()


def _apply(vm: VirtualMachineAPI, header: BlockHeaderAPI, sent: Sent, tx_timeout: float | None) -> ReceiptAPI | None:
    """Applies one transaction in a snapshot of its own: its receipt, or None when it is refused
    (its error in `Sent.error`, the state reverted)."""
    state = vm.state
    state.lock_changes()  # earlier transactions' storage out of reach of this one's revert
    snapshot = state.snapshot()
    try:
        # A transaction past its time is left out: this node is the only one, so refusing it
        # midway is a node's policy, like a full mempool, and nothing of it is kept.
        with deadline(tx_timeout):
            vm.validate_transaction_against_header(header, sent.transaction)
            computation = state.apply_transaction(sent.transaction)
        if sent.checked and computation.is_error:
            state.revert(snapshot)  # as if never sent: its nonce and its gas untouched
            sent.error = reverted(computation.error)
            return None
        receipt = vm.make_receipt(header, sent.transaction, computation, state)
        vm.validate_receipt(receipt)
    except EVMTimeout:
        state.revert(snapshot)
        sent.error = TransactionTimeout(tx_timeout or 0.0)
        return None
    except Exception as exc:  # refused (ValidationError), or a bug: either way this one alone
        state.revert(snapshot)
        sent.error = exc
        return None
    state.commit(snapshot)
    return receipt


def _drop_trie_caches() -> None:
    """Empties py-evm's caches of encoded trie nodes: they hold whole blocks' receipts (logs
    included) and are of no use once a block is sealed (measured: ~10 MB kept per full block)."""
    _make_trie_root_and_nodes.cache_clear()
    HexaryTrie._cached_create_node_to_db_mapping.cache_clear()
