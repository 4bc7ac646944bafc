"""What an execution ends with, without running anything: its status, the result digest replicas
agree on, and the run record stored beside the output (docs/programs.md). Apart from `runtime`,
which executes programs, so a reader of results (the API's client, the API) loads no WebAssembly
engine."""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

DEFAULT_OUTPUT = 16 * 1024 * 1024
"""Bytes a program may write to stdout (its output), unless a job says less."""
RESULT_TAG = b"agora.result.v1"


class Status(StrEnum):
    """How an execution ended; every outcome is one of these, never a crash."""

    OK = "ok"
    EXIT_NONZERO = "exit_nonzero"
    OUT_OF_FUEL = "out_of_fuel"
    TRAP = "trap"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    FORBIDDEN_IMPORT = "forbidden_import"
    INVALID_MODULE = "invalid_module"


@dataclass(frozen=True)
class Result:
    """(status, exit code, output digest, fuel used): what replicas must agree on."""

    status: Status
    exit_code: int
    output: bytes
    fuel_used: int
    detail: str = ""

    @property
    def output_digest(self) -> bytes:
        return hashlib.sha256(self.output).digest()

    @property
    def digest(self) -> bytes:
        """What a worker commits and reveals: sha256 over the domain tag, status, exit code, output
        digest and fuel used (docs/programs.md gives the exact bytes)."""
        return result_digest(self.status, self.exit_code, self.output_digest, self.fuel_used)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "exitCode": self.exit_code,
            "outputDigest": self.output_digest.hex(),
            "outputSize": len(self.output),
            "fuelUsed": self.fuel_used,
            "digest": self.digest.hex(),
            "detail": self.detail,
        }


def result_digest(status: Status, exit_code: int, output_digest: bytes, fuel_used: int) -> bytes:
    """The result digest of docs/programs.md, from its four parts."""
    tag = status.value.encode()
    return hashlib.sha256(
        RESULT_TAG
        + bytes([len(tag)])
        + tag
        + struct.pack(">q", exit_code)
        + output_digest
        + struct.pack(">Q", fuel_used)
    ).digest()


MAX_RECORD = 1024
"""The largest run record anyone reads (a canonical one is under 300 bytes)."""
_RECORD_KEYS = {"format", "status", "exitCode", "fuelUsed", "outputDigest", "output"}
_HEX32 = re.compile(r"[0-9a-f]{64}")
_CID = re.compile(r"[a-z2-7]{1,100}")


@dataclass(frozen=True)
class RunRecord:
    """How a run ended, stored beside its output: what a slot's `resultCid` names.

    Canonical JSON (sorted keys, no spaces): ``format`` 1, ``status``, ``exitCode``,
    ``fuelUsed``, ``outputDigest`` (sha256 of the output, hex) and ``output`` (the output's
    manifest CID). Its `digest` is the result digest of the four parts, so a reader checks a
    record against the digest revealed on chain without running anything, and the output
    against ``outputDigest``: a result never comes without its status, fuel and exit code.
    """

    status: Status
    exit_code: int
    fuel_used: int
    output_digest: bytes
    output: str

    @classmethod
    def of(cls, result: Result, output_cid: str) -> RunRecord:
        return cls(result.status, result.exit_code, result.fuel_used, result.output_digest, output_cid)

    @property
    def digest(self) -> bytes:
        return result_digest(self.status, self.exit_code, self.output_digest, self.fuel_used)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "status": self.status.value,
            "exitCode": self.exit_code,
            "fuelUsed": self.fuel_used,
            "outputDigest": self.output_digest.hex(),
            "output": self.output,
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_bytes(cls, data: bytes) -> RunRecord:
        """A record as stored, checked field by field (ValueError when it is not one)."""
        if len(data) > MAX_RECORD:
            raise ValueError(f"a run record is at most {MAX_RECORD} bytes, not {len(data)}")
        try:
            v = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"a run record is JSON: {exc}") from exc
        if not isinstance(v, dict) or set(v) != _RECORD_KEYS or v["format"] != 1:
            raise ValueError("not a run record (format 1)")
        code, fuel, digest, output = v["exitCode"], v["fuelUsed"], v["outputDigest"], v["output"]
        if type(code) is not int or not -(2**63) <= code < 2**63:
            raise ValueError("exitCode is not an int64")
        if type(fuel) is not int or not 0 <= fuel < 2**64:
            raise ValueError("fuelUsed is not a uint64")
        if not isinstance(digest, str) or not _HEX32.fullmatch(digest):
            raise ValueError("outputDigest is not 64 hex digits")
        if not isinstance(output, str) or not _CID.fullmatch(output):
            raise ValueError("output is not a CID")
        try:
            status = Status(v["status"])
        except ValueError as exc:
            raise ValueError(f"unknown status {v['status']!r}") from exc
        return cls(status, code, fuel, bytes.fromhex(digest), output)
