"""py-evm blocks, transactions, receipts and logs as standard Ethereum JSON-RPC objects."""

from __future__ import annotations

from typing import Any

import rlp
from eth._utils.address import generate_contract_address
from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI

ZERO32 = "0x" + "00" * 32


def qty(value: int) -> str:
    """A JSON-RPC quantity: hex without leading zeros."""
    return hex(value)


def data(value: bytes) -> str:
    """JSON-RPC unformatted data: 0x-prefixed hex of every byte."""
    return "0x" + bytes(value).hex()


def address(value: bytes | None) -> str | None:
    return None if not value else data(value)


def base_fee(header: BlockHeaderAPI) -> int:
    """The header's base fee (every block of our chains is post-London)."""
    return int(header.base_fee_per_gas or 0)


def header_json(header: BlockHeaderAPI) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": qty(header.block_number),
        "hash": data(header.hash),
        "parentHash": data(header.parent_hash),
        "nonce": data(header.nonce),
        "mixHash": data(header.mix_hash),
        "sha3Uncles": data(header.uncles_hash),
        "logsBloom": data(header.bloom.to_bytes(256, "big")),
        "transactionsRoot": data(header.transaction_root),
        "stateRoot": data(header.state_root),
        "receiptsRoot": data(header.receipt_root),
        "miner": data(header.coinbase),
        "difficulty": qty(header.difficulty),
        "totalDifficulty": qty(header.difficulty),
        "extraData": data(header.extra_data),
        "gasLimit": qty(header.gas_limit),
        "gasUsed": qty(header.gas_used),
        "timestamp": qty(header.timestamp),
        "baseFeePerGas": qty(base_fee(header)),
    }
    for key, attr in (
        ("withdrawalsRoot", "withdrawals_root"),
        ("parentBeaconBlockRoot", "parent_beacon_block_root"),
        ("requestsHash", "requests_hash"),
    ):
        value = getattr(header, attr, None)
        if value is not None:
            out[key] = data(value)
    for key, attr in (("blobGasUsed", "blob_gas_used"), ("excessBlobGas", "excess_blob_gas")):
        value = getattr(header, attr, None)
        if value is not None:
            out[key] = qty(value)
    return out


def block_json(block: BlockAPI, *, full: bool) -> dict[str, Any]:
    out = header_json(block.header)
    txs = block.transactions
    out["transactions"] = (
        [transaction_json(tx, block.header, i) for i, tx in enumerate(txs)] if full else [data(tx.hash) for tx in txs]
    )
    out["uncles"] = []
    out["withdrawals"] = []
    out["size"] = qty(len(rlp.encode(block)))
    return out


def _effective_gas_price(tx: SignedTransactionAPI, header: BlockHeaderAPI) -> int:
    if tx.type_id in (None, 1):
        return int(tx.gas_price)
    return int(min(tx.max_fee_per_gas, base_fee(header) + tx.max_priority_fee_per_gas))


def transaction_json(tx: SignedTransactionAPI, header: BlockHeaderAPI, index: int) -> dict[str, Any]:
    type_id = tx.type_id or 0
    out: dict[str, Any] = {
        "type": qty(type_id),
        "hash": data(tx.hash),
        "nonce": qty(tx.nonce),
        "blockHash": data(header.hash),
        "blockNumber": qty(header.block_number),
        "transactionIndex": qty(index),
        "from": data(tx.sender),
        "to": address(tx.to),
        "value": qty(tx.value),
        "gas": qty(tx.gas),
        "input": data(tx.data),
        "r": qty(tx.r),
        "s": qty(tx.s),
        "gasPrice": qty(_effective_gas_price(tx, header)),
    }
    if type_id == 0:
        out["v"] = qty(tx.v)  # type: ignore[attr-defined]
        chain_id = tx.chain_id
        if chain_id is not None:
            out["chainId"] = qty(chain_id)
    else:
        out["chainId"] = qty(int(tx.chain_id or 0))
        out["v"] = qty(tx.y_parity)
        out["yParity"] = qty(tx.y_parity)
        out["accessList"] = [
            {"address": data(a), "storageKeys": [data(k.to_bytes(32, "big")) for k in keys]}
            for a, keys in tx.access_list
        ]
    if type_id >= 2:
        out["maxFeePerGas"] = qty(tx.max_fee_per_gas)
        out["maxPriorityFeePerGas"] = qty(tx.max_priority_fee_per_gas)
    return out


def log_json(log: Any, *, header: BlockHeaderAPI, tx_hash: bytes, tx_index: int, log_index: int) -> dict[str, Any]:
    return {
        "address": data(log.address),
        "topics": [data(t.to_bytes(32, "big")) for t in log.topics],
        "data": data(log.data),
        "blockNumber": qty(header.block_number),
        "blockHash": data(header.hash),
        "blockTimestamp": qty(header.timestamp),
        "transactionHash": data(tx_hash),
        "transactionIndex": qty(tx_index),
        "logIndex": qty(log_index),
        "removed": False,
    }


def receipt_json(block: BlockAPI, receipts: tuple[ReceiptAPI, ...], index: int) -> dict[str, Any]:
    tx = block.transactions[index]
    receipt = receipts[index]
    header = block.header
    previous = receipts[index - 1].gas_used if index else 0
    first_log = sum(len(r.logs) for r in receipts[:index])
    logs = [
        log_json(entry, header=header, tx_hash=tx.hash, tx_index=index, log_index=first_log + i)
        for i, entry in enumerate(receipt.logs)
    ]
    return {
        "type": qty(tx.type_id or 0),
        "transactionHash": data(tx.hash),
        "transactionIndex": qty(index),
        "blockHash": data(header.hash),
        "blockNumber": qty(header.block_number),
        "from": data(tx.sender),
        "to": address(tx.to),
        "contractAddress": None if tx.to else data(generate_contract_address(tx.sender, tx.nonce)),
        "cumulativeGasUsed": qty(receipt.gas_used),
        "gasUsed": qty(receipt.gas_used - previous),
        "effectiveGasPrice": qty(_effective_gas_price(tx, header)),
        "logs": logs,
        "logsBloom": data(receipt.bloom.to_bytes(256, "big")),
        "status": qty(1 if receipt.state_root == b"\x01" else 0),
    }
