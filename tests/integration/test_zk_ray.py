"""A worker's proof made on Ray (`RayExecutor.call`), as `agora up`'s workers make it: the witness
and the Groth16 proof of the wordcount example computed in a Ray task, valid in Python; and a
witness the program refuses raises `zk.WitnessError` in the caller, as if it had run there. In a
process of its own (a Ray driver may not run WebAssembly in the test process: ray_driver.py)."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from ..conftest import ROOT
from .zk_world import Examples

pytestmark = pytest.mark.slow

SCRIPT = r"""
import os, sys
import orjson
sys.path.insert(0, sys.argv[1])
import zk
from compute import RayExecutor
from duties.zkjobs import Prover
from ledger.proofs import court_inputs
from zk.jobs import Recipe, commitment_of, result_block

built = sys.argv[2]  # the example, compiled and set up once a session (zk_world.py)
def read(name):
    with open(os.path.join(built, name), "rb") as f:
        return f.read()
program, result = zk.Program.from_bytes(read("program")), zk.Program.from_bytes(read("result"))
keys = zk.Keys(zk.VerificationKey.from_json(orjson.loads(read("verification.json"))), read("proving.key"))
recipe = Recipe.of(program)
text, salt = b"proven on ray".ljust(64, b"\0"), bytes(32)
executor = RayExecutor("local", num_cpus=2, object_store_memory=100 * 1024 * 1024)
try:
    block = executor.call(result_block, result, recipe, text, salt)
    job_id, prover = os.urandom(32), "0x" + "ab" * 20
    statement = zk.JobStatement.from_public_inputs(
        court_inputs(job_id, prover, zk.commitment(text), commitment_of(block))
    )
    proof = executor.call(zk.prove_job, program, keys.proving_key, statement, recipe.arguments(text, salt))
    out = {"count": int.from_bytes(block[:32], "big"), "valid": zk.verify_job(keys.verification_key, proof, statement)}
    wrong = zk.JobStatement.from_public_inputs(
        court_inputs(job_id, prover, zk.commitment(b"not the text".ljust(64, b"\0")), commitment_of(block))
    )
    try:
        executor.call(zk.prove_job, program, keys.proving_key, wrong, recipe.arguments(text, salt))
        out["refused"] = None
    except zk.WitnessError as exc:
        out["refused"] = {"assertion": exc.assertion, "message": str(exc)[:200]}
finally:
    executor.shutdown()
print(orjson.dumps(out).decode())
"""


def test_a_proof_made_in_a_ray_task_verifies_and_a_refused_witness_raises_its_error(zk_examples: Examples) -> None:
    built = str(zk_examples["wordcount"].directory)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT), built], capture_output=True, text=True, timeout=280, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert out["count"] == 3 and out["valid"] is True
    assert out["refused"] is not None and out["refused"]["assertion"] is True, out
