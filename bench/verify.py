"""Groth16 proofs of ZK jobs: proving time per example program, verification off-chain in Python, the
on-chain verifier's gas, and the wall time of the same check on the embedded chain and on anvil.

For each program in examples/programs/zk/: compile, setup and prove once (zokrates-js, each a fresh
Node process, as a worker runs them); verify in Python (pyrevm's native bn254; py_ecc, and
zokrates-js's own verify, once each as baselines); make both Solidity verifiers (zk.lean_verifier,
the one the figures are for, and ZoKrates' exported one), deploy them, send one verifying
transaction each (its gas) and time `eth_call`s on the embedded chain in-process, the embedded
chain behind `agora chain serve`, and anvil (the baseline). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web3 import Web3  # noqa: E402

import zk  # noqa: E402
from ledger import EmbeddedChain, Transactor, connect, dev_account  # noqa: E402
from tests.conftest import ANVIL, free_port, start_chain_server, stop, wait_for_rpc  # noqa: E402
from tests.integration.test_zk_programs import CASES  # noqa: E402
from zk._bn254 import PyEcc  # noqa: E402

EXAMPLES = ROOT / "examples" / "programs" / "zk"
GAS_AIM = 240_000
SPEED_AIM = 5.0  # the embedded chain within 5x of anvil
VERIFIERS = ("lean", "exported")  # zk.lean_verifier, ZoKrates' own (zk.export_verifier)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        times.append(timed(fn)[1])
    return statistics.median(times) * 1000


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)  # EIP-2028


class Deployed:
    """One exported verifier on one chain, with the proof it checks."""

    def __init__(self, w3: Web3, contract: zk.VerifierContract, proof: zk.Proof) -> None:
        self.w3 = w3
        self.sender = Transactor(w3, dev_account(0))
        receipt = self.sender.send(to=None, data=contract.bytecode, gas=6_000_000)
        self.verifier = w3.eth.contract(address=receipt["contractAddress"], abi=contract.abi)
        self.call = self.verifier.functions.verifyTx(*proof.verifier_arguments())
        self.data = bytes.fromhex(self.call._encode_transaction_data().removeprefix("0x"))

    def verifies(self) -> bool:
        # an explicit gas limit: an estimate of a pairing check is wrong (docs/zk.md)
        return bool(self.call.call({"gas": 1_000_000}))

    def gas(self) -> int:
        receipt = self.sender.send(to=self.verifier.address, data=self.data, gas=1_000_000)
        return int(receipt["gasUsed"])


def chain_figures(label: str, w3: Web3, programs: dict[str, dict[str, Any]], runs: int) -> dict[str, dict[str, Any]]:
    """Gas (the most of the programs') and eth_call wall time (their mean) of each verifier on one chain."""
    figures: dict[str, dict[str, Any]] = {}
    for kind in VERIFIERS:
        gas, ms = [], []
        for name, made in programs.items():
            deployed = Deployed(w3, made[kind], made["proof"])
            assert deployed.verifies(), f"{name}'s proof does not verify with the {kind} verifier on {label}"
            gas.append(deployed.gas())
            ms.append(median_ms(deployed.verifies, runs))
            print(f"  {label:<28} {kind:<8} {name:<10} eth_call {ms[-1]:6.1f} ms, transaction {gas[-1]:,} gas")
        figures[kind] = {"gas": max(gas), "ms": statistics.mean(ms), "calldata": calldata_gas(deployed.data)}
    return figures


def make(name: str) -> dict[str, Any]:
    source = (EXAMPLES / f"{name}.zok").read_text()
    program, compile_s = timed(lambda: zk.compile_program(source, location=f"{name}.zok"))
    keys, setup_s = timed(lambda: zk.setup(program))
    statement, private = CASES[name]()
    proof, prove_s = timed(lambda: zk.prove_job(program, keys.proving_key, statement, private))
    key = keys.verification_key
    assert zk.verify_job(key, proof, statement)
    exported = zk.compile_verifier(zk.export_verifier(key))
    lean = zk.compile_verifier(zk.lean_verifier(key))
    print(
        f"{name:<10} {program.constraint_count:6,} constraints: compile {compile_s:5.1f} s, setup {setup_s:5.1f} s, "
        f"prove {prove_s:5.2f} s; proving key {len(keys.proving_key) / 1e6:.1f} MB"
    )
    return {"key": key, "proof": proof, "statement": statement, "exported": exported, "lean": lean, "prove_s": prove_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed verifications per figure")
    args = parser.parse_args()
    programs = {name: make(name) for name in sorted(CASES)}

    offchain, pyecc, zokrates = [], [], []
    for made in programs.values():
        key, proof, statement = made["key"], made["proof"], made["statement"]
        offchain.append(median_ms(lambda k=key, p=proof, s=statement: zk.verify_job(k, p, s), args.runs * 5))
        pyecc.append(timed(lambda k=key, p=proof: zk.verify(k, p, bn254=PyEcc()))[1] * 1000)
        zokrates.append(timed(lambda k=key, p=proof: zk.verify_with_zokrates(k, p))[1] * 1000)
    print(
        f"off-chain verification in Python: {statistics.mean(offchain):.1f} ms (pyrevm's bn254); "
        f"py_ecc {statistics.mean(pyecc):.0f} ms; zokrates-js {statistics.mean(zokrates):.0f} ms (a Node process)"
    )

    chain = EmbeddedChain()
    embedded = chain_figures("embedded chain, in-process", connect(chain=chain), programs, args.runs)
    chain.close()
    port = free_port()
    server = start_chain_server(Path(tempfile.mkdtemp()), port)
    try:
        served = chain_figures("embedded chain, JSON-RPC", connect(f"http://127.0.0.1:{port}"), programs, args.runs)
    finally:
        stop(server)
    if ANVIL is None:
        sys.exit("anvil is not installed: run `make deps`")
    anvil_port = free_port()
    anvil = subprocess.Popen([str(ANVIL), "--port", str(anvil_port), "--silent"], stdout=subprocess.DEVNULL)
    try:
        wait_for_rpc(f"http://127.0.0.1:{anvil_port}", anvil)
        baseline = chain_figures("anvil (baseline)", connect(f"http://127.0.0.1:{anvil_port}"), programs, args.runs)
    finally:
        stop(anvil)

    for kind in VERIFIERS:
        assert served[kind]["gas"] == embedded[kind]["gas"] == baseline[kind]["gas"], "same transaction, same gas"
    lean, exported = embedded["lean"], embedded["exported"]
    gas, execution = lean["gas"], lean["gas"] - 21_000 - lean["calldata"]
    print(
        f"on-chain verification, lean verifier: {gas:,} gas a transaction (21,000 + {lean['calldata']:,} calldata + "
        f"{execution:,} execution; EIP-1108's pairing floor 181,000); ZoKrates' exported verifier "
        f"{exported['gas']:,}; aim < {GAS_AIM:,}: " + ("met" if gas < GAS_AIM else "NOT MET")
    )
    ratio = served["lean"]["ms"] / baseline["lean"]["ms"]
    print(
        f"the same check, lean verifier: embedded {served['lean']['ms']:.1f} ms over JSON-RPC "
        f"({lean['ms']:.1f} ms in-process), anvil {baseline['lean']['ms']:.1f} ms: {ratio:.2f}x anvil; "
        f"exported verifier {served['exported']['ms'] / baseline['exported']['ms']:.2f}x; aim within {SPEED_AIM:g}x: "
        + ("met" if ratio <= SPEED_AIM else "NOT MET")
    )
    print(
        json.dumps(
            {
                "prove_s": {name: round(made["prove_s"], 2) for name, made in programs.items()},
                "offchain_verify_ms": round(statistics.mean(offchain), 2),
                "offchain_verify_pyecc_ms": round(statistics.mean(pyecc)),
                "zokrates_verify_ms": round(statistics.mean(zokrates)),
                "onchain_verify_gas": gas,
                "onchain_verify_execution_gas": execution,
                "exported_verifier_gas": exported["gas"],
                "embedded_verify_ms": round(served["lean"]["ms"], 2),
                "embedded_inprocess_verify_ms": round(lean["ms"], 2),
                "anvil_verify_ms": round(baseline["lean"]["ms"], 2),
                "embedded_vs_anvil": round(ratio, 2),
                "exported_embedded_verify_ms": round(served["exported"]["ms"], 2),
                "exported_anvil_verify_ms": round(baseline["exported"]["ms"], 2),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
