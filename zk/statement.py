"""A ZK job's public inputs: the job and its prover bound in one element, the input and result commitments.

Every job program's ``main`` takes exactly three public ``field`` inputs, in this order, and returns
nothing (docs/zk.md, "Public inputs"):

| # | name | value |
|---|---|---|
| 0 | ``binding`` | the job id and the prover together: ``uint256(keccak256(abi.encode(jobId, prover))) >> 3`` |
| 1 | ``input_commitment`` | the input's commitment, a field element as it is (zk.pedersen) |
| 2 | ``result_commitment`` | the result's commitment, likewise |

The binding is the chain's to define: `ProofCourt.publicInputs` in Solidity, `ledger.proofs.court_inputs`
in Python, which the worker and the auditor build statements from (this package is below ledger and
takes the binding as a value). It is 253 bits, so below bn254's scalar field (> 2^253) as it is; a
commitment is a field element by construction, and a value >= the field modulus is refused, never
reduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InvalidStatement

FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""bn254's scalar field (the order of its groups): every public input is below it."""
BINDING_BOUND = 1 << 253
"""Every binding is below it (keccak256 cut to 253 bits); circuits range-check it: ``binding < 2**253``."""
PUBLIC_INPUTS = ("binding", "input_commitment", "result_commitment")


def _word(value: bytes | int, what: str) -> int:
    if isinstance(value, int):
        number = value
    elif isinstance(value, bytes | bytearray) and len(value) == 32:
        number = int.from_bytes(value, "big")
    else:
        raise InvalidStatement(f"{what} must be 32 bytes or an int, not {value!r}")
    if not 0 <= number < 1 << 256:
        raise InvalidStatement(f"{what} {number} is not a 256-bit value")
    return number


@dataclass(frozen=True)
class JobStatement:
    """What a job's proof is about: the job and who proves it (bound in one element), the committed
    input and result."""

    binding: int
    """The job id and the prover bound together (`ledger.proofs.job_binding`), below 2^253."""
    input_commitment: int
    result_commitment: int

    @classmethod
    def of(cls, *, binding: bytes | int, input_commitment: bytes | int, result_commitment: bytes | int) -> JobStatement:
        """A statement from chain values: 32-byte words or ints.

        Raises:
            InvalidStatement: when a value does not fit its place (a binding >= 2^253, a commitment
                >= the field modulus).
        """
        statement = cls(
            binding=_word(binding, "the binding"),
            input_commitment=_word(input_commitment, "the input commitment"),
            result_commitment=_word(result_commitment, "the result commitment"),
        )
        if statement.binding >= BINDING_BOUND:
            raise InvalidStatement("the binding is not below 2^253 (it is keccak256 cut to 253 bits)")
        for name in ("input_commitment", "result_commitment"):
            if getattr(statement, name) >= FIELD_MODULUS:
                raise InvalidStatement(f"the {name.replace('_', ' ')} is not below bn254's scalar field")
        return statement

    def public_inputs(self) -> tuple[int, int, int]:
        """The three field elements, in the order of `PUBLIC_INPUTS`."""
        return (self.binding, self.input_commitment, self.result_commitment)

    @classmethod
    def from_public_inputs(cls, inputs: Sequence[int]) -> JobStatement:
        """The statement a proof's three public inputs encode (``ledger.proofs.court_inputs``' list).

        Raises:
            InvalidStatement: when they are not three elements of the layout.
        """
        if len(inputs) != len(PUBLIC_INPUTS):
            raise InvalidStatement(f"a job proof has {len(PUBLIC_INPUTS)} public inputs, not {len(inputs)}")
        binding, input_commitment, result_commitment = inputs
        return cls.of(binding=binding, input_commitment=input_commitment, result_commitment=result_commitment)

    def arguments(self) -> list[str]:
        """The public inputs as ZoKrates arguments (decimal strings), to put before a program's private ones."""
        return [str(value) for value in self.public_inputs()]
