"""Which public inputs of a compiled program take part in no constraint.

A public input that no constraint uses binds nothing: its value is free, so a proof says nothing
about it (docs/zk.md, "Binding"). zokrates-js exports the constraint system in iden3's r1cs
format (``snarkjs`` option); its wires are 0 (the constant one), then the public outputs, then the
public inputs, then the private ones. Only the header and the constraints are read.
"""

from __future__ import annotations

import struct

from .errors import ToolchainError

_MAGIC = b"r1cs"
_HEADER, _CONSTRAINTS = 1, 2


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        if offset < 0 or offset + struct.calcsize(fmt) > len(self.data):
            raise ToolchainError("the r1cs export is truncated")
        return struct.unpack_from(fmt, self.data, offset)


def _sections(r: _Reader) -> dict[int, int]:
    if r.data[:4] != _MAGIC:
        raise ToolchainError("the r1cs export does not start with its magic")
    (count,) = r.unpack("<I", 8)
    offset, sections = 12, {}
    for _ in range(count):
        kind, size = r.unpack("<IQ", offset)
        sections[kind] = offset + 12
        offset += 12 + size
    if _HEADER not in sections or _CONSTRAINTS not in sections:
        raise ToolchainError("the r1cs export lacks its header or its constraints")
    return sections


def public_wires_unused(r1cs: bytes) -> list[int]:
    """Indexes (0-based, in verifier order: inputs then outputs) of public wires no constraint uses.

    Raises:
        ToolchainError: when the export is not a well-formed r1cs file.
    """
    r = _Reader(r1cs)
    sections = _sections(r)
    offset = sections[_HEADER]
    (field_size,) = r.unpack("<I", offset)
    offset += 4 + field_size
    _wires, outputs, inputs, _private = r.unpack("<IIII", offset)
    (constraints,) = r.unpack("<I", offset + 16 + 8)
    public = outputs + inputs
    used = [False] * (public + 1)
    offset = sections[_CONSTRAINTS]
    term = 4 + field_size
    for _ in range(constraints):
        for _ in range(3):  # A, B and C of each constraint
            (terms,) = r.unpack("<I", offset)
            offset += 4
            r.unpack(f"{term * terms}x", offset)  # bounds-checks the whole combination at once
            for i in range(terms):
                start = offset + i * term
                (wire,) = struct.unpack_from("<I", r1cs, start)
                if wire <= public and any(r1cs[start + 4 : start + term]):  # a zero coefficient uses nothing
                    used[wire] = True
            offset += terms * term
    # ZoKrates' verifier takes the inputs first, then the outputs.
    order = [1 + outputs + i for i in range(inputs)] + [1 + i for i in range(outputs)]
    return [index for index, wire in enumerate(order) if not used[wire]]
