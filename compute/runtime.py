"""Deterministic WebAssembly execution: the program interface of docs/programs.md.

A program is a WASI command: it reads its input on stdin and writes its output on stdout. The
host offers only `fd_read` (stdin), `fd_write` (stdout, stderr), `proc_exit`, and empty
arguments and environment: no clock, no randomness, no files, no network. A module importing
anything else does not run (`FORBIDDEN_IMPORT`). Execution is fuel-metered, NaNs are
canonicalised and memory is capped, so every replica computes the same (status, output, fuel).

A checkpoint is the state of the same execution after a given amount of fuel: its memory, the
output written and the input read so far. Only a replica that executes the program up to that
point can name it, which is why jurors commit one beside their result.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from dataclasses import dataclass
from typing import Any

from wasmtime import (
    Config,
    Engine,
    Func,
    FuncType,
    Instance,
    Linker,
    Memory,
    Module,
    Store,
    Trap,
    TrapCode,
    ValType,
    WasmtimeError,
)

from .results import DEFAULT_OUTPUT, Result, Status

WASI = "wasi_snapshot_preview1"
ERRNO_SUCCESS, ERRNO_BADF, ERRNO_FAULT = 0, 8, 21
DEFAULT_MEMORY = 64 * 1024 * 1024
STDERR_KEPT = 4096
CHECKPOINT_TAG = b"agora.checkpoint.v1"


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class _OutputLimit(Exception):
    pass


_ENGINE: Engine | None = None
_MODULES: dict[str, Module] = {}
_LOCK = threading.Lock()


def engine() -> Engine:
    """The process's engine: fuel on, NaN canonicalisation on, no threads or SIMD relaxations."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            config = Config()
            config.consume_fuel = True
            config.cranelift_nan_canonicalization = True
            config.wasm_threads = False
            config.wasm_relaxed_simd = False
            _ENGINE = Engine(config)
        return _ENGINE


def compile_module(wasm: bytes, *, key: str | None = None) -> Module:
    """Compiles (or takes from the cache, by ``key`` such as the program's CID) a module."""
    if key is not None and key in _MODULES:
        return _MODULES[key]
    module = Module(engine(), wasm)
    if key is not None:
        with _LOCK:
            _MODULES[key] = module
    return module


_ALLOWED = {
    "fd_read",
    "fd_write",
    "proc_exit",
    "args_sizes_get",
    "args_get",
    "environ_sizes_get",
    "environ_get",
    "fd_close",
    "fd_fdstat_get",
    "fd_seek",
    "fd_prestat_get",
    "fd_prestat_dir_name",
}


def _forbidden_imports(module: Module) -> list[str]:
    return [
        f"{imp.module}.{imp.name}"
        for imp in module.imports
        if imp.module != WASI or imp.name not in _ALLOWED or not isinstance(imp.type, FuncType)
    ]


