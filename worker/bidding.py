"""Bidding: judging posted jobs, fetching what they need, and locking a slot when the ask is right."""

from __future__ import annotations

from duties import RETRY_AFTER, Executions, JobRecord, Phase, amount, short
from ledger import ContractRevert, JobFull, JobNotOpen, LockClosed, Mode, RegionNotAllowed, WorkerAlreadyLocked
from ledger.events import JobPosted
from store import BlobTooLarge, NotFound, cid_from_digest

from ._shared import Shared, log


class Bidding:
    def __init__(self, shared: Shared, executions: Executions) -> None:
        self.w = shared
        self.executions = executions

    def consider(self, e: JobPosted) -> None:
        """Judges a posted job once: skipped with its reason, or a candidate with a time to lock."""
        w = self.w
        if w.state.get(e.job_id) is not None:
            return  # seen before a restart
        request = e.request
        verdict = w.policy.evaluate(request, now=w.now())
        if not verdict.bid:
            w.state.add(JobRecord(e.job_id, request, Phase.SKIPPED, verdict.reason))
            log.info("job %s: %s", short(e.job_id), verdict.reason)
            return
        posted_at = int(w.w3.eth.get_block(e.block)["timestamp"])  # the ramp starts at its block
        lock_at = w.policy.lock_time(request, posted_at, verdict.target_price)
        note = f"candidate: will lock once the ask reaches {amount(verdict.target_price)}"
        w.state.add(JobRecord(e.job_id, request, Phase.CANDIDATE, note, verdict.target_price, lock_at))
        wait = lock_at - w.now()
        log.info("job %s: %s%s", short(e.job_id), note, f" (in {wait}s)" if wait > 0 else "")

    def bid(self, now: int) -> bool:
        """Locks every candidate whose time has come and that the worker can take now."""
        w = self.w
        moved = False
        executing = len(w.state.in_phase(Phase.LOCKED))
        free: int | None = None  # read once a pass, then kept by subtracting what each lock takes
        for record in w.state.in_phase(Phase.CANDIDATE):
            request = record.request
            if now > request.lock_deadline:
                w.finish(record, Phase.LOST, "lost: the lock window closed")
                continue
            if now < record.lock_at or w.waiting(record.job_id):
                continue
            if free is None:
                free = w.stakes.stake_of(w.address)[0]
            ready = w.policy.ready(request, free_stake=free, executing=executing)
            if not ready.bid:
                if record.note != ready.reason:
                    w.state.save(record.evolve(note=ready.reason))
                    log.info("job %s: %s", short(record.job_id), ready.reason)
                continue
            unfit = self.fetch_blobs(record)
            if unfit is not None:
                if unfit:
                    w.finish(record, Phase.SKIPPED, f"skipped: {unfit}")
                continue
            try:
                slot, price = w.market.lock(record.job_id)
            except ContractRevert as exc:
                moved |= self.lock_failed(record, exc)
                continue
            w.state.save(record.evolve(phase=Phase.LOCKED, slot=slot, price=price, note=f"locked at {amount(price)}"))
            log.info(
                "job %s: locked at %s (slot %d of %d)",
                short(record.job_id),
                amount(price),
                slot + 1,
                request.redundancy,
            )
            executing += 1
            free -= request.collateral
            moved = True
        return moved

    def fetch_blobs(self, record: JobRecord) -> str | None:
        """Fetches the job's program and input before locking; why it cannot ("" to try later), or None.

        A job whose blobs are missing, too large or unreadable would fail after its collateral is
        locked, and the worker would be slashed for it: nothing is locked until both are here
        (checked against their CIDs, within ``max_blob``). The input waits for the execution.
        """
        w = self.w
        request = record.request
        if request.mode == Mode.ZK:  # proven before locking: everything is fetched and checked then
            return self.executions.proof_ready(record.job_id, request)
        what = "program"
        try:
            self.executions.program(cid_from_digest(request.program_id))
            what = "input"
            if record.job_id not in w.inputs:
                cid = cid_from_digest(request.input_digest)
                w.inputs[record.job_id] = w.store.get(cid, max_size=w.max_blob)
        except BlobTooLarge as exc:
            return f"its {what} has {exc.size:,} bytes, above this worker's limit of {exc.limit:,} (--max-blob)"
        except NotFound:
            return f"its {what} is on no store node"
        except Exception as exc:  # noqa: BLE001 - the store or a lying node: try again until the window closes
            w.retry_later(record.job_id)
            log.warning(
                "job %s: cannot fetch its %s: %s; retrying in %.0fs", short(record.job_id), what, exc, RETRY_AFTER
            )
            return ""
        return None

    def lock_failed(self, record: JobRecord, exc: ContractRevert) -> bool:
        w = self.w
        if isinstance(exc, JobFull):
            w.finish(record, Phase.LOST, f"lost: all {record.request.redundancy} slots taken")
        elif isinstance(exc, (LockClosed, JobNotOpen)):
            w.finish(record, Phase.LOST, f"lost: {exc}")
        elif isinstance(exc, RegionNotAllowed):
            w.finish(record, Phase.SKIPPED, f"skipped: {exc} (a region change waits out the unbonding delay)")
        elif isinstance(exc, WorkerAlreadyLocked):  # locked before a crash: find the slot
            for index in range(record.request.redundancy):
                s = w.market.slot(record.job_id, index)
                if s.worker.lower() == w.address.lower():
                    w.state.save(record.evolve(phase=Phase.LOCKED, slot=index, price=s.price))
                    return True
        else:
            w.retry_later(record.job_id)
            log.warning("job %s: lock refused: %s; retrying in %.0fs", short(record.job_id), exc, RETRY_AFTER)
            return False
        return True
