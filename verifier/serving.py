"""The verifier's part in the court, with a key: it keeps the cases and audits it sees moving,
and, with a stake, serves where the stake draws it — a juror's seats in a round, a job's slot as
its auditor — exactly as a worker does (`duties.Duties`), each step logged and recorded in its
check log (`CheckLog.note_duty`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from compute import RayExecutor
from duties import Duties, JobRecord, Party, SeatNote, WorkerState, amount, fund, short, stake
from ledger import UNAVAILABLE, Deployment, JobEvent
from ledger import events as ev
from store import StoreClient

from .checks import CheckLog, DutyRecord

log = logging.getLogger("agora.verifier")


class Service:
    """A verifier's `Duties` under its key (`party`), with its stake (none: it is never drawn)."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        account: LocalAccount,
        state_dir: Path,
        *,
        store: StoreClient,
        executor: RayExecutor,
        checks: CheckLog,
        max_blob: int,
        threads: int,
        max_bond: int,
    ) -> None:
        self.checks = checks
        self.party = Party.of(
            w3,
            deployment,
            account,
            store=store,
            executor=executor,
            state=WorkerState(state_dir / "jobs.sqlite", on_save=self._slot_saved),  # its audit slots
            max_blob=max_blob,
            log=log,
            journal=self._seat_noted,
            posting=checks.posting,
        )
        # An appeal (of a ruling against its audit slot) bonds up to what a dispute may.
        self.duties = Duties(self.party, state_dir, threads=threads, max_appeal_bond=max_bond)

    def setup(self, stake_target: int, bonds: int, say: Callable[[str], None]) -> None:
        """On a development chain, gas, and tokens for the stake and for ``bonds``; then the stake
        topped up to ``stake_target`` (declaring the global region if none is declared yet)."""
        purpose = "its stake and its bonds" if stake_target else "its bonds"
        fund(self.party, stake_target + bonds, say, purpose=purpose)
        if stake_target:
            stake(self.party, stake_target, None, say, who="verifier")

    def on_event(self, e: JobEvent) -> None:
        self.duties.on_event(e)
        me = self.party.address.lower()
        match e:
            case ev.JurorPaid(juror=juror, amount=paid) if juror.lower() == me:
                self._seat_outcome(e.job_id, f"paid {amount(paid)} for its seats", logging.INFO)
            case ev.CaseDecided(digest=ruling):
                seat = self.checks.duty(e.job_id, "juror")
                ours = None if seat is None else bytes.fromhex(seat.digest.removeprefix("0x"))
                if ours and ours not in (ruling, UNAVAILABLE):
                    note = f"the court ruled 0x{ruling.hex()[:12]}…, not its vote: its seats are slashed"
                    self._seat_outcome(e.job_id, note, logging.WARNING)

    def advance(self, now: int) -> bool:
        return self.duties.advance(now)

    def close(self) -> None:
        self.duties.close()
        self.party.state.close()

    def _seat_outcome(self, job_id: bytes, note: str, level: int) -> None:
        seat = self.checks.duty(job_id, "juror")
        log.log(level, "job %s: %s", short(job_id), note)
        self.checks.note_duty(DutyRecord(job_id, "juror", 0 if seat is None else seat.place, note))

    def _seat_noted(self, note: SeatNote) -> None:
        digest = "0x" + note.digest.hex() if note.digest else ""
        self.checks.note_duty(DutyRecord(note.job_id, "juror", note.round, note.note, digest))

    def _slot_saved(self, record: JobRecord) -> None:
        digest = "0x" + record.digest.hex() if record.digest else ""
        self.checks.note_duty(DutyRecord(record.job_id, "auditor", record.slot, record.note, digest))
