"""The deterministic WebAssembly runtime: every outcome is a defined status, replicas agree."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wasmtime import wat2wasm

from compute import Status, checkpoint, run

# Reads all of stdin (up to 64 KiB) and writes it back reversed, byte by byte.
REVERSE = wat2wasm(
    """
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 4)
  (func (export "_start") (local $n i32) (local $i i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $n (i32.load (i32.const 8)))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8
        (i32.add (i32.const 131072) (local.get $i))
        (i32.load8_u (i32.add (i32.const 1024) (i32.sub (i32.sub (local.get $n) (local.get $i)) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (i32.store (i32.const 0) (i32.const 131072))
    (i32.store (i32.const 4) (local.get $n))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (call $exit (i32.const 0))))
"""
)


def module(body: str, imports: str = "", memory: int = 1) -> bytes:
    return wat2wasm(f'(module {imports} (memory (export "memory") {memory}) (func (export "_start") {body}))')


def test_a_program_reads_stdin_and_writes_stdout() -> None:
    result = run(REVERSE, b"agora", fuel=1_000_000)
    assert (result.status, result.exit_code, result.output) == (Status.OK, 0, b"aroga")
    assert 0 < result.fuel_used < 1_000_000


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=2000))
def test_replicas_agree_on_output_digest_and_fuel(data: bytes) -> None:
    first = run(REVERSE, data, fuel=10_000_000)
    second = run(REVERSE, data, fuel=10_000_000)
    assert first == second
    assert first.output == data[::-1]
    assert first.to_json()["outputDigest"] == first.output_digest.hex()


def test_running_out_of_fuel_is_a_status() -> None:
    result = run(module("(loop (br 0))"), b"", fuel=50_000)
    assert result.status is Status.OUT_OF_FUEL
    assert result.fuel_used == 50_000


def test_a_trap_is_a_status() -> None:
    assert run(module("unreachable"), b"", fuel=100).status is Status.TRAP
    assert run(module("(drop (i32.div_u (i32.const 1) (i32.const 0)))"), b"", fuel=100).status is Status.TRAP


def test_exit_codes_are_reported() -> None:
    exit_ = '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
    result = run(module("(call $exit (i32.const 7))", exit_), b"", fuel=100)
    assert (result.status, result.exit_code) == (Status.EXIT_NONZERO, 7)


@pytest.mark.parametrize(
    "name,signature",
    [
        ("clock_time_get", "(param i32 i64 i32) (result i32)"),
        ("random_get", "(param i32 i32) (result i32)"),
        ("path_open", "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)"),
        ("sock_accept", "(param i32 i32 i32) (result i32)"),
    ],
)
def test_clock_randomness_files_and_network_are_not_there(name: str, signature: str) -> None:
    imports = f'(import "wasi_snapshot_preview1" "{name}" (func {signature}))'
    result = run(module("", imports), b"", fuel=100)
    assert result.status is Status.FORBIDDEN_IMPORT
    assert name in result.detail


def test_a_host_function_outside_wasi_is_forbidden() -> None:
    result = run(module("", '(import "env" "syscall" (func))'), b"", fuel=100)
    assert result.status is Status.FORBIDDEN_IMPORT and "env.syscall" in result.detail


def test_memory_above_the_cap_is_a_status() -> None:
    result = run(module("", memory=2000), b"", fuel=100, memory_limit=64 * 1024 * 1024)
    assert result.status is Status.MEMORY_LIMIT


def test_growing_past_the_cap_fails_like_an_allocation() -> None:
    # memory.grow answers -1 beyond the cap; this program then writes out of bounds and traps
    body = "(drop (memory.grow (i32.const 2000))) (i32.store (i32.const 100000000) (i32.const 1))"
    assert run(module(body), b"", fuel=1000, memory_limit=1 << 20).status is Status.TRAP


def test_oversize_output_is_a_status() -> None:
    result = run(REVERSE, b"x" * 5000, fuel=10_000_000, max_output=1000)
    assert (result.status, result.output) == (Status.OUTPUT_LIMIT, b"")


def test_garbage_and_non_commands_are_invalid_modules() -> None:
    assert run(b"\x00asm garbage", b"", fuel=100).status is Status.INVALID_MODULE
    reactor = wat2wasm('(module (memory (export "memory") 1) (func (export "main")))')
    assert run(reactor, b"", fuel=100).status is Status.INVALID_MODULE


# -- checkpoints -----------------------------------------------------------------------------------


def test_a_checkpoint_past_the_end_is_the_final_state() -> None:
    done = run(REVERSE, b"agora", fuel=1_000_000)
    end = checkpoint(REVERSE, b"agora", fuel=1_000_000, at=10**9)
    assert end.finished
    assert end.fuel_used == done.fuel_used
    assert end.input_read == 5
    assert end.output_digest == done.output_digest
    later = checkpoint(REVERSE, b"agora", fuel=1_000_000, at=done.fuel_used + 1)
    assert (later.fuel_used, later.memory_digest, later.finished) == (end.fuel_used, end.memory_digest, True)
    assert later.digest != end.digest  # the fuel count asked for is part of what is committed


def test_a_checkpoint_stops_the_run_where_it_is_asked() -> None:
    data = bytes(range(200))
    done = run(REVERSE, data, fuel=1_000_000)
    middle = checkpoint(REVERSE, data, fuel=1_000_000, at=done.fuel_used // 2)
    assert not middle.finished
    assert middle.fuel_used == done.fuel_used // 2
    assert middle.input_read == len(data)  # read at once, before the copy loop
    assert middle.output_digest == hashlib.sha256(b"").digest()  # nothing written yet


@settings(max_examples=20, deadline=None)
@given(st.binary(min_size=1, max_size=500), st.integers(min_value=0, max_value=100_000))
def test_replicas_agree_on_every_checkpoint(data: bytes, at: int) -> None:
    first = checkpoint(REVERSE, data, fuel=10_000_000, at=at)
    assert first == checkpoint(REVERSE, data, fuel=10_000_000, at=at)
    assert first.digest == checkpoint(REVERSE, data, fuel=10_000_000, at=at).digest


def test_a_checkpoint_needs_the_execution_it_names() -> None:
    """Another input, another point in the run, or another program: another digest, so a juror
    cannot name a checkpoint without running the job up to it."""
    data = bytes(range(100))
    done = run(REVERSE, data, fuel=1_000_000)
    at = done.fuel_used * 3 // 4  # inside the copy loop: memory differs with the bytes copied
    base = checkpoint(REVERSE, data, fuel=1_000_000, at=at).digest
    assert checkpoint(REVERSE, data[:-1] + b"\xff", fuel=1_000_000, at=at).digest != base
    assert checkpoint(REVERSE, data, fuel=1_000_000, at=at + 20).digest != base
    other = module("(i32.store (i32.const 0) (i32.const 7))")
    assert checkpoint(other, data, fuel=1_000_000, at=at).digest != base


def test_a_checkpoint_of_a_module_that_does_not_run_is_defined() -> None:
    bad = checkpoint(b"\x00asm-not", b"", fuel=1000, at=10)
    assert bad.finished and bad.fuel_used == 0 and bad.memory_digest == hashlib.sha256(b"").digest()
    with pytest.raises(ValueError):
        checkpoint(REVERSE, b"", fuel=1000, at=-1)
