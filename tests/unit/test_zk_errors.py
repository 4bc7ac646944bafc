"""zk's errors survive pickling with their fields: a worker's proof runs in a Ray task, whose error
is raised again in the worker (`RayExecutor.call`)."""

from __future__ import annotations

import pickle

import zk


def test_errors_with_keyword_fields_pickle_whole() -> None:
    witness = pickle.loads(pickle.dumps(zk.WitnessError("Assertion failed at a.zok:3:5", assertion=True)))
    assert (
        isinstance(witness, zk.WitnessError) and witness.assertion and str(witness) == "Assertion failed at a.zok:3:5"
    )
    compiled = pickle.loads(pickle.dumps(zk.CompileError("bad", line=2, column=17)))
    assert (compiled.line, compiled.column, compiled.message) == (2, 17, "bad")
    unbound = pickle.loads(pickle.dumps(zk.UnconstrainedInput("unbound", names=("prover",))))
    assert unbound.names == ("prover",)
