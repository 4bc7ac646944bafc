"""Chain throughput: the embedded chain in-process, behind `agora chain serve`, and anvil.

Prints signed ERC-20 transfers/s and eth_call/s per backend from web3.py (anvil is the baseline,
measured in the same run); transfers/s from a lean client (pre-signed transactions, keep-alive
HTTP, its own receipt polling) with one sender and with eight concurrent senders, each its own
account, against the served chain and anvil; the in-process ceiling of 32 transfers a block;
eth_getLogs over the whole history at 1k and 10k blocks, and the chain server's peak memory
after 10k transactions. The last line is one JSON object with the figures.

    python bench/chain.py [--transfers 300] [--calls 1000] [--lean 400] [--history 10000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from web3 import Web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import CHAIN_ID, EmbeddedChain, Token, Transactor, connect, deploy, dev_account, fetch_logs  # noqa: E402
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


SENDERS = 8
BLOCK = 32  # transactions a block for the in-process ceiling


def signed_transfers(w3: Web3, senders: int, per_sender: int) -> list[list[bytes]]:
    """Deploys the token, gives ``senders`` dev accounts (1..) some, and signs ``per_sender``
    transfers from each (not timed)."""
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), Path(tempfile.mkdtemp()))
    token = deployment.address("AgoraToken")
    faucet = Token(w3, deployment, Transactor(w3, dev_account(0)))
    contract = w3.eth.contract(address=token, abi=_token_abi())  # type: ignore[arg-type]
    data = contract.encode_abi("transfer", args=[dev_account(0).address, 1])
    out = []
    for i in range(1, senders + 1):
        sender = dev_account(i)
        faucet.faucet(sender.address, 10**24)
        nonce = w3.eth.get_transaction_count(sender.address)
        tx = {"to": token, "data": data, "gas": 60_000, **FEES}
        signed = [sender.sign_transaction({**tx, "nonce": nonce + n}) for n in range(per_sender)]
        out.append([bytes(s.raw_transaction) for s in signed])
    return out


class LeanClient:
    """JSON-RPC over one keep-alive HTTP connection, parsed with orjson: no web3.py in the way."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self.ids = 0

    def call(self, method: str, params: list[object]) -> object:
        self.ids += 1
        body = orjson.dumps({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params})
        self.conn.request("POST", "/", body, {"Content-Type": "application/json"})
        answer = orjson.loads(self.conn.getresponse().read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def transfer(self, raw: bytes) -> None:
        """Sends one transaction and waits for its receipt (anvil mines after answering)."""
        tx_hash = self.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        while self.call("eth_getTransactionReceipt", [tx_hash]) is None:
            time.sleep(0.001)


def lean_tps(url: str, raws: list[list[bytes]]) -> float:
    """Transfers/s with one thread (and one connection) per sender, all sending at once."""
    clients = [LeanClient(url) for _ in raws]
    for client in clients:
        client.call("eth_chainId", [])  # connected before timing
    start = threading.Barrier(len(raws) + 1)

    def run(client: LeanClient, mine: list[bytes]) -> None:
        start.wait()
        for raw in mine:
            client.transfer(raw)

    threads = [threading.Thread(target=run, args=(c, r)) for c, r in zip(clients, raws, strict=True)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return sum(len(r) for r in raws) / (time.perf_counter() - t0)


def lean(url: str, label: str, total: int) -> dict[str, float]:
    """The lean client's transfers/s against ``url``: one sender, then eight at once."""
    w3 = connect(url)
    one = lean_tps(url, signed_transfers(w3, 1, total))
    many = lean_tps(url, signed_transfers(w3, SENDERS, total // SENDERS))
    print(f"{label:<22} {one:8.1f} transfers/s from 1 sender, {many:8.1f} from {SENDERS} at once (lean client)")
    return {"one": one, "many": many}


def inproc_ceiling(total: int) -> float:
    """Transfers/s in-process, `BLOCK` a block (signatures recovered, blocks committed): the
    chain's own cost per transaction when blocks are shared."""
    chain = EmbeddedChain(Path(tempfile.mkdtemp()))
    raws = signed_transfers(connect(chain=chain), SENDERS, total // SENDERS)
    flat = [raw for batch in zip(*raws, strict=True) for raw in batch]
    t0 = time.perf_counter()
    for i in range(0, len(flat), BLOCK):
        assert all(isinstance(h, bytes) for h in chain.send_raw_transactions(flat[i : i + BLOCK]))
    tps = len(flat) / (time.perf_counter() - t0)
    chain.close()
    print(f"{'embedded in-process':<22} {tps:8.1f} transfers/s at {BLOCK} a block (ceiling)")
    return tps


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
    parser.add_argument("--lean", type=int, default=400, help="transfers per lean-client figure")
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
        served_lean = lean(url, "embedded via JSON-RPC", args.lean)
    finally:
        stop(server)
    ceiling = inproc_ceiling(args.lean)

    if ANVIL is None:
        sys.exit("anvil is not installed: run `make deps`")
    anvil_port = free_port()
    anvil = subprocess.Popen([str(ANVIL), "--port", str(anvil_port), "--silent"], stdout=subprocess.DEVNULL)
    try:
        wait_for_rpc(f"http://127.0.0.1:{anvil_port}", anvil)
        baseline = measure(connect(f"http://127.0.0.1:{anvil_port}"), "anvil (baseline)", args.transfers, args.calls)
        anvil_lean = lean(f"http://127.0.0.1:{anvil_port}", "anvil (baseline)", args.lean)
    finally:
        stop(anvil)
    ratio = served["tps"] / baseline["tps"]
    print(f"JSON-RPC vs anvil: {ratio:.2f}x transfers, {served['cps'] / baseline['cps']:.2f}x calls")
    share = served_lean["many"] / ceiling
    print(
        f"{SENDERS} senders over JSON-RPC: {served_lean['many']:.1f} transfers/s = {share:.2f}x the in-process "
        f"ceiling (aim >= 0.5), {served_lean['many'] / anvil_lean['many']:.2f}x anvil's {SENDERS} senders"
    )

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
                "rpc_tps_lean_1": round(served_lean["one"], 1),
                "anvil_tps_lean_1": round(anvil_lean["one"], 1),
                "rpc_tps_8": round(served_lean["many"], 1),
                "anvil_tps_8": round(anvil_lean["many"], 1),
                "inproc_ceiling_tps": round(ceiling, 1),
                "rpc_8_vs_ceiling": round(share, 3),
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
