"""The verifier daemon: re-executes what the market settles and says whether it agrees.

It follows the market from a persisted cursor (`ledger.JobFeed`). Every unresolved job (reveals
without a quorum) is re-executed, and a sample of provisional settlements: each with probability
``sample_rate``, drawn from a secret salt kept in the verifier's state, so no worker can tell which
of its jobs will be checked. A check fetches the job's program and input from the store (within
``max_blob``), runs it on Ray with the job's fuel limit through `compute`, exactly as workers do,
and compares its result digest with the digests revealed. Every check is recorded with its verdict
and why (`checks.sqlite`) and logged; a check that could not run (store or Ray unreachable) is
tried again while the job's challenge window is open.

With an account (`account`), a provisional settlement it disagrees with is disputed within its
challenge window: a bond (the court's least, up to ``max_bond``) naming its own digest sends the
job to the court, whose drawn round decides; once the case is decided the verifier claims what
its bond won (its bond back and a share of the pot) or records that it lost. Without an account a
disagreement is reported, loudly, not acted on. Every job in court is re-executed too, and the
verdict says which of the revealed digests is right.

With an account it also keeps the cases and audits it sees moving, and with a stake (``stake``)
it serves where the stake draws it, a juror's seats or a job's slot as its auditor, re-executing
on its own Ray exactly as a worker does (`Service`, over `duties.Duties`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from compute import RayExecutor
from ledger import (
    ChainClock,
    ContractRevert,
    Deployment,
    JobEvent,
    JobFeed,
    JobMarket,
    JobRequest,
    NothingToClaim,
    Token,
    format_tokens,
    run_until,
)
from ledger import events as ev
from store import BlobTooLarge, NotFound, StoreClient, cid_from_digest

from .checks import Check, CheckLog, Verdict
from .serving import Service

log = logging.getLogger("agora.verifier")

MAX_BLOB = 64 * 1024 * 1024
MAX_FUEL = 10**11  # as a worker's default maximum
RETRY_FIRST = 5.0  # seconds before a check that could not run is tried again, doubling...
RETRY_LONGEST = 600.0  # ...up to this


@dataclass(frozen=True)
class VerifierConfig:
    state_dir: Path
    sample_rate: float = 0.1
    """Share of provisional settlements re-executed (every unresolved job is)."""
    max_blob: int = MAX_BLOB
    max_fuel: int = MAX_FUEL
    """A job with a larger fuel limit is not run: anyone can post a job that burns this much, and
    make it unresolved with two addresses of its own."""
    max_concurrent: int = 2
    """Checks running at once (each a store read and a Ray task); as many executions for its duties."""
    poll_interval: float = 0.5
    max_bond: int = 100 * 10**18
    """The largest bond it posts to dispute one settlement (with an account)."""
    stake: int = 0
    """AGR it holds in `StakeManager` (with an account): a juror and a possible auditor. 0: none."""

    def __post_init__(self) -> None:
        if self.max_concurrent < 1:
            raise ValueError("a verifier runs at least one check at a time")
        if self.stake < 0:
            raise ValueError(f"a stake is not negative: {self.stake}")
        if not 0.0 <= self.sample_rate <= 1.0:
            raise ValueError(f"the sample rate is a share between 0 and 1, not {self.sample_rate}")


def short(job_id: bytes) -> str:
    return job_id.hex()[:10]


class Verifier:
    """Follows the market and re-executes what it settles (`run` loops; `tick` is one step)."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        config: VerifierConfig,
        *,
        store: StoreClient,
        executor: RayExecutor,
        account: LocalAccount | None = None,
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.config = config
        self.store = store
        self.executor = executor
        config.state_dir.mkdir(parents=True, exist_ok=True)
        if account is None and config.stake:
            raise ValueError("a verifier stakes with an account: give it one (--from)")
        self.market = JobMarket(w3, deployment)
        self.feed = JobFeed(w3, deployment, config.state_dir / "cursor.sqlite")
        self.checks = CheckLog(config.state_dir / "checks.sqlite")
        self.service = (
            None
            if account is None
            else Service(
                w3,
                deployment,
                account,
                config.state_dir,
                store=store,
                executor=executor,
                checks=self.checks,
                max_blob=config.max_blob,
                threads=config.max_concurrent,
                max_bond=config.max_bond,
            )
        )
        # One transactor per account (it keeps the nonce): disputes go through the service's.
        self.court = None if self.service is None else self.service.party.court
        self.token = Token(w3, deployment, None if self.service is None else self.service.party.transactor)
        self._salt = self._load_salt(config.state_dir / "verifier.json")
        self.clock = ChainClock(w3)
        self._retry_at: dict[bytes, float] = {}
        self._retry_pause: dict[bytes, float] = {}
        self._pool = ThreadPoolExecutor(max_workers=config.max_concurrent, thread_name_prefix="check")
        self._running: dict[bytes, Future[Check]] = {}

    @staticmethod
    def _load_salt(path: Path) -> bytes:
        if path.exists():
            return bytes.fromhex(json.loads(path.read_text())["salt"])
        salt = os.urandom(32)
        # Readable by this user only from its first byte: the salt is what keeps the sample secret.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(json.dumps({"salt": salt.hex()}) + "\n")
        return salt

    def sampled(self, job_id: bytes) -> bool:
        """Whether this verifier re-executes the job's provisional settlement."""
        draw = int.from_bytes(hashlib.sha256(self._salt + job_id).digest(), "big")
        return draw < self.config.sample_rate * 2**256

    def setup(self, say: Callable[[str], None] | None = None) -> None:
        """With an account: on a development chain, gas and tokens (for its stake and ten of the
        largest bonds), then its stake topped up to ``stake`` (never withdrawn)."""
        if self.service is not None:
            say = say or (lambda message: log.info("%s", message))
            self.service.setup(self.config.stake, 10 * self.config.max_bond, say)

    # -- the loop --------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Ticks until ``stop`` is set; a chain outage is waited out."""
        run_until(stop, self.tick, interval=self.config.poll_interval, log=log)

    def tick(self) -> bool:
        """New settlements from the feed, its duties (with an account), then the checks still
        pending that are due again. True if there were new events or its duties moved (a retry is
        not: an idle verifier with a pending check still sleeps)."""
        moved = self.feed.drain(self._on_event)
        moved |= self._collect()
        now = self.clock.now()
        if self.service is not None:
            moved |= self.service.advance(now)
        for check in self.checks.pending():
            if check.job_id in self._running:
                continue
            if now > check.final_after:  # the window closed before it could run: a final verdict
                detail = f"{check.detail}; gave up: its challenge window closed"
                self._record(replace(check, verdict=Verdict.UNAVAILABLE, detail=detail))
            elif time.monotonic() >= self._retry_at.get(check.job_id, 0.0):
                self._run_check(check.job_id, check.kind, check.claimed, check.final_after)
        return moved

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.service is not None:
            self.service.close()
        self.feed.close()
        self.checks.close()

    def _on_event(self, e: JobEvent) -> None:
        if self.service is not None and not isinstance(e, ev.JobPosted):
            self.service.on_event(e)
        match e:
            case ev.JobPosted():
                self.checks.remember_posted(e.job_id, e.block, e.request.redundancy)
            case ev.JobProvisional(digest=raw, final_after=final_after):
                digest = "0x" + raw.hex()
                claimed = {digest: self._revealers(e.job_id, digest)}
                if not self.sampled(e.job_id):
                    rate = f"{self.config.sample_rate:.0%}"
                    self._record(
                        Check(e.job_id, "provisional", claimed, Verdict.NOT_SAMPLED, f"outside the {rate} sample")
                    )
                    return
                self._run_check(e.job_id, "provisional", claimed, final_after)
            case ev.JobUnresolved():
                self._run_check(e.job_id, "unresolved", self._revealed(e.job_id), self.market.final_after(e.job_id))
            case ev.JobEscalated():  # in court: the drawn round decides; say which digest is right
                done = self.checks.get(e.job_id)
                if done is not None and done.digest:
                    return  # already re-executed (a sampled settlement; perhaps this verifier disputed it)
                self._run_check(e.job_id, "disputed", self._revealed(e.job_id), self.market.final_after(e.job_id))
            case ev.CaseDecided() | ev.CaseVoid() if self.checks.bonded(e.job_id):
                self._claim(e.job_id)

    # -- checks ----------------------------------------------------------------------------------

    def _revealed(self, job_id: bytes) -> dict[str, list[str]]:
        """Every revealed digest of the job and who revealed it."""
        job = self.market.job(job_id)
        out: dict[str, list[str]] = {}
        for index in range(job.locked):
            if job.revealed_mask >> index & 1:
                slot = self.market.slot(job_id, index)
                out.setdefault("0x" + slot.sealed.hex(), []).append(slot.worker)
        return out

    def _revealers(self, job_id: bytes, digest: str) -> list[str]:
        return self._revealed(job_id).get(digest, [])

    def _request(self, job_id: bytes) -> JobRequest | None:
        # Where each job's request is on chain (its JobPosted block), so a check reads one block.
        posting = self.checks.posting(job_id)
        return self.market.request_of(job_id, block=None if posting is None else posting.block)

    def _run_check(self, job_id: bytes, kind: str, claimed: dict[str, list[str]], final_after: int) -> None:
        if job_id in self._running:
            return  # running now
        done = self.checks.get(job_id)
        if done is not None and done.verdict != Verdict.PENDING and done.kind == kind:
            return  # checked before (an event batch replayed after a crash or an outage)
        check = Check(job_id, kind, claimed, Verdict.PENDING, final_after=final_after)
        request = self._request(job_id)
        if request is None:
            detail = "its request is not on chain (no single JobPosted event for it)"
            self._record(replace(check, verdict=Verdict.UNAVAILABLE, detail=detail))
            return
        if request.fuel_limit > self.config.max_fuel:
            detail = (
                f"its fuel limit {request.fuel_limit:,} is above this verifier's {self.config.max_fuel:,} (--max-fuel)"
            )
            self._record(replace(check, verdict=Verdict.OVER_BUDGET, detail=detail))
            return
        pending = replace(check, detail="running")
        self._record(pending, quiet=True)  # on disk first: after a crash the check is run again
        self._running[job_id] = self._pool.submit(self._fetch_and_run, pending, request)

    def _fetch_and_run(self, check: Check, request: JobRequest) -> Check:
        """In a pool thread: program and input from the store, then Ray, then the verdict. A
        failure that may pass (the store or Ray unreachable) leaves the check pending."""
        what = "program"
        try:
            program_cid = cid_from_digest(request.program_id)
            wasm = self.store.get(program_cid, max_size=self.config.max_blob)
            what = "input"
            stdin = self.store.get(cid_from_digest(request.input_digest), max_size=self.config.max_blob)
            what = "execution"
            result, node = self.executor.run(program_cid, wasm, stdin, fuel=request.fuel_limit)
        except BlobTooLarge as exc:
            return replace(check, verdict=Verdict.UNAVAILABLE, detail=f"its {what}: {exc}")
        except NotFound:
            return replace(check, verdict=Verdict.UNAVAILABLE, detail=f"its {what} is on no store node")
        except Exception as exc:  # noqa: BLE001 - the store or Ray: try again while the window is open
            return replace(check, detail=f"{what} failed: {exc}")
        ours = "0x" + result.digest.hex()
        ran = f"{result.status.value}, fuel {result.fuel_used:,}, on {node}"
        if ours in check.claimed:
            revealers = ", ".join(check.claimed[ours])
            return replace(
                check, verdict=Verdict.AGREES, digest=ours, detail=f"ours ({ran}) is the digest revealed by {revealers}"
            )
        others = ", ".join(f"{d[:12]}… by {', '.join(w)}" for d, w in check.claimed.items())
        detail = f"ours {ours[:12]}… ({ran}) differs from {others}"
        return replace(check, verdict=Verdict.DIFFERS, digest=ours, detail=detail)

    # -- disputes --------------------------------------------------------------------------------

    def _dispute(self, check: Check) -> Check:
        """A provisional settlement it disagrees with: bond on its own digest (with an account)."""
        if self.court is None:
            return replace(check, detail=f"{check.detail}; reported (no account to dispute with: --from)")
        try:
            bond = self.court.min_bond(check.job_id, 0)
            if bond > self.config.max_bond:
                limit = format_tokens(self.config.max_bond)
                detail = f"{check.detail}; not disputed: its bond {format_tokens(bond)} AGR is above --max-bond {limit}"
                return replace(check, detail=detail)
            self.court.dispute(check.job_id, bytes.fromhex(check.digest.removeprefix("0x")), bond)
        except ContractRevert as exc:  # the window closed, the balance is short, …
            return replace(check, detail=f"{check.detail}; could not dispute: {exc}")
        self.checks.remember_bond(check.job_id, bond)
        return replace(check, detail=f"{check.detail}; disputed with a bond of {format_tokens(bond)} AGR naming ours")

    def _claim(self, job_id: bytes) -> None:
        """The case of a job it disputed is over: claim what the bond won, or record the loss."""
        assert self.court is not None and self.court.transactor is not None
        me = self.court.transactor.address
        before = self.token.balance_of(me)
        try:
            self.court.claim_bond(job_id)
            won = self.token.balance_of(me) - before
            log.info("job %s: its dispute was upheld: claimed %s AGR", short(job_id), format_tokens(won))
        except NothingToClaim:
            log.warning("job %s: its dispute was rejected: the bond is lost", short(job_id))
        self.checks.forget_bond(job_id)

    def _collect(self) -> bool:
        """Records the outcome of every check that finished running; one that could not run is
        tried again after a pause that doubles each time."""
        moved = False
        for job_id, future in list(self._running.items()):
            if not future.done():
                continue
            del self._running[job_id]
            moved = True
            done = future.result()
            if done.verdict == Verdict.PENDING:
                pause = min(RETRY_LONGEST, self._retry_pause.get(job_id, RETRY_FIRST / 2) * 2)
                self._retry_pause[job_id] = pause
                self._retry_at[job_id] = time.monotonic() + pause
                done = replace(done, detail=f"{done.detail}; trying again in {pause:.0f}s")
            else:
                self._retry_at.pop(job_id, None)
                self._retry_pause.pop(job_id, None)
                if done.verdict == Verdict.DIFFERS and done.kind == "provisional":
                    done = self._dispute(done)
            self._record(done)
        return moved

    def _record(self, check: Check, *, quiet: bool = False) -> None:
        self.checks.save(check)
        if quiet:
            return
        level = logging.WARNING if check.verdict in (Verdict.DIFFERS, Verdict.UNAVAILABLE) else logging.INFO
        log.log(level, "job %s (%s): %s: %s", short(check.job_id), check.kind, check.verdict.value, check.detail)
