"""Running zk/zokrates.mjs: one JSON request in, one JSON answer out, within a deadline and size limits."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import orjson

from .errors import CompileError, LimitExceeded, SolidityError, ToolchainError, WitnessError, ZkError, ZkTimeout
from .settings import ZkSettings

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).resolve().parent / "zokrates.mjs"
_STDERR_TAIL = 2000
# ZoKrates names a position as "main.zok:4:10" (one line) or "--> 4:10" (a pest parse error).
_POSITION = re.compile(r"(?::|-->\s*)(\d+):(\d+)")


def call(op: str, request: dict[str, Any], settings: ZkSettings, deadline: str) -> Any:
    """Runs ``op`` in a fresh Node process; returns its answer or raises the error it reports.

    ``deadline`` names the setting that bounds its time (``compile_timeout``...).
    """
    timeout = float(getattr(settings, deadline))
    payload = orjson.dumps({**request, "op": op})
    env = {**os.environ, "AGORA_ZK_NODE_MODULES": str(settings.node_modules)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                [settings.node, str(SCRIPT)], stdin=subprocess.PIPE, stdout=out, stderr=err, env=env
            )
        except OSError as exc:
            raise ToolchainError(f"cannot run Node ({settings.node}): {exc}; set AGORA_ZK_NODE") from None
        try:
            proc.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ZkTimeout(f"{op} ran past {timeout:g} s (AGORA_ZK_{deadline.upper()})") from None
        size = os.fstat(out.fileno()).st_size
        if size > settings.max_answer:
            raise LimitExceeded(f"{op}'s answer is {size} bytes, above AGORA_ZK_MAX_ANSWER ({settings.max_answer})")
        out.seek(0)
        raw = out.read()
        err.seek(max(0, os.fstat(err.fileno()).st_size - _STDERR_TAIL))
        stderr = err.read().decode(errors="replace").strip()
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ToolchainError(
            f"{op}: Node exited with {proc.returncode} without an answer: {stderr or 'no output'}"
        ) from None
    if not isinstance(answer, dict):
        raise ToolchainError(f"{op}: the answer is not an object")
    if answer.get("ok") is True:
        return answer
    raise _error(op, answer.get("error"))


def _error(op: str, error: Any) -> ZkError:
    if not isinstance(error, dict):
        return ToolchainError(f"{op}: malformed error {error!r}")
    kind, message = str(error.get("kind")), str(error.get("message"))
    if kind == "compile":
        found = _POSITION.search(message)
        line, column = (int(found.group(1)), int(found.group(2))) if found else (None, None)
        return CompileError(message, line=line, column=column)
    if kind == "witness":
        return WitnessError(message, assertion="Assertion failed" in message)
    if kind == "solc":
        return SolidityError(message)
    return ToolchainError(f"{op} failed ({kind}): {message}")
