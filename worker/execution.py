"""Executions as Ray tasks: one machine (`ray.init(address="local")`) or a cluster by address.

A task returns plain data whatever happens (an exception that cannot be pickled, such as a
wasmtime trap, would kill the Ray worker), and compiled modules are cached per Ray worker
process by program CID.
"""

from __future__ import annotations

import logging
from typing import Any

import ray

from .runtime import DEFAULT_MEMORY, DEFAULT_OUTPUT, Result, Status, run

log = logging.getLogger(__name__)


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
    ) -> None:
        self.owned = not ray.is_initialized()
        if self.owned:
            if address == "local":
                ray.init(
                    address="local",
                    num_cpus=num_cpus,
                    include_dashboard=False,
                    object_store_memory=object_store_memory,
                    log_to_driver=False,
                )
            else:
                host = address.rsplit(":", 1)[0]
                # Ray rewrites a loopback address to the host's own unless told the node's IP.
                node_ip = "127.0.0.1" if host in ("127.0.0.1", "localhost") else None
                ray.init(address=address, log_to_driver=False, _node_ip_address=node_ip)
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

    def shutdown(self) -> None:
        if self.owned and ray.is_initialized():
            ray.shutdown()