class _Host:
    """The WASI subset, over one store's memory."""

    def __init__(self, stdin: bytes, max_output: int) -> None:
        self.stdin = memoryview(stdin)
        self.pos = 0
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.max_output = max_output

    @staticmethod
    def _memory(caller: Any) -> Any:
        return caller["memory"]

    def fd_read(self, caller: Any, fd: int, iovs: int, iovs_len: int, nread: int) -> int:
        if fd != 0:
            return ERRNO_BADF
        mem = self._memory(caller)
        store = caller
        total = 0
        for i in range(iovs_len):
            buf, length = struct.unpack("<II", mem.read(store, iovs + 8 * i, iovs + 8 * i + 8))
            chunk = bytes(self.stdin[self.pos : self.pos + length])
            if chunk:
                mem.write(store, chunk, buf)
            self.pos += len(chunk)
            total += len(chunk)
            if len(chunk) < length:
                break
        mem.write(store, struct.pack("<I", total), nread)
        return ERRNO_SUCCESS

    def fd_write(self, caller: Any, fd: int, iovs: int, iovs_len: int, nwritten: int) -> int:
        if fd not in (1, 2):
            return ERRNO_BADF
        mem = self._memory(caller)
        total = 0
        for i in range(iovs_len):
            buf, length = struct.unpack("<II", mem.read(caller, iovs + 8 * i, iovs + 8 * i + 8))
            data = mem.read(caller, buf, buf + length)
            if fd == 1:
                if len(self.stdout) + len(data) > self.max_output:
                    raise _OutputLimit
                self.stdout += data
            elif len(self.stderr) < STDERR_KEPT:
                self.stderr += data[: STDERR_KEPT - len(self.stderr)]
            total += length
        mem.write(caller, struct.pack("<I", total), nwritten)
        return ERRNO_SUCCESS

    @staticmethod
    def proc_exit(code: int) -> None:
        raise _Exit(code)

    def sizes(self, caller: Any, count_ptr: int, size_ptr: int) -> int:
        mem = self._memory(caller)
        mem.write(caller, struct.pack("<II", 0, 0)[:4], count_ptr)
        mem.write(caller, struct.pack("<I", 0), size_ptr)
        return ERRNO_SUCCESS

    def link(self, linker: Linker) -> None:
        i32 = ValType.i32()
        i64 = ValType.i64()
        io = FuncType([i32, i32, i32, i32], [i32])
        linker.define_func(WASI, "fd_read", io, self.fd_read, access_caller=True)
        linker.define_func(WASI, "fd_write", io, self.fd_write, access_caller=True)
        linker.define_func(WASI, "proc_exit", FuncType([i32], []), self.proc_exit)
        for name in ("args_sizes_get", "environ_sizes_get"):
            linker.define_func(WASI, name, FuncType([i32, i32], [i32]), self.sizes, access_caller=True)
        for name in ("args_get", "environ_get"):
            linker.define_func(WASI, name, FuncType([i32, i32], [i32]), lambda _a, _b: ERRNO_SUCCESS)
        linker.define_func(WASI, "fd_close", FuncType([i32], [i32]), lambda _fd: ERRNO_BADF)
        linker.define_func(WASI, "fd_fdstat_get", FuncType([i32, i32], [i32]), lambda _fd, _p: ERRNO_BADF)
        linker.define_func(WASI, "fd_prestat_get", FuncType([i32, i32], [i32]), lambda _fd, _p: ERRNO_BADF)
        linker.define_func(
            WASI, "fd_prestat_dir_name", FuncType([i32, i32, i32], [i32]), lambda _fd, _p, _l: ERRNO_BADF
        )
        linker.define_func(WASI, "fd_seek", FuncType([i32, i64, i32, i32], [i32]), lambda _fd, _o, _w, _p: ERRNO_BADF)


@dataclass(frozen=True)
class Checkpoint:
    """The state of an execution after ``at`` units of fuel (or its end, if it ended first)."""

    at: int
    fuel_used: int
    finished: bool
    memory_digest: bytes
    output_digest: bytes
    input_read: int

    @property
    def digest(self) -> bytes:
        """sha256 over the domain tag, the fuel asked for and used, whether the run had ended, the
        memory's digest, the output so far and the input bytes read (docs/programs.md)."""
        return hashlib.sha256(
            CHECKPOINT_TAG
            + struct.pack(">QQ", self.at, self.fuel_used)
            + bytes([self.finished])
            + self.memory_digest
            + self.output_digest
            + struct.pack(">Q", self.input_read)
        ).digest()


@dataclass
class _Run:
    result: Result
    host: _Host
    store: Store | None = None
    instance: Instance | None = None

    def memory(self) -> bytes:
        if self.store is None or self.instance is None:
            return b""
        memory = self.instance.exports(self.store).get("memory")
        if not isinstance(memory, Memory):
            return b""
        return bytes(memory.read(self.store, 0, memory.data_len(self.store)))


