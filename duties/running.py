"""Execution for an account's slots and seats: programs (cached by CID), runs on Ray, outputs into
the store, results on disk."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from eth_utils import to_checksum_address

import zk
from compute import Result, RunRecord, Status
from ledger import UNAVAILABLE, JobRequest, LedgerError, Mode, NotReleasable, Verdict, mapped_errors
from ledger.proofs import proof_verdict
from store import BlobTooLarge, NotFound, StoreError, cid_from_digest

from .conduct import Conduct
from .party import RETRY_AFTER, Party, short
from .state import JobRecord, Phase
from .zkjobs import Proven, Prover, ZkJobError

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
        # ZK jobs are proven on Ray before they are locked (the proof names the job and the prover,
        # both known then), so a job that cannot be proven never costs collateral.
        run = shared.executor.call if shared.executor is not None else None
        self.prover = Prover(shared.store, max_blob=shared.max_blob, run=run, code_at=self._code_at)
        self._proofs: dict[bytes, Future[Proven]] = {}

    def _code_at(self, address: str) -> bytes:
        with mapped_errors():
            return bytes(self.w.w3.eth.get_code(to_checksum_address(address)))

    def proof_ready(self, job_id: bytes, request: JobRequest) -> str | None:
        """For a `ZK` job it wants to lock: None once its proof is in hand, "" while it is being
        made (or after a passing failure: tried again shortly), else why it cannot be proven."""
        future = self._proofs.get(job_id)
        if future is None:
            self._proofs[job_id] = self._pool.submit(self.prover.prove, job_id, request, self.w.address)
            self.w.log.info("job %s: proving it before locking", short(job_id))
            return ""
        if not future.done():
            return ""
        try:
            proven = future.result()
            # Defence in depth, one eth_call: `Prover.prepare` found the pinned code to be, byte for byte,
            # the lean verifier of the program's key (stateless: the same answer for every caller, at any
            # time), and the proof verifies in Python with that key, so the verifier must say valid. Asked
            # as the court will ask it (its calldata, its gas), it catches what those checks take on trust:
            # zk.verify and the compiled verifier disagreeing (a bug in either, in the lean verifier's
            # generator or the pinned solc), which would cost the collateral rather than a skipped job.
            verdict, why = proof_verdict(self.w.w3, request, self.w.address, proven.digest, proven.proof)
        except (ZkJobError, zk.ZkError, NotFound, BlobTooLarge) as exc:
            del self._proofs[job_id]
            return f"cannot prove it: {exc}"
        except (StoreError, LedgerError, OSError) as exc:
            del self._proofs[job_id]
            self.w.retry_later(job_id)
            self.w.log.warning("job %s: could not prove it: %s; retrying in %.0fs", short(job_id), exc, RETRY_AFTER)
            return ""
        if verdict == Verdict.INVALID:
            del self._proofs[job_id]
            return f"its pinned verifier refuses a proof that is valid with its program's key: {why}"
        return None

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
        if request.mode == Mode.ZK:  # proven before locking; proven again after a restart
            proving = self._proofs.pop(job_id, None)
            if proving is None:
                proving = self._pool.submit(self.prover.prove, job_id, request, self.w.address)
            self.w.running[job_id] = proving
            return
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
                outcome = future.result()
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
            if isinstance(outcome, Proven):
                self._proven(record, outcome)
            else:
                self._executed(record, *outcome)
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

    def _proven(self, record: JobRecord, proven: Proven) -> None:
        self.w.state.save(
            record.evolve(
                phase=Phase.EXECUTED,
                digest=proven.digest,
                result_cid=proven.result_cid,
                result={"proof": "0x" + proven.proof.hex()},
                note="proven: the proof verifies in Python",
            )
        )
        self.w.log.info("job %s: proven (result commitment %s)", short(record.job_id), proven.digest.hex()[:10])

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
