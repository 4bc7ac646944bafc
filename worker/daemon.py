"""The worker daemon: one identity (key, name, stake) earning tokens by running jobs.

On start it makes its name, records and stake what the operator asked for. Then, each tick, it
reads new market events from its persisted cursor, decides on posted jobs with its `BidPolicy`,
locks when the ask is right, fetches program and input from the store, executes on Ray, puts the
output in the store, commits (the salt is on disk first), reveals when the window opens, and calls
settle once the reveal deadline has passed. Every decision is logged in words.

State (jobs, salts) lives in SQLite under the worker's directory; the chain is read again for
anything a crash may have left half-done, so a daemon killed at any point resumes correctly.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from compute import Result, Status
from ledger import (
    DEV_CHAIN_IDS,
    ChainUnavailable,
    ContractRevert,
    Deployment,
    JobMarket,
    JobRequest,
    JobStatus,
    LedgerError,
    Names,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    dev_account,
    region_code,
)
from store import BlobTooLarge, NotFound, StoreClient, cid_from_digest, digest_of

from .errors import WorkerError
from .execution import RayExecutor
from .feed import JobFeed, MarketEvent
from .policy import BidPolicy, amount
from .state import FINAL, IN_FLIGHT, JobRecord, Phase, WorkerState

log = logging.getLogger("agora.worker")

RETRY_AFTER = 2.0
PROGRAM_CACHE = 32
MAX_BLOB = 64 * 1024 * 1024
"""Default of `WorkerConfig.max_blob`: the largest program or input the worker fetches."""


class Conduct(StrEnum):
    """How the worker behaves in a job. Only `HONEST` earns; the others exist so tests (and
    verifier operators rehearsing) can drive a real worker through each way of failing."""

    HONEST = "honest"
    WRONG_OUTPUT = "wrong_output"  # computes, then commits and reveals a result for altered output
    NO_REVEAL = "no_reveal"  # commits, never reveals
    MISS_DEADLINE = "miss_deadline"  # locks, never commits nor reveals


@dataclass(frozen=True)
class WorkerConfig:
    """What the operator chose (see `agora worker run --help`)."""

    name: str
    state_dir: Path
    store_nodes: list[str]
    stake: int = 200 * 10**18
    region: int | None = None
    ray: str = "local"
    policy: BidPolicy = field(default_factory=BidPolicy)
    poll_interval: float = 0.2
    fund_on_dev_chain: bool = True
    setup_name: bool = True
    max_blob: int = MAX_BLOB
    """Bytes: a program or input larger than this is refused before any of it is read."""


def short(job_id: bytes) -> str:
    return job_id.hex()[:10]


class Worker:
    """A worker daemon over a chain, a store and a Ray executor (`run` loops; `tick` is one step)."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        account: LocalAccount,
        config: WorkerConfig,
        *,
        store: StoreClient,
        executor: RayExecutor,
        conduct: Conduct | Callable[[JobRequest], Conduct] = Conduct.HONEST,
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.config = config
        self.policy = config.policy
        self.address = str(account.address)
        self.transactor = Transactor(w3, account)
        self.market = JobMarket(w3, deployment, self.transactor)
        self.stakes = StakeManager(w3, deployment, self.transactor)
        self.names = Names(w3, deployment, self.transactor)
        self.store = store
        self.executor = executor
        self._conduct = conduct
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.state = WorkerState(config.state_dir / "jobs.sqlite")
        self.feed = JobFeed(w3, deployment, config.state_dir / "cursor.sqlite")
        self._pool = ThreadPoolExecutor(max_workers=max(1, config.policy.max_concurrent), thread_name_prefix="job")
        self._running: dict[bytes, Future[tuple[Result, str, str]]] = {}
        self._retry_at: dict[bytes, float] = {}
        self._escalation: dict[bytes, int] = {}  # each job's own window, fixed when it was posted
        self._programs: dict[str, bytes] = {}
        self._inputs: dict[bytes, bytes] = {}  # fetched before locking, until executed
        self._programs_lock = threading.Lock()

    # -- start -----------------------------------------------------------------------------------

    def conduct(self, request: JobRequest) -> Conduct:
        return self._conduct(request) if callable(self._conduct) else self._conduct

    def setup(self, on_progress: Callable[[str], None] | None = None) -> None:
        """Name, records, stake and region as configured (only what differs is sent)."""
        say = on_progress or (lambda message: log.info("%s", message))
        self._fund(say)
        if self.config.setup_name:
            self._setup_name(say)
        self._setup_stake(say)
        if self.config.region is None:  # keep what is declared (the first stake declares global)
            self.policy = replace(self.policy, region=self.stakes.region_of(self.address))

    def _dev_chain(self) -> bool:
        return self.transactor.chain_id() in DEV_CHAIN_IDS

    def _fund(self, say: Callable[[str], None]) -> None:
        """On a development chain, gas money and tokens for the stake come from account 0 and the
        faucet; elsewhere the operator funds the key."""
        if not self.config.fund_on_dev_chain or not self._dev_chain():
            return
        token = Token(self.w3, self.deployment, self.transactor)
        free, locked, unbonding = self.stakes.stake_of(self.address)
        missing = self.config.stake - (free + locked + unbonding) - token.balance_of(self.address)
        if int(self.w3.eth.get_balance(self.address)) < 10**18:  # type: ignore[arg-type]
            say("funding gas from development account 0 (10 ETH)")
            Transactor(self.w3, dev_account(0)).send(to=self.address, value=10 * 10**18)
        if missing > 0:
            say(f"taking {amount(missing)} from the development faucet for the stake")
            token.faucet(self.address, missing)

    def _setup_name(self, say: Callable[[str], None]) -> None:
        name = self.config.name
        full = f"{name}.agora"
        owner = self.names.owner(name)
        if owner is None:
            say(f"registering {full} (commit, wait, register)")
            self.names.register(name)
        elif owner.lower() != self.address.lower():
            raise WorkerError(f"{full} belongs to {owner}, not to this worker's key {self.address}")
        declared = self.stakes.region_of(self.address)
        region = self.config.region if self.config.region is not None else (declared or 0)
        records = {
            "store": ",".join(self.config.store_nodes),
            "capacity": str(self.policy.max_concurrent),
            "region": region_code(region),
            "ray": "" if self.config.ray == "local" else self.config.ray,
        }
        for key, value in records.items():
            if self.names.text(name, key) != value:
                say(f"setting {full} text record {key} = {value!r}")
                self.names.set_text(name, key, value)
        if self.names.reverse(self.address) != full:
            say(f"pointing {self.address} back at {full}")
            self.names.set_reverse(name)

    def _setup_stake(self, say: Callable[[str], None]) -> None:
        free, locked, unbonding = self.stakes.stake_of(self.address)
        held = free + locked
        declared = self.stakes.region_of(self.address)
        region = self.config.region if self.config.region is not None else (declared or 0)
        if held < self.config.stake:
            missing = self.config.stake - held
            balance = Token(self.w3, self.deployment).balance_of(self.address)
            if balance < missing:
                raise WorkerError(
                    f"staking {amount(missing)} more needs AGR this worker's key {self.address} does not hold "
                    f"(it has {amount(balance)}): fund it, or start with a smaller --stake"
                )
            say(f"staking {amount(missing)} (to {amount(self.config.stake)})")
            self.stakes.stake(missing, region)
        elif self.config.region is not None and declared != self.config.region:
            say(f"declaring region {region_code(self.config.region)} (effective after the unbonding delay)")
            self.stakes.declare_region(self.config.region)

    # -- the loop --------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Ticks until ``stop`` is set; a chain outage is waited out."""
        backoff = self.config.poll_interval
        while not stop.is_set():
            try:
                busy = self.tick()
                backoff = self.config.poll_interval
            except ChainUnavailable as exc:
                log.warning("chain unavailable (%s); retrying in %.1fs", exc, backoff)
                busy = False
                backoff = min(backoff * 2, 10.0)
            except LedgerError as exc:  # e.g. a node refusing a transaction: log, wait, go on
                log.error("%s; retrying in %.1fs", exc, backoff)
                busy = False
                backoff = min(backoff * 2, 10.0)
            if not busy:
                stop.wait(backoff)

    def tick(self) -> bool:
        """One step: events, bids, finished executions, due transactions. True if anything moved."""
        events, last = self.feed.poll()
        for event in events:
            self._on_event(event)
        if last > self.feed.cursor:
            self.feed.acknowledge(last)
        now = self._now()
        moved = self._bid(now)
        moved |= self._collect()
        moved |= self._advance(now)
        return bool(events) or moved

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.feed.close()
        self.state.close()

    def _now(self) -> int:
        """The chain's time as the next block will see it (never behind the latest block)."""
        return max(int(self.w3.eth.get_block("latest")["timestamp"]), int(time.time()))

    # -- events ----------------------------------------------------------------------------------

    def _on_event(self, e: MarketEvent) -> None:
        if e.name == "JobPosted":
            self._consider(e)
            return
        record = self.state.get(e.job_id)
        if record is None:
            return
        mine = str(e.args.get("worker", "")).lower() == self.address.lower()
        if e.name == "JobLocked":
            if mine and record.phase in (Phase.CANDIDATE, Phase.LOST):
                self.state.save(record.evolve(phase=Phase.LOCKED, slot=e.args["slot"], price=e.args["price"]))
            elif record.phase == Phase.CANDIDATE and e.args["slot"] + 1 >= record.request.redundancy:
                self._finish(record, Phase.LOST, f"lost: all {record.request.redundancy} slots taken")
        elif e.name == "JobSettled" and record.phase not in FINAL:
            self._finish(record, Phase.DONE, "settled")
        elif e.name == "JobUnresolved" and record.phase not in FINAL:
            # Revealed (even if a crash kept that from the record): collateral held for escalation.
            revealed = record.phase == Phase.REVEALED or (
                record.slot >= 0 and bool(self.market.job(e.job_id).revealed_mask >> record.slot & 1)
            )
            phase, note = (
                (Phase.UNRESOLVED, "no quorum: collateral held for escalation")
                if revealed
                else (Phase.DONE, "no quorum")
            )
            self._finish(record, phase, note)
        elif e.name == "JobExpired" and record.phase not in FINAL:
            self._finish(record, Phase.LOST if record.phase == Phase.CANDIDATE else Phase.DONE, "expired")
        elif e.name == "WorkerPaid" and mine:
            paid = int(e.args["amount"])
            self.state.save(record.evolve(earned=record.earned + paid, note=f"paid {amount(paid)}"))
            log.info("job %s: paid %s", short(e.job_id), amount(paid))
        elif e.name == "WorkerSlashed" and mine:
            taken, reason = int(e.args["amount"]), SlashReason(e.args["reason"]).describe()
            self.state.save(record.evolve(slashed=record.slashed + taken, note=f"slashed {amount(taken)}: {reason}"))
            log.warning("job %s: slashed %s (%s)", short(e.job_id), amount(taken), reason)

    def _finish(self, record: JobRecord, phase: Phase, note: str) -> None:
        self.state.save(record.evolve(phase=phase, note=note))
        self._running.pop(record.job_id, None)
        self._inputs.pop(record.job_id, None)
        if phase in FINAL:
            self._retry_at.pop(record.job_id, None)
        log.info("job %s: %s", short(record.job_id), note)

    def _consider(self, e: MarketEvent) -> None:
        if self.state.get(e.job_id) is not None:
            return  # seen before a restart
        request = e.request()
        verdict = self.policy.evaluate(request, now=self._now())
        if not verdict.bid:
            self.state.add(JobRecord(e.job_id, request, Phase.SKIPPED, verdict.reason))
            log.info("job %s: %s", short(e.job_id), verdict.reason)
            return
        posted_at = int(self.w3.eth.get_block(e.block)["timestamp"])  # the ramp starts at its block
        lock_at = self.policy.lock_time(request, posted_at, verdict.target_price)
        note = f"candidate: will lock once the ask reaches {amount(verdict.target_price)}"
        self.state.add(JobRecord(e.job_id, request, Phase.CANDIDATE, note, verdict.target_price, lock_at))
        wait = lock_at - self._now()
        log.info("job %s: %s%s", short(e.job_id), note, f" (in {wait}s)" if wait > 0 else "")

    # -- bidding ---------------------------------------------------------------------------------

    def _bid(self, now: int) -> bool:
        moved = False
        executing = len(self.state.in_phase(Phase.LOCKED))
        free: int | None = None  # read once a pass, then kept by subtracting what each lock takes
        for record in self.state.in_phase(Phase.CANDIDATE):
            request = record.request
            if now > request.lock_deadline:
                self._finish(record, Phase.LOST, "lost: the lock window closed")
                continue
            if now < record.lock_at or time.monotonic() < self._retry_at.get(record.job_id, 0):
                continue
            if free is None:
                free = self.stakes.stake_of(self.address)[0]
            ready = self.policy.ready(request, free_stake=free, executing=executing)
            if not ready.bid:
                if record.note != ready.reason:
                    self.state.save(record.evolve(note=ready.reason))
                    log.info("job %s: %s", short(record.job_id), ready.reason)
                continue
            unfit = self._fetch_blobs(record)
            if unfit is not None:
                if unfit:
                    self._finish(record, Phase.SKIPPED, f"skipped: {unfit}")
                continue
            try:
                slot, price = self.market.lock(record.job_id)
            except ContractRevert as exc:
                moved |= self._lock_failed(record, exc)
                continue
            self.state.save(
                record.evolve(phase=Phase.LOCKED, slot=slot, price=price, note=f"locked at {amount(price)}")
            )
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

    def _fetch_blobs(self, record: JobRecord) -> str | None:
        """Fetches the job's program and input before locking; why it cannot ("" to try later), or None.

        A job whose blobs are missing, too large or unreadable would fail after its collateral is
        locked, and the worker would be slashed for it: nothing is locked until both are here
        (checked against their CIDs, within ``max_blob``). The input waits for the execution.
        """
        request = record.request
        what = "program"
        try:
            self._program(cid_from_digest(request.program_id))
            what = "input"
            if record.job_id not in self._inputs:
                cid = cid_from_digest(request.input_digest)
                self._inputs[record.job_id] = self.store.get(cid, max_size=self.config.max_blob)
        except BlobTooLarge as exc:
            return f"its {what} has {exc.size:,} bytes, above this worker's limit of {exc.limit:,} (--max-blob)"
        except NotFound:
            return f"its {what} is on no store node"
        except Exception as exc:  # noqa: BLE001 - the store or a lying node: try again until the window closes
            self._retry_at[record.job_id] = time.monotonic() + RETRY_AFTER
            log.warning(
                "job %s: cannot fetch its %s: %s; retrying in %.0fs", short(record.job_id), what, exc, RETRY_AFTER
            )
            return ""
        return None

    def _lock_failed(self, record: JobRecord, exc: ContractRevert) -> bool:
        if exc.name == "JobFull":
            self._finish(record, Phase.LOST, f"lost: all {record.request.redundancy} slots taken")
        elif exc.name in ("LockClosed", "JobNotOpen"):
            self._finish(record, Phase.LOST, f"lost: {exc}")
        elif exc.name == "RegionNotAllowed":
            self._finish(record, Phase.SKIPPED, f"skipped: {exc} (a region change waits out the unbonding delay)")
        elif exc.name == "WorkerAlreadyLocked":
            for index in range(record.request.redundancy):
                s = self.market.slot(record.job_id, index)
                if s.worker.lower() == self.address.lower():
                    self.state.save(record.evolve(phase=Phase.LOCKED, slot=index, price=s.price))
                    return True
        else:
            self._retry_at[record.job_id] = time.monotonic() + RETRY_AFTER
            log.warning("job %s: lock refused: %s; retrying in %.0fs", short(record.job_id), exc, RETRY_AFTER)
            return False
        return True

    # -- execution -------------------------------------------------------------------------------

    def _program(self, cid: str) -> bytes:
        with self._programs_lock:
            wasm = self._programs.get(cid)
        if wasm is None:
            wasm = self.store.get(cid, max_size=self.config.max_blob)
            with self._programs_lock:
                if len(self._programs) >= PROGRAM_CACHE:
                    self._programs.pop(next(iter(self._programs)))
                self._programs[cid] = wasm
        return wasm

    def _execute(self, job_id: bytes, request: JobRequest, conduct: Conduct) -> tuple[Result, str, str]:
        """Fetch (CIDs checked by the store client) unless fetched before locking, run on Ray, store the output."""
        program_cid = cid_from_digest(request.program_id)
        wasm = self._program(program_cid)
        stdin = self._inputs.pop(job_id, None)
        if stdin is None:  # fetched before a restart, or dropped since
            stdin = self.store.get(cid_from_digest(request.input_digest), max_size=self.config.max_blob)
        result, node = self.executor.run(program_cid, wasm, stdin, fuel=request.fuel_limit)
        if conduct == Conduct.WRONG_OUTPUT:
            result = replace(result, output=result.output + b"\n(altered)\n")
        return result, node, self.store.put(result.output)

    def _collect(self) -> bool:
        moved = False
        for job_id, future in list(self._running.items()):
            if not future.done():
                continue
            del self._running[job_id]
            record = self.state.get(job_id)
            if record is None or record.phase != Phase.LOCKED:
                continue
            try:
                result, node, result_cid = future.result()
            except Exception as exc:  # noqa: BLE001 - the store, Ray, anything: try again shortly
                self._retry_at[job_id] = time.monotonic() + RETRY_AFTER
                log.warning("job %s: could not run it: %s; retrying in %.0fs", short(job_id), exc, RETRY_AFTER)
                continue
            # The salt is on disk before any transaction can use it.
            self.state.save(
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
            log.info(
                "job %s: executed: %s%s, fuel %d, output %s",
                short(job_id),
                result.status.value,
                detail,
                result.fuel_used,
                result_cid,
            )
            moved = True
        return moved

    # -- results on chain ------------------------------------------------------------------------

    def _advance(self, now: int) -> bool:
        moved = False
        for record in self.state.in_phase(*IN_FLIGHT):
            if record.job_id not in self._running and time.monotonic() < self._retry_at.get(record.job_id, 0):
                continue
            try:
                moved |= self._step(record, now)
            except ContractRevert as exc:
                self._retry_at[record.job_id] = time.monotonic() + RETRY_AFTER
                log.warning(
                    "job %s: %s refused: %s; retrying in %.0fs",
                    short(record.job_id),
                    record.phase.value,
                    exc,
                    RETRY_AFTER,
                )
        return moved

    def _step(self, record: JobRecord, now: int) -> bool:
        request: JobRequest = record.request
        job_id: bytes = record.job_id
        deadline = self.policy.result_deadline(request)
        if record.phase == Phase.LOCKED:
            if job_id in self._running:
                return False
            if now > deadline:
                self._finish(record, Phase.WAITING, "missed the result deadline: waiting for the outcome")
                return True
            self._running[job_id] = self._pool.submit(self._execute, job_id, request, self.conduct(request))
            return True
        if record.phase == Phase.EXECUTED:
            conduct = self.conduct(request)
            if conduct == Conduct.MISS_DEADLINE:
                self._finish(record, Phase.WAITING, f"withholding the result ({conduct.value})")
                return True
            if now > deadline:
                self._finish(record, Phase.WAITING, "missed the result deadline: waiting for the outcome")
                return True
            if request.redundancy == 1:
                return self._reveal(record)
            try:
                self.market.commit(job_id, record.slot, record.digest, record.salt)
            except ContractRevert as exc:
                if exc.name != "AlreadyCommitted":  # sent before a crash: it is on chain
                    raise
            self.state.save(record.evolve(phase=Phase.COMMITTED, note="committed"))
            log.info("job %s: committed", short(job_id))
            return True
        if record.phase == Phase.COMMITTED:
            conduct = self.conduct(request)
            if conduct == Conduct.NO_REVEAL:
                self._finish(record, Phase.WAITING, f"withholding the reveal ({conduct.value})")
                return True
            if now > request.reveal_deadline:
                self._finish(record, Phase.WAITING, "missed the reveal deadline: waiting for the outcome")
                return True
            view = self.market.job(job_id)
            if view.status != JobStatus.OPEN:
                return False  # its outcome is in the events
            locking_done = view.locked == view.k or now > view.lock_deadline
            all_committed = locking_done and view.committed_mask == (1 << view.locked) - 1
            if view.revealed_mask >> record.slot & 1 or all_committed or now > view.commit_deadline:
                return self._reveal(record)
            return False
        if record.phase == Phase.UNRESOLVED:
            # No quorum: the collateral stays locked through the escalation window, then anyone
            # may expire the job to release it.
            if now <= request.reveal_deadline + self._escalation_window(job_id):
                return False
            self._retry_at[job_id] = time.monotonic() + RETRY_AFTER
            if self.market.job(job_id).status == JobStatus.UNRESOLVED:
                self.market.expire(job_id)
                log.info("job %s: expired it after the escalation window (collateral released)", short(job_id))
            return True
        # REVEALED or WAITING: make sure the job gets settled once it can be.
        if now <= request.reveal_deadline:
            return False
        self._retry_at[job_id] = time.monotonic() + RETRY_AFTER
        if self.market.job(job_id).status != JobStatus.OPEN:
            return False
        try:
            self.market.settle(job_id)
            log.info("job %s: settled it (the reveal deadline passed)", short(job_id))
        except ContractRevert as exc:
            if exc.name not in ("JobNotOpen", "NotSettleable"):
                raise
        return True

    def _escalation_window(self, job_id: bytes) -> int:
        if job_id not in self._escalation:
            self._escalation[job_id] = self.market.job(job_id).escalation_window
        return self._escalation[job_id]

    def _reveal(self, record: JobRecord) -> bool:
        try:
            self.market.reveal(record.job_id, record.slot, record.digest, record.salt, digest_of(record.result_cid))
        except ContractRevert as exc:
            if exc.name == "RevealNotOpen":
                return False
            if exc.name != "AlreadyRevealed":
                raise
        self.state.save(record.evolve(phase=Phase.REVEALED, note="revealed"))
        log.info("job %s: revealed", short(record.job_id))
        return True
