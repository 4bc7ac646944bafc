"""The served chain survives SIGKILL: every transaction whose receipt was returned is still there."""

from __future__ import annotations

import random
import signal
import threading
from pathlib import Path

import pytest
from web3 import Web3

from ledger import CHAIN_ID, dev_account

from ..conftest import free_port, start_chain_server


def _transfer(w3: Web3, nonce: int) -> bytes:
    signed = dev_account(0).sign_transaction(
        {
            "to": dev_account(1).address,
            "value": 1000 + nonce,
            "gas": 21_000,
            "nonce": nonce,
            "chainId": CHAIN_ID,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
        }
    )
    return bytes(w3.eth.send_raw_transaction(signed.raw_transaction))


@pytest.mark.slow
def test_sigkill_at_random_points_loses_no_acknowledged_transaction(tmp_path: Path) -> None:
    rng = random.Random(1337)
    acknowledged: dict[bytes, tuple[int, bytes]] = {}  # tx hash -> (block, state root)
    sent: list[bytes] = []  # every hash eth_sendRawTransaction returned
    nonce = 0
    for _round in range(5):
        port = free_port()
        proc = start_chain_server(tmp_path, port)
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 5}))
        # Everything acknowledged before the last kill is still there, with the same state root.
        for tx_hash, (block, root) in acknowledged.items():
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            assert receipt["blockNumber"] == block
            assert w3.eth.get_block(block)["stateRoot"] == root
        nonce = w3.eth.get_transaction_count(dev_account(0).address)
        # Kill the server at a random moment while transactions stream in.
        killer = threading.Timer(rng.uniform(0.05, 0.6), proc.send_signal, args=(signal.SIGKILL,))
        killer.start()
        try:
            while True:
                tx_hash = _transfer(w3, nonce)
                sent.append(tx_hash)
                receipt = w3.eth.get_transaction_receipt(tx_hash)
                acknowledged[tx_hash] = (receipt["blockNumber"], w3.eth.get_block(receipt["blockNumber"])["stateRoot"])
                nonce += 1
        except Exception:
            pass  # the server died mid-request: that request was never acknowledged
        killer.join()
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) > 10
    port = free_port()
    proc = start_chain_server(tmp_path, port)
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        for block, root in acknowledged.values():
            assert w3.eth.get_block(block)["stateRoot"] == root
        for tx_hash in sent:
            assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
        assert w3.eth.get_transaction_count(dev_account(0).address) >= len(sent)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
