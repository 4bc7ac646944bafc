"""Sending transactions: fees, nonces, gas, receipts, and reverts decoded by name."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from eth_abi.exceptions import DecodingError
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import RPCEndpoint

from .artifacts import decode_revert
from .errors import ChainUnavailable, InsufficientFunds, LedgerError, TransactionRejected, UndecodableAnswer

GAS_MARGIN = 1.2
_NO_FUNDS = ("insufficient funds", "not have enough balance", "cannot afford txn gas")
"""How nodes word a refusal for want of ether (geth and anvil; eth-tester, estimating and sending)."""
PRIORITY_FEE = 10**9
CHECKED_SEND = "agora_sendRawTransactionChecked"
"""The embedded chain's `eth_sendRawTransaction` that refuses a transaction whose execution
reverts (docs/chain.md): a checked send in one execution instead of an `eth_call` and a send."""
_UNKNOWN_METHOD = frozenset({-32601, -32004, -32600})
"""How nodes answer a method they do not have: -32601 (JSON-RPC, geth, anvil), -32004 (Hardhat 3),
-32600 (Hardhat 2)."""
_EXECUTION_REVERTED = 3
_NO_SUCH_PATH = frozenset({404, 405, 501})
"""HTTP answers of a gateway that has no route for a method (others are the chain's refusals)."""
BASE_FEE_AGE = 2.0
"""Seconds a known base fee (read from the head block, or learnt from one of the account's own
receipts) sets the next transaction's fee cap: twice it plus the tip, room for five full blocks
of growth. Sends that follow one another learn it from each receipt and read no block."""


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Turns web3 and transport exceptions into ledger errors (reverts decoded by name)."""
    try:
        yield
    except ContractLogicError as exc:
        raise decode_revert(_revert_bytes(exc.data)) from None
    except (BadFunctionCallOutput, DecodingError) as exc:
        raise UndecodableAnswer(str(exc)[:300]) from None
    except Web3RPCError as exc:
        error = exc.rpc_response.get("error") if isinstance(exc.rpc_response, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        raise TransactionRejected(message or str(exc)) from None
    except (requests.ConnectionError, ConnectionError) as exc:
        raise ChainUnavailable(f"cannot reach the chain: {exc}") from None
    except (requests.Timeout, TimeExhausted) as exc:
        raise ChainUnavailable(f"the chain did not answer in time: {exc}") from None


def _revert_bytes(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


class Transactor:
    """Signs and sends one account's transactions, keeping its nonce locally."""

    def __init__(self, w3: Web3, account: LocalAccount, *, receipt_timeout: float = 60.0) -> None:
        self.w3 = w3
        self.account = account
        self.receipt_timeout = receipt_timeout
        self._nonce: int | None = None
        self._lock = threading.Lock()
        self._chain_id: int | None = None
        self._base_fee: tuple[int, float] | None = None  # (wei, when it was known: time.monotonic())
        self._checked: bool | None = None  # whether the chain takes CHECKED_SEND (None: not known yet)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def chain_id(self) -> int:
        if self._chain_id is None:
            with mapped_errors():
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def send(
        self,
        *,
        to: str | None,
        data: bytes | str = b"",
        value: int = 0,
        gas: int | None = None,
        preflight: bool = False,
    ) -> dict[str, Any]:
        """Sends and waits for the receipt; raises `ContractRevert` when the call would revert or did.

        Without ``gas`` the limit is estimated (which also refuses a reverting call before it is
        sent). With ``gas`` and ``preflight`` a reverting call is refused before anything of it
        is kept: by the chain itself where it takes `CHECKED_SEND` (the embedded chain, in one
        execution instead of two), else by one `eth_call` first, half the work of an estimate.
        """
        with self._lock, self._funds_named():
            tx: dict[str, Any] = {"from": self.address, "value": value, "data": HexBytes(data).to_0x_hex()}
            if to is not None:
                tx["to"] = to
            with mapped_errors():
                call: dict[str, Any] | None = None
                if gas is None:
                    gas = int(self.w3.eth.estimate_gas(tx) * GAS_MARGIN) + 10_000  # type: ignore[arg-type]
                elif preflight:
                    call = {**tx, "gas": gas}
                tx.update(
                    gas=gas,
                    maxPriorityFeePerGas=PRIORITY_FEE,
                    maxFeePerGas=2 * self._base_fee_now() + PRIORITY_FEE,
                    chainId=self.chain_id(),
                    nonce=self._next_nonce(),
                    type=2,
                )
                tx_hash = self._send_signed(tx, call)
            receipt = self.wait(tx_hash)
            self._learn_base_fee(receipt, int(tx["maxFeePerGas"]))
        if receipt["status"] != 1:
            self._raise_revert(tx, receipt)
        return receipt

    @contextmanager
    def _funds_named(self) -> Iterator[None]:
        """A node's refusal for want of ether (each words it its own way) as `InsufficientFunds`."""
        try:
            yield
        except TransactionRejected as exc:
            if not any(words in str(exc).lower() for words in _NO_FUNDS):
                raise
            with mapped_errors():
                balance = int(self.w3.eth.get_balance(self.address))  # type: ignore[arg-type]
            raise InsufficientFunds(self.address, balance) from None

    def _base_fee_now(self) -> int:
        """The base fee known within `BASE_FEE_AGE` seconds, else the head block's."""
        known = self._base_fee
        if known is None or time.monotonic() - known[1] > BASE_FEE_AGE:
            known = (int(self.w3.eth.get_block("latest")["baseFeePerGas"]), time.monotonic())
            self._base_fee = known
        return known[0]

    def _learn_base_fee(self, receipt: dict[str, Any], fee_cap: int) -> None:
        """The base fee of the receipt's block: its effective gas price less the whole tip, when
        the tip was paid whole (a price at the cap may have cut the tip: then nothing is learnt)."""
        price = receipt.get("effectiveGasPrice")
        if isinstance(price, int) and PRIORITY_FEE <= price < fee_cap:
            self._base_fee = (price - PRIORITY_FEE, time.monotonic())
        else:
            self._base_fee = None

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self.w3.eth.get_transaction_count(self.address, "pending"))  # type: ignore[arg-type]
        return self._nonce

    def _send_signed(self, tx: dict[str, Any], call: dict[str, Any] | None) -> bytes:
        """Signs and sends ``tx``; with ``call``, refused if it would revert (checked by the chain
        as it mines it, or by that `eth_call` first). A nonce another client used is taken again
        once, unless the transaction refused for it was mined after all."""
        for attempt in range(2):
            signed = self.account.sign_transaction(tx)
            try:
                tx_hash = self._submit(signed.raw_transaction, bytes(signed.hash), call)
                break
            except Web3RPCError as exc:
                if attempt or "nonce" not in str(exc).lower():
                    raise
                if self._mined(bytes(signed.hash)):  # answered with an error, yet mined
                    tx_hash = bytes(signed.hash)
                    break
                self._nonce = None
                tx["nonce"] = self._next_nonce()
        self._nonce = int(tx["nonce"]) + 1
        return bytes(tx_hash)

    def _submit(self, raw: bytes, tx_hash: bytes, call: dict[str, Any] | None) -> bytes:
        if call is not None:
            if self._checked_send(raw, tx_hash):
                return tx_hash
            self.w3.eth.call(call)  # type: ignore[arg-type]
        return bytes(self.w3.eth.send_raw_transaction(raw))

    def _mined(self, tx_hash: bytes) -> bool:
        try:
            self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True

    def _checked_send(self, raw: bytes, tx_hash: bytes) -> bool:
        """Sends ``raw`` (whose hash is ``tx_hash``) by `CHECKED_SEND`: True once it is mined;
        raises the revert when the chain refused it for reverting, and any other refusal as
        `eth_sendRawTransaction`'s would be raised (unless the transaction was mined all the
        same: a server may answer a write it did with an error). False when the chain does not
        take the method (then it is never asked again): the caller checks by `eth_call` and
        sends plainly."""
        if self._checked is False:
            return False
        try:
            response = self.w3.provider.make_request(RPCEndpoint(CHECKED_SEND), [HexBytes(raw).to_0x_hex()])
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in _NO_SUCH_PATH:  # a gateway that routes only the methods it knows
                self._checked = False
                return False
            return self._mined_or_raise(tx_hash, ChainUnavailable(f"the chain answered HTTP {status} to a transaction"))
        error = response.get("error") if isinstance(response, dict) else f"not a JSON-RPC answer: {response}"
        if error is None:
            if response.get("result") == "0x" + tx_hash.hex():
                self._checked = True
                return True
            answered = f"{CHECKED_SEND} answered {str(response.get('result'))[:80]!r}, not the hash"
            return self._mined_or_raise(tx_hash, UndecodableAnswer(answered))
        if not isinstance(error, dict):
            return self._mined_or_raise(tx_hash, UndecodableAnswer(f"{CHECKED_SEND} answered {str(error)[:80]!r}"))
        code = error.get("code")
        if code in _UNKNOWN_METHOD:
            self._checked = False
            return False
        if code == _EXECUTION_REVERTED:
            self._checked = True
            raise decode_revert(_revert_bytes(error.get("data")))
        refusal = Web3RPCError(str(error.get("message") or error)[:500], rpc_response=response)  # as a plain send's
        return self._mined_or_raise(tx_hash, refusal)

    def _mined_or_raise(self, tx_hash: bytes, refusal: Exception) -> bool:
        """True when the transaction was mined all the same (a server may answer a write it did
        with an error), else ``refusal`` raised; a receipt that cannot be asked for counts as none."""
        try:
            mined = self._mined(tx_hash)
        except requests.RequestException:
            mined = False
        if mined:
            return True
        raise refusal

    def wait(self, tx_hash: bytes) -> dict[str, Any]:
        """Polls every 10 ms for the receipt (anvil mines asynchronously)."""
        deadline = time.monotonic() + self.receipt_timeout
        with mapped_errors():
            while True:
                try:
                    return dict(self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
                except TransactionNotFound:
                    if time.monotonic() > deadline:
                        raise TimeExhausted(f"no receipt for {tx_hash.hex()}") from None
                    time.sleep(0.01)

    def _raise_revert(self, tx: dict[str, Any], receipt: dict[str, Any]) -> None:
        replay = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        with mapped_errors():
            self.w3.eth.call(replay, block_identifier=receipt["blockNumber"] - 1)  # type: ignore[arg-type]
        raise LedgerError(f"transaction {receipt['transactionHash'].hex()} failed (status 0) without revert data")
