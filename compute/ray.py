"""Executions as Ray tasks: one machine (`ray.init(address="local")`) or a cluster by address.

A task returns plain data whatever happens (an exception that cannot be pickled, such as a
wasmtime trap, would kill the Ray worker), and compiled modules are cached per Ray worker
process by program CID.

A Ray of this machine alone (``local``, or a head on a loopback address) listens on 127.0.0.1
only and reports no usage statistics: `LOOPBACK_RAY_ENV` in the environment of every Ray
process (the head, its nodes and every driver). Ray otherwise swaps a loopback address for the
host's network address and listens on every interface.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import ray
from ray._private import ray_constants

from .runtime import DEFAULT_MEMORY, DEFAULT_OUTPUT, Result, Status, checkpoint, run

T = TypeVar("T")

log = logging.getLogger(__name__)

LOOPBACK_RAY_ENV = {
    # Ray's switch for a machine that is not part of a cluster: every server on 127.0.0.1.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    # `ray start` still announces "usage disabled" once: to a closed local port, not the network.
    "RAY_USAGE_STATS_REPORT_URL": "http://127.0.0.1:9/",
    # Token auth is for clusters spanning hosts; nothing outside this machine can reach this one.
    "RAY_AUTH_MODE": "disabled",
}
_SOCKET_ROOM = 36
"""Longest session directory whose sockets (`…/session_<date>_<pid>/sockets/plasma_store`)
fit in the 107 bytes of a unix socket path."""


def ray_temp_dir(home: Path) -> Path:
    """Where Ray keeps a session's files: ``home/ray``, under a short alias when the path is long.

    Ray puts unix sockets inside its session directory, and a socket path has at most 107 bytes;
    for a long home a symbolic link in the system's temporary directory points there, so every
    file still lives under the home.
    """
    target = (home / "ray").resolve()
    target.mkdir(parents=True, exist_ok=True)
    if len(str(target)) <= _SOCKET_ROOM:
        return target
    alias = Path(tempfile.gettempdir()) / f"agora-ray-{hashlib.sha256(str(target).encode()).hexdigest()[:10]}"
    if not (alias.is_symlink() and alias.resolve() == target):
        alias.unlink(missing_ok=True)
        alias.symlink_to(target, target_is_directory=True)
    return alias


def keep_ray_on_loopback() -> None:
    """Makes the Ray this process starts or joins listen on 127.0.0.1 only, with no usage statistics.

    Sets `LOOPBACK_RAY_ENV` for the Ray processes started from here and Ray's own reading of it
    in this process, which took place when Ray was imported. Only for a Ray of this machine:
    a node with it cannot join a cluster spanning hosts.
    """
    os.environ.update(LOOPBACK_RAY_ENV)
    ray_constants.ENABLE_RAY_CLUSTER = False


def is_loopback(address: str) -> bool:
    """Whether ``address`` ("local" or HOST:PORT) is a Ray of this machine alone."""
    return address == "local" or address.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "::1", "[::1]")


def _execute(key: str, wasm: bytes, stdin: bytes, fuel: int, memory_limit: int, max_output: int) -> dict[str, Any]:
    node = ray.get_runtime_context().get_node_id()
    try:
        r = run(wasm, stdin, fuel=fuel, memory_limit=memory_limit, max_output=max_output, cache_key=key)
        return {
            "status": r.status.value,
            "exit_code": r.exit_code,
            "output": r.output,
            "fuel_used": r.fuel_used,
            "detail": r.detail,
            "node": node,
        }
    except BaseException as exc:  # noqa: BLE001 - a task must return data, never die
        return {
            "status": Status.TRAP.value,
            "exit_code": -1,
            "output": b"",
            "fuel_used": fuel,
            "detail": f"host error: {type(exc).__name__}: {exc}"[:200],
            "node": node,
        }


_execute_remote = ray.remote(num_cpus=1, max_retries=0)(_execute)


def _judge(
    key: str, wasm: bytes, stdin: bytes, fuel: int, at: int, memory_limit: int, max_output: int
) -> dict[str, Any]:
    """A juror's execution: the whole run, and the state digest after ``at`` fuel."""
    data = _execute(key, wasm, stdin, fuel, memory_limit, max_output)
    try:
        state = checkpoint(
            wasm, stdin, fuel=fuel, at=at, memory_limit=memory_limit, max_output=max_output, cache_key=key
        )
        data["checkpoint"] = state.digest
    except BaseException as exc:  # noqa: BLE001 - a task must return data, never die
        data["checkpoint"] = b""
        data["detail"] = f"host error at the checkpoint: {type(exc).__name__}: {exc}"[:200]
    return data


