"""Execution for an account's slots and seats: programs (cached by CID), runs on Ray, outputs into
the store, results on disk."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from compute import Result, RunRecord, Status
from ledger import UNAVAILABLE, JobRequest, LedgerError, NotReleasable
from store import BlobTooLarge, NotFound, cid_from_digest

from .conduct import Conduct
from .party import RETRY_AFTER, Party, short
from .state import JobRecord, Phase

PROGRAM_CACHE = 32
MISSING_TRIES = 3
"""Fetches that find a program or input on no store node before the worker says it is unavailable."""
T = TypeVar("T")


class Executions:
    def __init__(self, shared: Party, threads: int) -> None:
        self.w = shared
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="job")
        self._programs: dict[str, bytes] = {}
        self._missing_tries: dict[bytes, int] = {}
        self._programs_lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def program(self, cid: str) -> bytes:
        with self._programs_lock:
            wasm = self._programs.get(cid)
        if wasm is None:
            wasm = self.w.store.get(cid, max_size=self.w.max_blob)
            with self._programs_lock:
                if len(self._programs) >= PROGRAM_CACHE:
                    self._programs.pop(next(iter(self._programs)))
                self._programs[cid] = wasm
        return wasm

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Runs ``fn`` in the execution pool (a juror's re-execution shares it with the jobs)."""
        return self._pool.submit(fn, *args)

    def start(self, job_id: bytes, request: JobRequest, conduct: Conduct) -> None:
        self.w.running[job_id] = self._pool.submit(self._execute, job_id, request, conduct)

    def _execute(self, job_id: bytes, request: JobRequest, conduct: Conduct) -> tuple[Result, str, str]:
        """Fetch (CIDs checked by the store client) unless fetched before locking, run on Ray, store the output."""
        w = self.w
        program_cid = cid_from_digest(request.program_id)
        wasm = self.program(program_cid)
        stdin = w.inputs.pop(job_id, None)
        if stdin is None:  # fetched before a restart, or dropped since
            stdin = w.store.get(cid_from_digest(request.input_digest), max_size=w.max_blob)
        computed, node = w.executor.run(program_cid, wasm, stdin, fuel=request.fuel_limit)
        result = conduct.result(computed)
        record = RunRecord.of(result, w.store.put(result.output))
        return result, node, w.store.put(record.to_bytes())  # the reveal names the run record

    def collect(self) -> bool:
        """Records each finished execution (with a fresh salt, on disk before any transaction)."""
        w = self.w
        moved = False
        for job_id, future in list(w.running.items()):
            if not future.done():
                continue
            del w.running[job_id]
            record = w.state.get(job_id)
            if record is None or record.phase != Phase.LOCKED:
                continue
            try:
                result, node, result_cid = future.result()
            except (NotFound, BlobTooLarge) as exc:
                moved |= self._give_back(record, exc) or self._missing(record, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - the store, Ray, anything: give it back, or try again shortly
                if self._give_back(record, exc):
                    moved = True
                    continue
                w.retry_later(job_id)
                self.w.log.warning("job %s: could not run it: %s; retrying in %.0fs", short(job_id), exc, RETRY_AFTER)
                continue
            self._executed(record, result, node, result_cid)
            moved = True
        return moved

    def _give_back(self, record: JobRecord, exc: Exception) -> bool:
        """A slot it cannot run is given back without fault while it may be (two minutes after its
        lock, by the lock deadline, before its commit): another worker can take it, and nobody is
        paid or slashed. Past that it is tried again, or claimed unavailable (`_missing`)."""
        w = self.w
        try:
            w.market.release(record.job_id, record.slot)
        except NotReleasable:
            return False
        except LedgerError as refused:  # the slot moved, the chain is unreachable, …: the usual path
            w.log.warning("job %s: could not give slot %d back: %s", short(record.job_id), record.slot, refused)
            return False
        w.finish(record, Phase.DONE, f"gave slot {record.slot} back without fault: could not run it: {exc}")
        return True

    def _missing(self, record: JobRecord, exc: Exception) -> bool:
        """Its program or input is on no store node (or larger than the worker takes): tried again
        a few times, then the worker stands behind the "unavailable" claim, which is never
        slashed (and beside a result, the court decides the result)."""
        tries = self._missing_tries.get(record.job_id, 0) + 1
        self._missing_tries[record.job_id] = tries
        if tries < MISSING_TRIES:
            self.w.retry_later(record.job_id)
            self.w.log.warning("job %s: %s; trying again in %.0fs", short(record.job_id), exc, RETRY_AFTER)
            return False
        del self._missing_tries[record.job_id]
        self.w.state.save(
            record.evolve(
                phase=Phase.EXECUTED,
                salt=os.urandom(32),
                digest=UNAVAILABLE,
                result_cid="",
                note=f"unavailable: {exc}",
            )
        )
        self.w.log.warning("job %s: unavailable: %s (claims it, never slashed for it)", short(record.job_id), exc)
        return True

    def _executed(self, record: JobRecord, result: Result, node: str, result_cid: str) -> None:
        self.w.state.save(
            record.evolve(
                phase=Phase.EXECUTED,
                salt=os.urandom(32),
                digest=result.digest,
                result_cid=result_cid,
                result={**result.to_json(), "node": node},
                note=f"executed: {result.status.value}",
            )
        )
        detail = f" ({result.detail})" if result.status != Status.OK and result.detail else ""
        self.w.log.info(
            "job %s: executed: %s%s, fuel %d, run record %s",
            short(record.job_id),
            result.status.value,
            detail,
            result.fuel_used,
            result_cid,
        )
