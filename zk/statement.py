"""A ZK job's public inputs: the job id, the prover, and the input and result commitments as field elements.

Every job program's ``main`` takes exactly five public ``field`` inputs, in this order, and returns
nothing (docs/zk.md, "Public inputs"):

| # | name | value |
|---|---|---|
| 0 | ``job_hi`` | the job id's high 128 bits (``uint256(jobId) >> 128``) |
| 1 | ``job_lo`` | the job id's low 128 bits (``uint256(jobId) & (2**128 - 1)``) |
| 2 | ``prover`` | the prover's address as a 160-bit integer (``uint160(prover)``) |
| 3 | ``input_commitment`` | the input's commitment, a field element as it is (zk.pedersen) |
| 4 | ``result_commitment`` | the result's commitment, likewise |

The job id (an EIP-712 hash, any 256-bit value) does not fit bn254's scalar field (< 2^254), so it is
split into two 128-bit limbs; the address fits as it is; a commitment is a field element by
construction, and a value >= the field modulus is refused, never reduced.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidStatement

FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""bn254's scalar field (the order of its groups): every public input is below it."""
LIMB = 1 << 128
PUBLIC_INPUTS = ("job_hi", "job_lo", "prover", "input_commitment", "result_commitment")


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


def _address(value: str | bytes) -> int:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if len(raw) != 20:
        raise InvalidStatement(f"the prover must be a 20-byte address, not {value!r}")
    return int.from_bytes(raw, "big")


@dataclass(frozen=True)
class JobStatement:
    """What a job's proof is about: the job, who proves it, the committed input and result."""

    job_id: int
    """The job id (the market's EIP-712 request hash) as an integer."""
    prover: int
    """The prover's address as an integer."""
    input_commitment: int
    result_commitment: int

    @classmethod
    def of(
        cls,
        *,
        job_id: bytes | int,
        prover: str | bytes,
        input_commitment: bytes | int,
        result_commitment: bytes | int,
    ) -> JobStatement:
        """A statement from chain values: 32-byte words (or ints) and a 0x address (or 20 bytes).

        Raises:
            InvalidStatement: when a value does not fit its place (a commitment >= the field modulus).
        """
        statement = cls(
            job_id=_word(job_id, "the job id"),
            prover=_address(prover),
            input_commitment=_word(input_commitment, "the input commitment"),
            result_commitment=_word(result_commitment, "the result commitment"),
        )
        for name in ("input_commitment", "result_commitment"):
            if getattr(statement, name) >= FIELD_MODULUS:
                raise InvalidStatement(f"the {name.replace('_', ' ')} is not below bn254's scalar field")
        return statement

    def public_inputs(self) -> tuple[int, int, int, int, int]:
        """The five field elements, in the order of `PUBLIC_INPUTS`."""
        return (
            self.job_id >> 128,
            self.job_id % LIMB,
            self.prover,
            self.input_commitment,
            self.result_commitment,
        )

    @classmethod
    def from_public_inputs(cls, inputs: tuple[int, ...] | list[int]) -> JobStatement:
        """The statement a proof's five public inputs encode.

        Raises:
            InvalidStatement: when they are not five elements of the layout (a limb of 2^128 or more...).
        """
        if len(inputs) != len(PUBLIC_INPUTS):
            raise InvalidStatement(f"a job proof has {len(PUBLIC_INPUTS)} public inputs, not {len(inputs)}")
        hi, lo, prover, input_commitment, result_commitment = inputs
        if not (0 <= hi < LIMB and 0 <= lo < LIMB and 0 <= prover < 1 << 160):
            raise InvalidStatement("the job id's limbs or the prover are out of range")
        return cls.of(
            job_id=hi << 128 | lo,
            prover=prover.to_bytes(20, "big"),
            input_commitment=input_commitment,
            result_commitment=result_commitment,
        )

    @property
    def prover_address(self) -> str:
        """The prover as a 0x address (lower case)."""
        return "0x" + self.prover.to_bytes(20, "big").hex()

    def arguments(self) -> list[str]:
        """The public inputs as ZoKrates arguments (decimal strings), to put before a program's private ones."""
        return [str(value) for value in self.public_inputs()]