_judge_remote = ray.remote(num_cpus=1, max_retries=0)(_judge)


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return fn(*args)


_call_remote = ray.remote(num_cpus=1, max_retries=0)(_call)


def result_of(data: dict[str, Any]) -> tuple[Result, str]:
    """The `Result` and the Ray node id from a task's return value."""
    result = Result(
        Status(data["status"]),
        int(data["exit_code"]),
        bytes(data["output"]),
        int(data["fuel_used"]),
        str(data["detail"]),
    )
    return result, str(data["node"])


class RayExecutor:
    """Runs programs as Ray tasks on a local Ray or a cluster."""

    def __init__(
        self,
        address: str = "local",
        *,
        num_cpus: int | None = None,
        object_store_memory: int = 256 * 1024 * 1024,
        temp_dir: Path | None = None,
    ) -> None:
        """``temp_dir``: where a local Ray keeps its session files (see `ray_temp_dir`)."""
        self.owned = not ray.is_initialized()
        if self.owned:
            if is_loopback(address):
                keep_ray_on_loopback()
            if address == "local":
                ray.init(
                    address="local",
                    num_cpus=num_cpus,
                    include_dashboard=False,
                    object_store_memory=object_store_memory,
                    log_to_driver=False,
                    _temp_dir=None if temp_dir is None else str(temp_dir),
                )
            else:
                ray.init(address=address, log_to_driver=False)
        log.info("Ray: %s, resources %s", address, ray.cluster_resources())

    def submit(
        self,
        key: str,
        wasm: bytes,
        stdin: bytes,
        *,
        fuel: int,
        memory_limit: int = DEFAULT_MEMORY,
        max_output: int = DEFAULT_OUTPUT,
        resources: dict[str, float] | None = None,
    ) -> ray.ObjectRef:
        task = _execute_remote.options(resources=resources) if resources else _execute_remote
        return task.remote(key, wasm, stdin, fuel, memory_limit, max_output)

    def run(self, key: str, wasm: bytes, stdin: bytes, *, fuel: int, **kwargs: Any) -> tuple[Result, str]:
        """Runs one execution and waits for it; returns the result and the node that ran it."""
        return result_of(ray.get(self.submit(key, wasm, stdin, fuel=fuel, **kwargs)))

    def judge(
        self,
        key: str,
        wasm: bytes,
        stdin: bytes,
        *,
        fuel: int,
        at: int,
        memory_limit: int = DEFAULT_MEMORY,
        max_output: int = DEFAULT_OUTPUT,
    ) -> tuple[Result, bytes]:
        """What a drawn juror reveals: the run's result and the state digest after ``at`` fuel
        (`checkpoint`), computed on Ray. An empty checkpoint means the host failed, not the program."""
        data = ray.get(_judge_remote.remote(key, wasm, stdin, fuel, at, memory_limit, max_output))
        result, _node = result_of(data)
        return result, bytes(data["checkpoint"])

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs ``fn(*args)`` as a Ray task (one CPU) and waits for its value: work that is not a
        WebAssembly program, such as a worker's Groth16 proof. ``fn`` must be importable where
        the task runs (a module-level function of ours); its exception is raised here."""
        try:
            value: T = ray.get(_call_remote.remote(fn, args))
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                raise cause from None  # the task's own error, as if it had run here
            raise
        return value

    def shutdown(self) -> None:
        if self.owned and ray.is_initialized():
            ray.shutdown()
