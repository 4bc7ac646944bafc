"""Typed ZoKrates artifacts (program, keys, proof, verifier contract) and their stored forms.

Every artifact serialises to bytes for the content-addressed store: canonical JSON (sorted keys,
no spaces; binary as base64), so equal artifacts give equal bytes and so equal CIDs. Keys and proofs
use ZoKrates' own JSON shape inside (``to_json``), so zokrates-js reads them back as they are.
Curve points are integers; a G2 coordinate is ``(c0, c1)``, the real part first, as in ZoKrates'
JSON (the EIP-197 precompile and the exported Solidity take the imaginary part first).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import orjson

from .errors import MalformedArtifact

G1 = tuple[int, int]
G2 = tuple[tuple[int, int], tuple[int, int]]
T = TypeVar("T")
_WORD = 1 << 256


def _canonical(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _load(raw: bytes, fmt: str) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedArtifact(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise MalformedArtifact(f"not a {fmt} document")
    return data


def _field(data: dict[str, Any], key: str, kind: type[T]) -> T:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise MalformedArtifact(f"{key} must be a {kind.__name__}")
    return value


def _guard(what: str, parse: Callable[[], T]) -> T:
    try:
        return parse()
    except (AttributeError, KeyError, IndexError, TypeError, ValueError, binascii.Error) as exc:
        if isinstance(exc, MalformedArtifact):
            raise
        raise MalformedArtifact(f"malformed {what}: {exc}") from None


def _int(text: Any) -> int:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) > 66:
        raise ValueError(f"{text!r} is not a 0x hex word")
    return int(text, 16)


def _hex(n: int) -> str:
    return f"0x{n:064x}"


def _g1(pair: Any) -> G1:
    if len(pair) != 2:
        raise ValueError("a G1 point has two coordinates")
    return _int(pair[0]), _int(pair[1])


def _g2(pairs: Any) -> G2:
    if len(pairs) != 2:
        raise ValueError("a G2 point has two coordinates")
    x, y = _g1(pairs[0]), _g1(pairs[1])
    return x, y


def _g1_json(p: G1) -> list[str]:
    return [_hex(p[0]), _hex(p[1])]


def _g2_json(p: G2) -> list[list[str]]:
    return [_g1_json(p[0]), _g1_json(p[1])]


@dataclass(frozen=True)
class Program:
    """A compiled ZoKrates program (bn254, the arkworks backend) with its source and ABI."""

    source: str
    compiled: bytes
    """ZoKrates' compiled program, as zokrates-js hands it out."""
    abi: dict[str, Any]
    constraint_count: int
    public_inputs: tuple[str, ...]
    """The names of the public field elements, flattened in the order of the verifier's inputs."""
    zokrates: str
    """The ZoKrates version that compiled it (zokrates-js's)."""

    FORMAT = "agora.zk.program.v1"

    def to_bytes(self) -> bytes:
        return _canonical(
            {
                "format": self.FORMAT,
                "source": self.source,
                "program": base64.b64encode(self.compiled).decode(),
                "abi": self.abi,
                "constraintCount": self.constraint_count,
                "publicInputs": list(self.public_inputs),
                "zokrates": self.zokrates,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Program:
        """Raises: MalformedArtifact."""
        data = _load(raw, cls.FORMAT)

        def parse() -> Program:
            names = _field(data, "publicInputs", list)
            if not all(isinstance(name, str) for name in names):
                raise ValueError("publicInputs must be names")
            return cls(
                source=_field(data, "source", str),
                compiled=base64.b64decode(_field(data, "program", str), validate=True),
                abi=_field(data, "abi", dict),
                constraint_count=_field(data, "constraintCount", int),
                public_inputs=tuple(names),
                zokrates=_field(data, "zokrates", str),
            )

        return _guard("program", parse)


@dataclass(frozen=True)
class VerificationKey:
    """A Groth16 verification key on bn254."""

    alpha: G1
    beta: G2
    gamma: G2
    delta: G2
    gamma_abc: tuple[G1, ...]
    """The input terms: one for the constant, then one per public input."""

    @property
    def inputs(self) -> int:
        """How many public inputs a proof for this key has."""
        return len(self.gamma_abc) - 1

    def to_json(self) -> dict[str, Any]:
        """ZoKrates' JSON form (what zokrates-js's verify and export read)."""
        return {
            "scheme": "g16",
            "curve": "bn128",
            "alpha": _g1_json(self.alpha),
            "beta": _g2_json(self.beta),
            "gamma": _g2_json(self.gamma),
            "delta": _g2_json(self.delta),
            "gamma_abc": [_g1_json(p) for p in self.gamma_abc],
        }

    @classmethod
    def from_json(cls, data: Any) -> VerificationKey:
        """Raises: MalformedArtifact (another scheme or curve, a malformed point)."""

        def parse() -> VerificationKey:
            if data.get("scheme") != "g16" or data.get("curve") != "bn128":
                raise ValueError("only Groth16 keys on bn128 are supported")
            abc = data["gamma_abc"]
            if not isinstance(abc, list) or not abc:
                raise ValueError("gamma_abc must be a non-empty list")
            return cls(
                alpha=_g1(data["alpha"]),
                beta=_g2(data["beta"]),
                gamma=_g2(data["gamma"]),
                delta=_g2(data["delta"]),
                gamma_abc=tuple(_g1(p) for p in abc),
            )

        return _guard("verification key", parse)

    FORMAT = "agora.zk.vk.v1"

    def to_bytes(self) -> bytes:
        return _canonical({"format": self.FORMAT, "key": self.to_json()})

    @classmethod
    def from_bytes(cls, raw: bytes) -> VerificationKey:
        """Raises: MalformedArtifact."""
        return cls.from_json(_load(raw, cls.FORMAT).get("key"))


@dataclass(frozen=True)
class Keys:
    """What a Groth16 setup makes: the verification key and the proving key (ZoKrates' binary form)."""

    verification_key: VerificationKey
    proving_key: bytes


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof and the public inputs it was made for."""

    a: G1
    b: G2
    c: G1
    inputs: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """ZoKrates' JSON form (what zokrates-js's verify reads)."""
        return {
            "scheme": "g16",
            "curve": "bn128",
            "proof": {"a": _g1_json(self.a), "b": _g2_json(self.b), "c": _g1_json(self.c)},
            "inputs": [_hex(n) for n in self.inputs],
        }

    @classmethod
    def from_json(cls, data: Any) -> Proof:
        """Raises: MalformedArtifact."""

        def parse() -> Proof:
            if data.get("scheme") != "g16" or data.get("curve") != "bn128":
                raise ValueError("only Groth16 proofs on bn128 are supported")
            proof, inputs = data["proof"], data["inputs"]
            if not isinstance(inputs, list):
                raise ValueError("inputs must be a list")
            return cls(a=_g1(proof["a"]), b=_g2(proof["b"]), c=_g1(proof["c"]), inputs=tuple(_int(n) for n in inputs))

        return _guard("proof", parse)

    FORMAT = "agora.zk.proof.v1"

    def to_bytes(self) -> bytes:
        return _canonical({"format": self.FORMAT, "proof": self.to_json()})

    @classmethod
    def from_bytes(cls, raw: bytes) -> Proof:
        """Raises: MalformedArtifact."""
        return cls.from_json(_load(raw, cls.FORMAT).get("proof"))

    def with_inputs(self, inputs: tuple[int, ...] | list[int]) -> Proof:
        """The same proof points claimed for other public inputs."""
        return replace(self, inputs=tuple(inputs))

    def verifier_arguments(self) -> tuple[tuple[G1, G2, G1], list[int]]:
        """The exported verifier's ``verifyTx(Proof, uint[N])`` arguments, for web3."""
        return (self.a, self.b, self.c), list(self.inputs)

    def words(self) -> tuple[int, ...]:
        """The proof's eight words in the verifier's order: a.x, a.y, b.x (c0, c1), b.y (c0, c1), c.x, c.y."""
        (bx, by) = self.b
        return (*self.a, *bx, *by, *self.c)

    def encoded(self) -> bytes:
        """The eight words as 256 bytes (``abi.encode`` of the verifier's ``Proof`` struct)."""
        return b"".join(w.to_bytes(32, "big") for w in self.words())

    @classmethod
    def decode(cls, data: bytes, inputs: tuple[int, ...] | list[int]) -> Proof:
        """The proof `encoded` made, with the public inputs it is claimed for.

        Raises:
            MalformedArtifact: when ``data`` is not 256 bytes.
        """
        if len(data) != 256:
            raise MalformedArtifact(f"an encoded proof is 256 bytes, not {len(data)}")
        w = [int.from_bytes(data[i : i + 32], "big") for i in range(0, 256, 32)]
        return cls(a=(w[0], w[1]), b=((w[2], w[3]), (w[4], w[5])), c=(w[6], w[7]), inputs=tuple(inputs))


@dataclass(frozen=True)
class VerifierContract:
    """The Solidity verifier ZoKrates exports for a key, compiled by the pinned solc."""

    source: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    solc: str
    """The compiler's version."""
    contract: str = "Verifier"
