"""Results on chain for the slots an account holds (its own locks, or a slot it was drawn into as
a job's auditor): commit, reveal, and seeing each job to its outcome, one method per phase."""

from __future__ import annotations

from collections.abc import Callable

from ledger import (
    AlreadyCommitted,
    AlreadyRevealed,
    ContractRevert,
    JobNotOpen,
    JobRequest,
    JobStatus,
    Mode,
    NotFinalizable,
    NotSettleable,
    NotSlotWorker,
    RevealNotOpen,
)
from store import digest_of

from .conduct import Strategy, conduct_for
from .party import RETRY_AFTER, Party, result_deadline, short
from .running import Executions
from .state import IN_FLIGHT, JobRecord, Phase


class Results:
    def __init__(self, shared: Party, executions: Executions, strategy: Strategy) -> None:
        self.w = shared
        self.executions = executions
        self.strategy = strategy
        self._steps: dict[Phase, Callable[[JobRecord, int], bool]] = {
            Phase.LOCKED: self._locked,
            Phase.EXECUTED: self._executed,
            Phase.COMMITTED: self._committed,
            Phase.PROVISIONAL: self._provisional,
            Phase.UNRESOLVED: self._unresolved,
            Phase.REVEALED: self._awaiting_outcome,
            Phase.WAITING: self._awaiting_outcome,
        }

    def advance(self, now: int) -> bool:
        """One step for every job in flight that is due; a refused transaction is retried later."""
        w = self.w
        moved = False
        for record in w.state.in_phase(*IN_FLIGHT):
            if record.job_id not in w.running and w.waiting(record.job_id):
                continue
            try:
                moved |= self._steps[record.phase](record, now)
            except NotSlotWorker:
                moved |= self._find_slot(record)
            except ContractRevert as exc:
                w.retry_later(record.job_id)
                self.w.log.warning(
                    "job %s: %s refused: %s; retrying in %.0fs",
                    short(record.job_id),
                    record.phase.value,
                    exc,
                    RETRY_AFTER,
                )
        return moved

    def _find_slot(self, record: JobRecord) -> bool:
        """The slot it holds moved (another gave its slot back and the job's last slot, this one,
        took the gap) before the event said so: found on chain, and the step tried again."""
        w = self.w
        view = w.market.job(record.job_id)
        for index in range(view.locked):
            if index != record.slot and w.market.slot(record.job_id, index).worker.lower() == w.address.lower():
                w.state.save(record.evolve(slot=index, note=f"now slot {index}"))
                w.log.info("job %s: now slot %d (was %d)", short(record.job_id), index, record.slot)
                return True
        w.retry_later(record.job_id)
        w.log.warning("job %s: holds no slot %d any more", short(record.job_id), record.slot)
        return False

    def _locked(self, record: JobRecord, now: int) -> bool:
        """Holding a slot: execute (once)."""
        if record.job_id in self.w.running:
            return False
        if now > result_deadline(record.request):
            self.w.finish(record, Phase.WAITING, "missed the result deadline: waiting for the outcome")
            return True
        self.executions.start(record.job_id, record.request, conduct_for(self.strategy, record.request))
        return True

    def _executed(self, record: JobRecord, now: int) -> bool:
        """Result known: commit it (a lone slot of a job without an audit reveals directly)."""
        request: JobRequest = record.request
        conduct = conduct_for(self.strategy, request)
        if not conduct.sends_result:
            self.w.finish(record, Phase.WAITING, f"withholding the result ({conduct.value})")
            return True
        if now > result_deadline(request):
            self.w.finish(record, Phase.WAITING, "missed the result deadline: waiting for the outcome")
            return True
        if request.mode == Mode.ZK:
            return self._submit_proof(record)
        if request.redundancy == 1 and not self.w.market.job(record.job_id).audited:
            return self._reveal(record)
        try:
            self.w.market.commit(record.job_id, record.slot, record.digest, record.salt)
        except AlreadyCommitted:
            pass  # sent before a crash: it is on chain
        self.w.state.save(record.evolve(phase=Phase.COMMITTED, note="committed"))
        self.w.log.info("job %s: committed", short(record.job_id))
        return True

    def _committed(self, record: JobRecord, now: int) -> bool:
        """Committed: reveal once the window opens (every slot committed, or the commit deadline passed)."""
        request: JobRequest = record.request
        conduct = conduct_for(self.strategy, request)
        if not conduct.reveals:
            self.w.finish(record, Phase.WAITING, f"withholding the reveal ({conduct.value})")
            return True
        if now > request.reveal_deadline:
            self.w.finish(record, Phase.WAITING, "missed the reveal deadline: waiting for the outcome")
            return True
        view = self.w.market.job(record.job_id)
        if view.status != JobStatus.OPEN:
            return False  # its outcome is in the events
        if view.revealed_mask >> record.slot & 1 or view.reveals_open(now):
            return self._reveal(record)
        if view.audit_pending(now):
            self.w.audits.add(record.job_id)  # reveals wait for it: see it decided (`jury`)
        return False

    def _due(self, job_id: bytes, now: int) -> bool:
        """Whether the job's challenge window has passed."""
        if job_id not in self.w.final_after:
            self.w.final_after[job_id] = self.w.market.final_after(job_id)
        return now > self.w.final_after[job_id]

    def _provisional(self, record: JobRecord, now: int) -> bool:
        """A quorum agreed: once the challenge window has passed, make it final (and be paid)."""
        job_id = record.job_id
        if not self._due(job_id, now):
            return False
        self.w.retry_later(job_id)
        if self.w.market.job(job_id).status == JobStatus.PROVISIONAL:
            try:
                self.w.market.finalize(job_id)
                self.w.log.info("job %s: finalized it after the challenge window", short(job_id))
            except NotFinalizable:
                pass  # finalized by someone else meanwhile
        return True

    def _unresolved(self, record: JobRecord, now: int) -> bool:
        """No quorum: the collateral stays locked through the job's challenge window, then anyone
        may close the job: void, every revealer paid its price and its collateral released."""
        job_id = record.job_id
        if not self._due(job_id, now):
            return False
        self.w.retry_later(job_id)
        if self.w.market.job(job_id).status == JobStatus.UNRESOLVED:
            self.w.market.expire(job_id)
            self.w.log.info("job %s: closed it after the challenge window (collateral released)", short(job_id))
        return True

    def _awaiting_outcome(self, record: JobRecord, now: int) -> bool:
        """Revealed, or nothing more to send: make sure the job gets settled once it can be."""
        if now <= record.request.reveal_deadline:
            return False
        self.w.retry_later(record.job_id)
        if self.w.market.job(record.job_id).status != JobStatus.OPEN:
            return False
        try:
            self.w.market.settle(record.job_id)
            self.w.log.info("job %s: settled it (the reveal deadline passed)", short(record.job_id))
        except (JobNotOpen, NotSettleable):
            pass  # settled by someone else meanwhile
        return True

    def _submit_proof(self, record: JobRecord) -> bool:
        """A `ZK` job's proof, made before locking, to the proof court: its verdict settles the job."""
        proof = bytes.fromhex(str((record.result or {}).get("proof", "0x"))[2:])
        output = digest_of(record.result_cid) if record.result_cid else b"\x00" * 32
        try:
            self.w.market.submit_proof(record.request, record.digest, output, proof)
        except JobNotOpen:
            pass  # sent before a crash: its outcome is in the events
        self.w.state.save(record.evolve(phase=Phase.WAITING, note="proof submitted: waiting for the verdict"))
        self.w.log.info("job %s: proof submitted", short(record.job_id))
        return True

    def _reveal(self, record: JobRecord) -> bool:
        try:
            output = digest_of(record.result_cid) if record.result_cid else b"\x00" * 32  # none: "unavailable"
            self.w.market.reveal(record.job_id, record.slot, record.digest, record.salt, output)
        except RevealNotOpen:
            return False
        except AlreadyRevealed:
            pass  # sent before a crash: it is on chain
        self.w.state.save(record.evolve(phase=Phase.REVEALED, note="revealed"))
        self.w.log.info("job %s: revealed", short(record.job_id))
        return True
