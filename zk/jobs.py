"""ZK job formats: a registered job program's manifest, a job's spec, and how a job's input and
result become a program's arguments and commitments. Pure data (the store, the chain and the
worker's side are in `duties.zkjobs`). docs/zk.md, "ZK jobs end to end".

A registered program is a manifest in the store (`ZkProgram`, format ``agora.zk.job-program.v1``):
the compiled job program, its proving and verification keys, its source, an optional result
program, and the verifier contract deployed for its key (address and code hash: what a request
pins, ``verifierPin`` = the address ‖ the code hash's first 12 bytes). A job names a spec
(`ZkJob`, ``agora.zk.job.v1``): the program's manifest and the input block's CID.

The input is one 64-byte block. A job program's private parameters are that block, as ``u8[64]``
or ``u32[16]`` (big-endian words), and optionally a 32-byte salt, ``u32[8]``. A program that
computes something has a result program (``FILE.result.zok``): the same private parameters,
returning one ``field``, the result's value; the result block is the value as 32 bytes
big-endian and the salt (so the commitment hides the value), and the result commitment is its
commitment. Without one, the program proves a fact about its input: result commitment 0, no
result block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from .artifacts import Program
from .artifacts import _canonical as _canonical
from .artifacts import _load as load_document
from .errors import MalformedArtifact, ZkError
from .pedersen import commitment
from .statement import FIELD_MODULUS
from .toolchain import execute

BLOCK = 64
SALT = 32
NO_RESULT = b"\x00" * 32
PROGRAM_FORMAT = "agora.zk.job-program.v1"
JOB_FORMAT = "agora.zk.job.v1"
MAX_MANIFEST = 64 * 1024


class ZkJobError(ZkError):
    """A ZK program that cannot be registered, a malformed manifest or spec, or a job that cannot
    be proven as posted."""


def _load(raw: bytes, fmt: str) -> dict[str, Any]:
    try:
        return load_document(raw, fmt)
    except MalformedArtifact as exc:
        raise ZkJobError(f"not a {fmt} document: {exc}") from None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ZkJobError(f"{key!r} is missing or not a string")
    return value


@dataclass(frozen=True)
class Recipe:
    """How a job's input block (and salt) become the program's private arguments."""

    words: bool
    """The block as ``u32[16]`` (True) or ``u8[64]``."""
    salted: bool

    @classmethod
    def of(cls, program: Program) -> Recipe:
        """The recipe ``program``'s private parameters follow.

        Raises:
            ZkJobError: when they are not the block (``u8[64]`` or ``u32[16]``) and an optional salt (``u32[8]``).
        """
        private = [p for p in program.abi.get("inputs", []) if not p.get("public")]
        shapes = [
            (p.get("type"), p.get("components", {}).get("type"), p.get("components", {}).get("size")) for p in private
        ]
        block = {("array", "u8", 64): False, ("array", "u32", 16): True}
        if not shapes or shapes[0] not in block or shapes[1:] not in ([], [("array", "u32", 8)]):
            raise ZkJobError(
                "a job program's private parameters are the 64-byte input (u8[64] or u32[16]) and "
                f"optionally a 32-byte salt (u32[8]); this one has {[p.get('name') for p in private]}"
            )
        return cls(words=block[shapes[0]], salted=len(shapes) == 2)

    def arguments(self, block: bytes, salt: bytes) -> list[Any]:
        """ZoKrates arguments for the private parameters."""
        if self.words:
            args: list[Any] = [_words(block)]
        else:
            args = [[f"0x{c:02x}" for c in block]]
        return [*args, _words(salt)] if self.salted else args


def _address(text: str) -> str:
    raw = bytes.fromhex(text.removeprefix("0x"))
    if len(raw) != 20:
        raise ValueError(f"{text!r} is not an address")
    return str(to_checksum_address(raw))


def _words(data: bytes) -> list[str]:
    return [f"0x{int.from_bytes(data[i : i + 4], 'big'):08x}" for i in range(0, len(data), 4)]


@dataclass(frozen=True)
class ZkProgram:
    """A registered ZK job program: what its manifest in the store says."""

    name: str
    program: str
    proving_key: str
    verification_key: str
    source: str
    result_program: str | None
    verifier: str
    code_hash: bytes
    words: bool
    salted: bool

    @property
    def recipe(self) -> Recipe:
        return Recipe(words=self.words, salted=self.salted)

    @property
    def pin(self) -> bytes:
        """What a request for this program carries as its ``verifierPin`` (`ProofCourt.pinOf`)."""
        return bytes.fromhex(self.verifier.removeprefix("0x")) + self.code_hash[:12]

    def to_bytes(self) -> bytes:
        return _canonical(
            {
                "format": PROGRAM_FORMAT,
                "name": self.name,
                "program": self.program,
                "provingKey": self.proving_key,
                "verificationKey": self.verification_key,
                "source": self.source,
                "resultProgram": self.result_program,
                "verifier": self.verifier,
                "codeHash": "0x" + self.code_hash.hex(),
                "input": "u32[16]" if self.words else "u8[64]",
                "salted": self.salted,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> ZkProgram:
        """Raises: ZkJobError."""
        data = _load(raw, PROGRAM_FORMAT)
        result = data.get("resultProgram")
        try:
            return cls(
                name=_text(data, "name"),
                program=_text(data, "program"),
                proving_key=_text(data, "provingKey"),
                verification_key=_text(data, "verificationKey"),
                source=_text(data, "source"),
                result_program=result if isinstance(result, str) and result else None,
                verifier=_address(_text(data, "verifier")),
                code_hash=bytes.fromhex(_text(data, "codeHash").removeprefix("0x")),
                words=_text(data, "input") == "u32[16]",
                salted=data.get("salted") is True,
            )
        except ValueError as exc:
            raise ZkJobError(f"a malformed program manifest: {exc}") from None


@dataclass(frozen=True)
class ZkJob:
    """A ZK job's spec: the program's manifest and the input block."""

    program: str
    input: str

    def to_bytes(self) -> bytes:
        return _canonical({"format": JOB_FORMAT, "program": self.program, "input": self.input})

    @classmethod
    def from_bytes(cls, raw: bytes) -> ZkJob:
        """Raises: ZkJobError."""
        data = _load(raw, JOB_FORMAT)
        return cls(program=_text(data, "program"), input=_text(data, "input"))


def result_block(result: Program | None, recipe: Recipe, block: bytes, salt: bytes) -> bytes:
    """The result block the worker stores and commits to (empty when the program computes nothing)."""
    if result is None:
        return b""
    value = execute(result, recipe.arguments(block, salt))
    number = int(value[0] if isinstance(value, list) else value)
    if not 0 <= number < FIELD_MODULUS:
        raise ZkJobError(f"the result program returned {value!r}, not a field element")
    return number.to_bytes(32, "big") + salt


def commitment_of(block: bytes) -> bytes:
    """The result commitment of a result block (0 for none)."""
    return commitment(block) if block else NO_RESULT