def _execute(
    wasm: bytes | Module, stdin: bytes, *, fuel: int, memory_limit: int, max_output: int, cache_key: str | None
) -> _Run:
    host = _Host(stdin, max_output)
    try:
        module = wasm if isinstance(wasm, Module) else compile_module(wasm, key=cache_key)
    except WasmtimeError as exc:
        return _Run(Result(Status.INVALID_MODULE, -1, b"", 0, str(exc).splitlines()[0][:200]), host)
    forbidden = _forbidden_imports(module)
    if forbidden:
        return _Run(Result(Status.FORBIDDEN_IMPORT, -1, b"", 0, "imports " + ", ".join(forbidden)), host)
    store = Store(engine())
    store.set_limits(memory_size=memory_limit)
    store.set_fuel(fuel)
    linker = Linker(engine())
    host.link(linker)
    status, code, detail = Status.OK, 0, ""
    instance = None
    try:
        instance = linker.instantiate(store, module)
        start = instance.exports(store).get("_start")
        if not isinstance(start, Func):
            return _Run(Result(Status.INVALID_MODULE, -1, b"", 0, "no _start export: not a WASI command"), host)
        start(store)
    except _Exit as exit_:
        code = exit_.code
        status = Status.OK if code == 0 else Status.EXIT_NONZERO
    except _OutputLimit:
        status, code, detail = Status.OUTPUT_LIMIT, -1, f"output above {max_output} bytes"
    except Trap as trap:
        status, code, detail = _trap_status(trap), -1, str(trap).splitlines()[0][:200]
    except WasmtimeError as exc:
        text = str(exc)
        status = Status.MEMORY_LIMIT if "memory" in text and ("limit" in text or "grow" in text) else Status.TRAP
        code, detail = -1, text.splitlines()[0][:200]
    used = fuel - store.get_fuel()
    output = bytes(host.stdout) if status in (Status.OK, Status.EXIT_NONZERO) else b""
    return _Run(Result(status, code, output, used, detail), host, store, instance)


def run(
    wasm: bytes | Module,
    stdin: bytes,
    *,
    fuel: int,
    memory_limit: int = DEFAULT_MEMORY,
    max_output: int = DEFAULT_OUTPUT,
    cache_key: str | None = None,
) -> Result:
    """Runs a program on ``stdin`` with ``fuel``; never raises for anything the program does."""
    return _execute(
        wasm, stdin, fuel=fuel, memory_limit=memory_limit, max_output=max_output, cache_key=cache_key
    ).result


def checkpoint(
    wasm: bytes | Module,
    stdin: bytes,
    *,
    fuel: int,
    at: int,
    memory_limit: int = DEFAULT_MEMORY,
    max_output: int = DEFAULT_OUTPUT,
    cache_key: str | None = None,
) -> Checkpoint:
    """The state of the run of ``run(wasm, stdin, fuel=fuel)`` once it has used ``at`` fuel.

    The run stops there; if it ends first (or ``at`` reaches its fuel limit), the checkpoint is its
    final state. Like `run`, it never raises for anything the program does.
    """
    if at < 0:
        raise ValueError("a checkpoint's fuel count cannot be negative")
    budget = min(at, fuel)
    done = _execute(wasm, stdin, fuel=budget, memory_limit=memory_limit, max_output=max_output, cache_key=cache_key)
    stopped_early = done.result.status == Status.OUT_OF_FUEL and budget < fuel
    return Checkpoint(
        at=at,
        fuel_used=done.result.fuel_used,
        finished=not stopped_early,
        memory_digest=hashlib.sha256(done.memory()).digest(),
        output_digest=hashlib.sha256(bytes(done.host.stdout)).digest(),
        input_read=done.host.pos,
    )


def _trap_status(trap: Trap) -> Status:
    if trap.trap_code == TrapCode.OUT_OF_FUEL:
        return Status.OUT_OF_FUEL
    return Status.TRAP
