"""Serving the court: stake makes an account a juror, and any account keeps cases moving.

An account whose stake is drawn into a round re-executes the job on Ray (the whole run and the state
digest at the round's fuel checkpoint: a juror copying a public digest without executing cannot
know it, and is slashed), commits its vote with a salt that is on disk first, and reveals it once
reveals open. Every account with a key also keeps the cases it sees moving: it draws a round once
its seed block is mined (on a development chain, where blocks come only with transactions, it
sends an empty one to mine it), counts a round's votes after its reveal deadline, and makes a
ruling final after its appeal window. Whoever sends one of these first does it; the others'
attempts are refused and forgotten. An account whose revealed result a round ruled against (in a
slot it holds) appeals to the next, larger round, bonding from its wallet (within its limit), and
claims the bond's winnings once the case is decided.

Audits are kept moving the same way: once a job's last slot is taken (or its audit is scheduled),
the account decides the audit when its seed block is mined, drawing an auditor or none; the
first commit after the seed block usually has, and then there is nothing to do.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future
from pathlib import Path

from compute import Result
from ledger import (
    AUDIT_DECIDED,
    DEV_CHAIN_IDS,
    UNAVAILABLE,
    AuditClosed,
    CasePhase,
    ContractRevert,
    JobEvent,
    JobRequest,
    JobStatus,
    LockingOpen,
    NotAuditable,
    NothingToClaim,
    NotYet,
    SeedNotReady,
    Token,
    WrongPhase,
    format_tokens,
)
from ledger import events as ev
from store import BlobTooLarge, NotFound, cid_from_digest

from .conduct import Strategy, conduct_for
from .jury_state import Duty, JuryState
from .party import Party, SeatNote, short
from .running import Executions
from .state import Phase

POOL_CHECK = 5
"""Seconds (chain time) between looks at whether the account's stake has matured into the pool."""


