"""Groth16 verification in Python, equal to the exported Solidity verifier's and to zokrates-js's.

The check is the verifier contract's: every public input below the field modulus,
``vk_x = gamma_abc[0] + sum(x_i * gamma_abc[i + 1])`` by ECMUL and ECADD, then one ECPAIRING of
four pairs: ``e(A, B) * e(-vk_x, gamma) * e(-C, delta) * e(-alpha, beta) == 1``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ._bn254 import Bn254, InvalidPoint, default
from .artifacts import G1, G2, Proof, VerificationKey
from .errors import ZkError
from .statement import FIELD_MODULUS, JobStatement

log = logging.getLogger(__name__)

_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583  # bn254's base field


class InputCountMismatch(ZkError):
    """Raised when a proof's public inputs are not as many as its verification key takes."""


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _g1(p: G1) -> bytes:
    return _word(p[0]) + _word(p[1])


def _neg(p: G1) -> G1:
    # the verifier contract's `negate`, exactly (a y of q or more included)
    return p if p == (0, 0) else (p[0], _Q - p[1] % _Q)


def _g2(p: G2) -> bytes:
    (x0, x1), (y0, y1) = p  # ZoKrates' JSON: real part first; EIP-197: imaginary part first
    return _word(x1) + _word(x0) + _word(y1) + _word(y0)


def verify(
    key: VerificationKey, proof: Proof, public_inputs: Sequence[int] | None = None, *, bn254: Bn254 | None = None
) -> bool:
    """Whether ``proof`` is valid for ``key`` and the public inputs (the proof's own unless given).

    ``bn254`` computes the curve operations (default: pyrevm's precompiles, py_ecc without pyrevm).
    A point off its curve or an input not below the field modulus makes the proof invalid, as in
    the verifier contract (which reverts on them).

    Raises:
        InputCountMismatch: when the inputs are not as many as the key takes.
    """
    inputs = tuple(proof.inputs if public_inputs is None else public_inputs)
    if len(inputs) != key.inputs:
        raise InputCountMismatch(f"the key takes {key.inputs} public inputs, the proof has {len(inputs)}")
    if any(not 0 <= x < FIELD_MODULUS for x in inputs):
        log.debug("a public input is not below the field modulus")
        return False
    ops = bn254 or default()
    try:
        vk_x = _g1(key.gamma_abc[0])
        for x, term in zip(inputs, key.gamma_abc[1:], strict=True):
            vk_x = ops.add(vk_x + ops.mul(_g1(term) + _word(x)))
        x, y = int.from_bytes(vk_x[:32], "big"), int.from_bytes(vk_x[32:], "big")
        pairs = (
            _g1(proof.a) + _g2(proof.b),
            _g1(_neg((x, y))) + _g2(key.gamma),
            _g1(_neg(proof.c)) + _g2(key.delta),
            _g1(_neg(key.alpha)) + _g2(key.beta),
        )
        return int.from_bytes(ops.pairing(b"".join(pairs)), "big") == 1
    except InvalidPoint as exc:
        log.debug("invalid proof: %s", exc)
        return False


def verify_job(key: VerificationKey, proof: Proof, statement: JobStatement, *, bn254: Bn254 | None = None) -> bool:
    """Whether ``proof`` proves ``statement`` (the chain's job, prover and commitments, not the proof's own inputs)."""
    return verify(key, proof, statement.public_inputs(), bn254=bn254)
