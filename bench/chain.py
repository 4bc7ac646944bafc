"""Chain throughput: the embedded chain in-process, behind `agora chain serve`, and anvil.

Prints signed ERC-20 transfers/s and eth_call/s per backend (anvil is the baseline, measured in
the same run), eth_getLogs over the whole history at 1k and 10k blocks, and the chain server's
peak memory after 10k transactions. The last line is one JSON object with the figures.

    python bench/chain.py [--transfers 300] [--calls 1000] [--history 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from web3 import Web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import CHAIN_ID, EmbeddedChain, Transactor, connect, deploy, dev_account, fetch_logs  # noqa: E402
from tests.conftest import ANVIL, free_port, start_chain_server, stop, wait_for_rpc  # noqa: E402

FEES = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": CHAIN_ID}


def _token_abi() -> list:  # type: ignore[type-arg]
    from ledger import artifact

    return artifact("AgoraToken")["abi"]  # type: ignore[no-any-return]


def wait_receipt(w3: Web3, tx_hash: bytes) -> None:
    while True:
        try:
            w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            return
        except Exception:
            time.sleep(0.001)


def measure(w3: Web3, label: str, transfers: int, calls: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home)
    token = deployment.address("AgoraToken")
    nonce = w3.eth.get_transaction_count(dev_account(0).address)
    sender = dev_account(0)
    contract = w3.eth.contract(address=token, abi=_token_abi())  # type: ignore[arg-type]
    data = contract.encode_abi("transfer", args=[dev_account(1).address, 1])
    t0 = time.perf_counter()
    for i in range(transfers):
        raw = sender.sign_transaction(
            {"to": token, "data": data, "gas": 60_000, "nonce": nonce + i, **FEES}
        ).raw_transaction
        wait_receipt(w3, bytes(w3.eth.send_raw_transaction(raw)))
    tps = transfers / (time.perf_counter() - t0)
    call = {"to": token, "data": contract.encode_abi("balanceOf", args=[dev_account(1).address])}
    t0 = time.perf_counter()
    for _ in range(calls):
        w3.eth.call(call)  # type: ignore[arg-type]
    cps = calls / (time.perf_counter() - t0)
    print(f"{label:<22} {tps:8.1f} transfers/s   {cps:8.1f} eth_call/s")
    return {"tps": tps, "cps": cps}


def history(url: str, pid: int, target: int) -> dict[str, float]:
    """Fills the served chain to ``target`` blocks of transfers; times getLogs at 1k and 10k."""
    w3 = connect(url)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), Path(tempfile.mkdtemp()))
    token = deployment.address("AgoraToken")
    contract = w3.eth.contract(address=token, abi=_token_abi())  # type: ignore[arg-type]
    data = contract.encode_abi("transfer", args=[dev_account(1).address, 1])
    out: dict[str, float] = {}
    checkpoints = sorted({c for c in (1000, 10_000) if c <= target} | {target})
    nonce = w3.eth.get_transaction_count(dev_account(0).address)
    for checkpoint in checkpoints:
        t0 = time.perf_counter()
        while w3.eth.block_number < checkpoint:
            raw = (
                dev_account(0)
                .sign_transaction({"to": token, "data": data, "gas": 60_000, "nonce": nonce, **FEES})
                .raw_transaction
            )
            w3.eth.send_raw_transaction(raw)
            nonce += 1
        fill = time.perf_counter() - t0
        t0 = time.perf_counter()
        # In pages, as clients read a history (every node limits the range of one query).
        logs = fetch_logs(w3, address=token, from_block=0)
        took = time.perf_counter() - t0
        print(f"getLogs over {checkpoint:>6} blocks: {took:.3f} s ({len(logs)} logs; filled in {fill:.0f} s)")
        out[f"getlogs_{checkpoint}"] = took
    out["peak_rss_mb"] = peak_rss_mb(pid)
    return out


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=300)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--history", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{'backend':<22} {'transfers':>20}   {'calls':>18}")
    embedded = measure(
        connect(chain=EmbeddedChain(Path(tempfile.mkdtemp()))), "embedded in-process", args.transfers, args.calls
    )

    served_home = Path(tempfile.mkdtemp())
    port = free_port()
    server = start_chain_server(served_home, port)
    url = f"http://127.0.0.1:{port}"
    try:
        served = measure(connect(url), "embedded via JSON-RPC", args.transfers, args.calls)
    finally:
        stop(server)

    if ANVIL is None:
        sys.exit("anvil is not installed: run `make deps`")
    anvil_port = free_port()
    anvil = subprocess.Popen([str(ANVIL), "--port", str(anvil_port), "--silent"], stdout=subprocess.DEVNULL)
    try:
        wait_for_rpc(f"http://127.0.0.1:{anvil_port}", anvil)
        baseline = measure(connect(f"http://127.0.0.1:{anvil_port}"), "anvil (baseline)", args.transfers, args.calls)
    finally:
        stop(anvil)
    ratio = served["tps"] / baseline["tps"]
    print(f"JSON-RPC vs anvil: {ratio:.2f}x transfers, {served['cps'] / baseline['cps']:.2f}x calls")

    port = free_port()
    server = start_chain_server(Path(tempfile.mkdtemp()), port)
    try:
        hist = history(f"http://127.0.0.1:{port}", server.pid, args.history)
    finally:
        stop(server)
    print(f"chain server peak RSS after {args.history} blocks: {hist['peak_rss_mb']:.0f} MB")
    print(
        json.dumps(
            {
                "embedded_tps": round(embedded["tps"], 1),
                "rpc_tps": round(served["tps"], 1),
                "anvil_tps": round(baseline["tps"], 1),
                "rpc_vs_anvil": round(ratio, 3),
                "embedded_calls_per_s": round(embedded["cps"], 1),
                "rpc_calls_per_s": round(served["cps"], 1),
                "anvil_calls_per_s": round(baseline["cps"], 1),
                "getlogs_1k_s": round(hist.get("getlogs_1000", float("nan")), 4),
                "getlogs_10k_s": round(hist.get("getlogs_10000", float("nan")), 4),
                "peak_rss_mb": round(hist["peak_rss_mb"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