class Jury:
    def __init__(
        self, shared: Party, executions: Executions, strategy: Strategy, state_dir: Path, *, max_appeal_bond: int
    ) -> None:
        self.w = shared
        self.max_appeal_bond = max_appeal_bond
        self.token = Token(shared.w3, shared.deployment, shared.transactor)
        self.executions = executions
        self.strategy = strategy
        self.court = shared.court
        self.state = JuryState(state_dir / "jury.sqlite")
        self._judging: dict[tuple[bytes, int], Future[tuple[JobRequest, Result, bytes]]] = {}
        self._dev = shared.transactor.chain_id() in DEV_CHAIN_IDS
        self._pool_check = 0
        # Cases with votes committed or revealed since their count was last read: only those are
        # read again before their deadlines (every open case once after a start).
        self._votes_moved: set[bytes] = set(self.state.cases())

    def close(self) -> None:
        self.state.close()

    def on_event(self, e: JobEvent) -> None:
        match e:
            case ev.RoundScheduled():
                self.state.add_case(e.job_id)
            case ev.AuditScheduled():
                self.w.audits.add(e.job_id)
            case ev.AuditorDrawn() | ev.AuditSkipped():
                self.w.audits.discard(e.job_id)
            case ev.JurorDrawn(juror=juror, round=round_, seats=seats) if juror.lower() == self.w.address.lower():
                if self.state.duty(e.job_id, round_) is None:
                    duty = Duty(e.job_id, round_, seats, os.urandom(32))
                    self.state.save(duty)
                    self._noted(duty, f"drawn as a juror for round {round_} ({seats} seats)")
            case ev.VoteCommitted() | ev.VoteRevealed():
                self._votes_moved.add(e.job_id)
            case ev.RoundResolved(majority=True, appeal_deadline=appeal_by, round=round_, digest=digest) if appeal_by:
                self._maybe_appeal(e.job_id, round_, digest)
            case ev.CaseDecided() | ev.CaseVoid():
                self.state.drop_case(e.job_id)
                self.w.forget_retries(e.job_id, "case")
                if self.state.take_appeal(e.job_id):
                    self._claim(e.job_id)

    def _maybe_appeal(self, job_id: bytes, round_: int, ruling: bytes) -> None:
        """The round ruled against the digest this worker revealed: appeal to the next, larger
        round, bonding from its wallet (up to ``max_appeal_bond``)."""
        record = self.w.state.get(job_id)
        if record is None or record.phase != Phase.DISPUTED or not record.digest or record.digest == ruling:
            return
        bond = self.court.min_bond(job_id, round_ + 1)
        wallet = self.token.balance_of(self.w.address)
        if bond > min(wallet, self.max_appeal_bond):
            self.w.log.warning(
                "job %s: round %d ruled against its result; not appealing: the bond is %s AGR, its wallet "
                "holds %s, its limit is %s",
                short(job_id),
                round_,
                format_tokens(bond),
                format_tokens(wallet),
                format_tokens(self.max_appeal_bond),
            )
            return
        try:
            self.court.dispute(job_id, record.digest, bond)
        except ContractRevert as exc:  # the window closed, someone appealed first and drew: refused
            self.w.log.warning("job %s: could not appeal round %d: %s", short(job_id), round_, exc)
            return
        self.state.add_appeal(job_id)
        self.w.log.info(
            "job %s: appealed round %d's ruling with a bond of %s AGR", short(job_id), round_, format_tokens(bond)
        )

    def _claim(self, job_id: bytes) -> None:
        before = self.token.balance_of(self.w.address)
        try:
            self.court.claim_bond(job_id)
        except NothingToClaim:
            self.w.log.warning("job %s: its appeal was rejected: the bond is lost", short(job_id))
            return
        won = self.token.balance_of(self.w.address) - before
        self.w.log.info("job %s: its appeal was upheld: claimed %s AGR", short(job_id), format_tokens(won))

    def advance(self, now: int) -> bool:
        """Matured stake into the pool, then one step for every open case that is due; True if
        anything was sent or recorded."""
        moved = self._join_pool(now)
        for job_id in sorted(self.w.audits):
            if not self.w.waiting(job_id, "audit"):
                moved |= self._audit(job_id, now)
        for job_id in self.state.cases():
            if self.w.waiting(job_id, "case"):
                continue
            try:
                moved |= self._step(job_id, now)
            except (WrongPhase, SeedNotReady, NotYet):
                self.w.retry_later(job_id, "case")  # another worker was first, or the chain is a block behind
            except ContractRevert as exc:
                self.w.retry_later(job_id, "case")
                self.w.log.warning("job %s: court step refused: %s", short(job_id), exc)
        return moved

    def _join_pool(self, now: int) -> bool:
        """Stake counts in the juror pool once it is as old as the unbonding delay; the worker
        activates its own as soon as it has matured (looking every few seconds)."""
        if now < self._pool_check:
            return False
        self._pool_check = now + POOL_CHECK
        _weight, maturing, matures_at, _region = self.w.stakes.pool_weight_of(self.w.address)
        if not maturing or now <= matures_at:
            return False
        try:
            self.w.stakes.activate(self.w.address)
        except ContractRevert as exc:  # below the minimum stake, say: nothing to serve with
            self.w.log.info("stake not counted in the juror pool: %s", exc)
            return False
        self.w.log.info("matured stake joined the juror pool")
        return True

    def _audit(self, job_id: bytes, now: int) -> bool:
        """Schedules or decides the job's audit when it can be; forgets it once it is decided."""
        view = self.w.market.job(job_id)
        if view.status != JobStatus.OPEN or not view.audit_pending(now):
            self.w.audits.discard(job_id)
            return False
        if view.audit > AUDIT_DECIDED and self.w.w3.eth.block_number <= view.audit:
            if not self._dev:
                self.w.retry_later(job_id, "audit")
                return False
            self.w.transactor.send(to=self.w.address)  # mines the seed block on a quiet dev chain
        try:
            self.court.audit(job_id)
        except (NotAuditable, AuditClosed):
            self.w.audits.discard(job_id)  # decided by someone else meanwhile, or lapsed
            return False
        except (SeedNotReady, LockingOpen):
            self.w.retry_later(job_id, "audit")
            return False
        except ContractRevert as exc:
            self.w.retry_later(job_id, "audit")
            self.w.log.warning("job %s: audit step refused: %s", short(job_id), exc)
            return False
        after = self.w.market.job(job_id)
        if after.audit != AUDIT_DECIDED:
            self.w.log.info("job %s: scheduled its audit (seed block %d)", short(job_id), after.audit)
            return True
        self.w.audits.discard(job_id)
        if after.locked > view.locked:
            auditor = self.w.market.slot(job_id, view.locked).worker
            self.w.log.info("job %s: decided its audit: %s drawn as the auditor", short(job_id), auditor)
        else:
            self.w.log.info("job %s: decided its audit: no auditor", short(job_id))
        return True

    def _step(self, job_id: bytes, now: int) -> bool:
        case = self.court.case(job_id)
        if case.phase in (CasePhase.DECIDED, CasePhase.VOID, CasePhase.NONE):
            self.state.drop_case(job_id)
            self.w.forget_retries(job_id, "case")
            return False
        if case.phase == CasePhase.DRAWING:
            if self.w.w3.eth.block_number <= case.seed_block:
                if not self._dev:
                    return False
                self.w.transactor.send(to=self.w.address)  # mines the seed block on a quiet dev chain
            self.court.draw(job_id)
            after = self.court.case(job_id)
            if after.phase == CasePhase.VOTING:
                self.w.log.info("job %s: drew round %d of its case", short(job_id), case.round)
            elif after.phase == CasePhase.DRAWING:
                self.w.log.info(
                    "job %s: round %d could not be filled: drawn again with a new seed", short(job_id), case.round
                )
            else:
                self.w.log.info(
                    "job %s: no round could be drawn: the case ends %s", short(job_id), after.phase.name.lower()
                )
            return True
        if case.phase == CasePhase.RULED:
            if now <= case.appeal_deadline:
                return False
            self.court.finalize(job_id)
            self.w.log.info("job %s: made the court's ruling final", short(job_id))
            return True
        return self._vote(job_id, case.round, case.checkpoint_fuel, case.commit_deadline, case.reveal_deadline, now)

    def _vote(self, job_id: bytes, round_: int, at: int, commit_by: int, reveal_by: int, now: int) -> bool:
        moved = job_id in self._votes_moved  # else the counts read last time still hold
        duty = self.state.duty(job_id, round_)
        if duty is not None and not duty.revealed:
            if not duty.digest:
                return self._judge(duty, at)
            if not duty.committed and now <= commit_by:
                self.court.commit_vote(job_id, duty.digest, duty.checkpoint, duty.salt)
                duty.committed = True
                self.state.save(duty)
                self._noted(duty, f"committed its vote in round {round_}")
                return True
            if (
                duty.committed
                and now <= reveal_by
                and (now > commit_by or (moved and self._all_committed(job_id, round_)))
            ):
                self.court.reveal_vote(job_id, duty.digest, duty.checkpoint, duty.salt)
                duty.revealed = True
                self.state.save(duty)
                self._noted(duty, f"revealed its vote in round {round_}")
                return True
        if now > reveal_by or (moved and self._all_revealed(job_id, round_)):
            self.court.resolve(job_id)
            self.w.log.info("job %s: counted round %d of its case", short(job_id), round_)
            return True
        self._votes_moved.discard(job_id)
        return False

    def _judge(self, duty: Duty, at: int) -> bool:
        """Re-executes the job in a pool thread; records the vote once it is done."""
        key = (duty.job_id, duty.round)
        future = self._judging.get(key)
        if future is None:
            request = self.w.request_of(duty.job_id)
            if request is None:
                self.w.log.warning("job %s: its request is not on chain; cannot judge it", short(duty.job_id))
                self.w.retry_later(duty.job_id, "case")
                return False
            self._judging[key] = self.executions.submit(self._execute, request, at)
            return True
        if not future.done():
            return False
        del self._judging[key]
        try:
            request, result, checkpoint = future.result()
        except (NotFound, BlobTooLarge) as exc:
            # It cannot have the data: it says so, which is never slashed (and never a ruling).
            duty.digest, duty.checkpoint = UNAVAILABLE, b"\x00" * 32
            self.state.save(duty)
            self._noted(duty, f"cannot judge it: {exc}; votes unavailable", level=logging.WARNING)
            return True
        except Exception as exc:  # noqa: BLE001 - the store or Ray: try again shortly
            self.w.log.warning("job %s: could not judge it: %s", short(duty.job_id), exc)
            self.w.retry_later(duty.job_id, "case")
            return False
        if not checkpoint:
            self.w.log.warning("job %s: the checkpoint failed on this host: %s", short(duty.job_id), result.detail)
            self.w.retry_later(duty.job_id, "case")
            return False
        duty.digest = conduct_for(self.strategy, request).result(result).digest
        duty.checkpoint = checkpoint
        self.state.save(duty)
        self._noted(duty, f"judged it: {result.status.value}, fuel {result.fuel_used}")
        return True

    def _noted(self, duty: Duty, note: str, *, level: int = logging.INFO) -> None:
        """Logs a step of its seats, and tells the party's journal."""
        self.w.log.log(level, "job %s: %s", short(duty.job_id), note)
        self.w.noted(SeatNote(duty.job_id, duty.round, note, duty.digest))

    def _execute(self, request: JobRequest, at: int) -> tuple[JobRequest, Result, bytes]:
        program_cid = cid_from_digest(request.program_id)
        wasm = self.executions.program(program_cid)
        stdin = self.w.store.get(cid_from_digest(request.input_digest), max_size=self.w.max_blob)
        result, checkpoint = self.w.executor.judge(program_cid, wasm, stdin, fuel=request.fuel_limit, at=at)
        return request, result, checkpoint

    def _all_committed(self, job_id: bytes, round_: int) -> bool:
        jurors = self.court.jurors(job_id, round_)
        return all(self.court.vote(job_id, round_, j).commitment != b"\x00" * 32 for j in jurors)

    def _all_revealed(self, job_id: bytes, round_: int) -> bool:
        return all(self.court.vote(job_id, round_, j).revealed for j in self.court.jurors(job_id, round_))
