"""Building programs: C to WebAssembly with zig (the `ziglang` package), or WAT to WebAssembly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wasmtime import wat2wasm

from .errors import BuildError

# Flags that make the module a libc-free WASI command (see examples/programs/agora.h) and the
# output depend only on the source and the pinned zig version.
ZIG_FLAGS = ["--target=wasm32-wasi", "-O2", "-nostdlib", "-Wl,--strip-all", "-ffile-prefix-map=/=/"]


def build(source: Path, output: Path | None = None) -> Path:
    """Compiles ``source`` (.c or .wat) next to it (or to ``output``); returns the .wasm path."""
    output = output or source.with_suffix(".wasm")
    if source.suffix == ".wat":
        try:
            output.write_bytes(wat2wasm(source.read_text()))
        except Exception as exc:  # wasmtime's parse errors
            raise BuildError(f"{source}: {exc}") from None
        return output
    if source.suffix != ".c":
        raise BuildError(f"{source}: only .c (compiled with zig) and .wat programs can be built")
    cmd = [sys.executable, "-m", "ziglang", "cc", *ZIG_FLAGS, "-o", str(output.resolve()), source.name]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=source.parent)
    if done.returncode != 0:
        raise BuildError(f"compiling {source} failed:\n{done.stderr.strip()}")
    return output
