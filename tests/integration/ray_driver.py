"""A Ray driver in a process of its own, for tests: reads executions as JSON on stdin, runs each
as Ray tasks on a local Ray, prints the results as JSON.

Ray replaces the process's SIGILL/SIGSEGV handlers, which wasmtime needs to turn traps into
errors; so no process that is a Ray driver may run a module itself, and the test process must
not become one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import ray  # noqa: E402

from compute import RayExecutor, result_of  # noqa: E402


def main() -> None:
    request = json.load(sys.stdin)
    jobs = request["jobs"]
    if request.get("address"):
        executor = RayExecutor(request["address"])
    else:
        executor = RayExecutor("local", num_cpus=2, object_store_memory=100 * 1024 * 1024)
    try:
        out = []
        for job in jobs:
            wasm = Path(job["wasm"]).read_bytes() if job["wasm"] else bytes.fromhex(job["raw"])
            refs = [
                executor.submit(
                    job["key"], wasm, bytes.fromhex(job["stdin"]), fuel=job["fuel"], resources=job.get("resources")
                )
                for _ in range(job.get("replicas", 1))
            ]
            replicas = []
            for data in ray.get(refs):
                result, node = result_of(data)
                replicas.append({**result.to_json(), "output": result.output.hex(), "node": node})
            out.append(replicas)
        sys.stdout.write(json.dumps(out) + "\n")
    finally:
        executor.shutdown()


if __name__ == "__main__":
    main()
