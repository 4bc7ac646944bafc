"""Signed requests in, jobs on chain out: what `POST /v1/jobs` checks, writes and relays.

A request is acknowledged (`202`) only once it is written to the database: the relayer posts it
from there, so a request acknowledged once is posted even if the API dies right after answering,
and never twice (the market refuses a used nonce, and the job id is the request's hash: the same
request sent again answers with the same job). Before writing, the API asks the chain what
posting would do (`eth_call` of `postJob` from the relayer's account): the contract's own checks
— signature (low-s only), nonce, expiry, terms and windows, the requester's deposit — answer by
the contract error's name; the API adds what only it can see: the program and input exist in the
store, and the deposit also covers the requester's requests acknowledged but not yet posted.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from web3 import Web3

from ledger import (
    ChainUnavailable,
    ContractRevert,
    JobMarket,
    JobRequest,
    JobStatus,
    LedgerError,
    Mode,
    format_tokens,
)
from store import NotFound, StoreClient, StoreError, cid_from_digest
from zk import commitment
from zk.jobs import BLOCK, MAX_MANIFEST, ZkJob, ZkJobError, ZkProgram

from .models import IntakeRow
from .problems import Problem
from .wire import request_json

log = logging.getLogger("agora.relayer")

MAX_BODY = 64 * 1024
"""Bytes a `POST /v1/jobs` body may have (a request is well under 2 KiB)."""

_HEX32 = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_DECIMAL = re.compile(r"[0-9]{1,78}")


def _uint(bits: int) -> Any:
    """A JSON number, or a decimal string for numbers beyond what JavaScript holds exactly, up to 2^bits."""

    def check(value: int | str) -> int:
        if isinstance(value, str):
            if not _DECIMAL.fullmatch(value):
                raise ValueError("a decimal integer, as a number or a string of digits")
            value = int(value)
        if not 0 <= value < 1 << bits:
            raise ValueError(f"an integer from 0 to 2^{bits} - 1")
        return value

    return AfterValidator(check)


class RequestIn(BaseModel):
    """A `JobRequest` as JSON (field names as in `ledger.JobRequest`; amounts in wei)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    requester: Annotated[str, Field(pattern=_ADDRESS)]
    program_id: Annotated[str, Field(pattern=_HEX32)]
    input_digest: Annotated[str, Field(pattern=_HEX32)]
    verifier_pin: Annotated[str, Field(pattern=_HEX32)] = "0x" + "00" * 32
    min_price: Annotated[int | str, _uint(96)]
    max_price: Annotated[int | str, _uint(96)]
    ramp: Annotated[int, _uint(32)]
    collateral: Annotated[int | str, _uint(96)]
    redundancy: Annotated[int, Field(ge=1, le=8)]
    quorum: Annotated[int, Field(ge=1, le=8)]
    mode: Literal["redundant", "zk"] = "redundant"
    fuel_limit: Annotated[int | str, _uint(64)]
    lock_deadline: Annotated[int, _uint(40)]
    commit_deadline: Annotated[int, _uint(40)]
    reveal_deadline: Annotated[int, _uint(40)]
    regions: Annotated[int, _uint(32)] = 0
    nonce: Annotated[int | str, _uint(256)]
    expiry: Annotated[int, _uint(40)]

    def to_request(self) -> JobRequest:
        return JobRequest(
            requester=Web3.to_checksum_address(self.requester),
            program_id=bytes.fromhex(self.program_id[2:]),
            input_digest=bytes.fromhex(self.input_digest[2:]),
            verifier_pin=bytes.fromhex(self.verifier_pin[2:]),
            min_price=int(self.min_price),
            max_price=int(self.max_price),
            ramp=self.ramp,
            collateral=int(self.collateral),
            redundancy=self.redundancy,
            quorum=self.quorum,
            mode=Mode.ZK if self.mode == "zk" else Mode.REDUNDANT,
            fuel_limit=int(self.fuel_limit),
            lock_deadline=self.lock_deadline,
            commit_deadline=self.commit_deadline,
            reveal_deadline=self.reveal_deadline,
            regions=self.regions,
            nonce=int(self.nonce),
            expiry=self.expiry,
        )


class SubmitIn(BaseModel):
    """`POST /v1/jobs`: a request and its requester's EIP-712 signature (65 bytes, r‖s‖v)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    request: RequestIn
    signature: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$")]


class Accepted(BaseModel):
    job_id: str
    status: Literal["accepted", "posted", "failed"]
    escrow: str = Field(description="AGR the job takes from the requester's deposit")


# The contract's answers to a simulated post, as problems.
REVERTS = {
    "InvalidSignature": (400, "invalid-signature"),
    "ECDSAInvalidSignature": (400, "invalid-signature"),
    "ECDSAInvalidSignatureS": (400, "invalid-signature"),
    "ECDSAInvalidSignatureLength": (400, "invalid-signature"),
    "NonceUsed": (409, "nonce-used"),
    "RequestExpired": (422, "request-expired"),
    "InsufficientBalance": (402, "insufficient-deposit"),
}


class Intake:
    """Checks and writes signed requests (the API's side of `POST /v1/jobs`)."""

    def __init__(
        self,
        engine: Engine,
        market: JobMarket,
        relayer: str,
        store: StoreClient | None,
        *,
        accepted: threading.Event | None = None,
    ) -> None:
        """``accepted``: set once a request is written (the relayer's wake-up)."""
        self.engine, self.market, self.relayer, self.store = engine, market, relayer, store
        self.accepted = accepted
        self._lock = threading.Lock()  # one requester's deposit is checked against its pending requests one at a time
        # As many as the API serves requests at once (anyio's 40 threads): no request's chain
        # reads queue behind another's.
        self._chain = ThreadPoolExecutor(max_workers=40, thread_name_prefix="intake-chain")

    def submit(self, body: SubmitIn) -> tuple[int, Accepted]:
        """(HTTP status, answer): 202 once written (or already), 200 if already on chain."""
        request = body.request.to_request()
        job_id = "0x" + request.struct_hash().hex()
        signature = bytes.fromhex(body.signature[2:])
        with Session(self.engine) as s:
            known = s.scalar(select(IntakeRow).where(IntakeRow.job_id == job_id))
            if known is not None:
                return 202, Accepted.model_validate(
                    {"job_id": job_id, "status": known.status, "escrow": format_tokens(int(known.escrow))}
                )
        # The chain's answers (the escrow, what posting would do) come on a thread of their own
        # while this one asks the store for the blobs; answered in the old order of precedence:
        # a job already on chain, a missing blob, the chain, the contract's refusal.
        chain = self._chain.submit(self._would_post, request, signature)
        try:
            self._check_blobs(request)
        except Problem:
            wait([chain])
            if self._on_chain(request):
                escrow = self.market.escrow_for(request)
                return 200, Accepted(job_id=job_id, status="posted", escrow=format_tokens(escrow))
            raise
        escrow, refused = chain.result()
        if refused is not None:
            if self._on_chain(request):  # posted before
                return 200, Accepted(job_id=job_id, status="posted", escrow=format_tokens(escrow))
            if not isinstance(refused, ContractRevert):
                raise refused
            status, kind = REVERTS.get(refused.name, (422, "invalid-terms"))
            raise Problem(status, kind, f"the market would refuse it: {refused}", **refused.to_json()) from refused
        with self._lock, Session(self.engine) as s, s.begin():
            if s.scalar(
                select(IntakeRow.id).where(
                    IntakeRow.requester == request.requester, IntakeRow.nonce == str(request.nonce)
                )
            ):
                raise Problem(409, "nonce-used", f"nonce {request.nonce} is taken by another request of this requester")
            pending = sum(  # in Python: exact on SQLite too (models.Wei)
                int(e)
                for e in s.scalars(
                    select(IntakeRow.escrow).where(
                        IntakeRow.requester == request.requester, IntakeRow.status == "accepted"
                    )
                )
            )
            balance = self.market.balance_of(request.requester)
            if balance - int(pending or 0) < escrow:
                raise Problem(
                    402,
                    "insufficient-deposit",
                    f"the deposit of {request.requester} is {format_tokens(balance)} AGR; requests not yet posted "
                    f"hold {format_tokens(int(pending or 0))} AGR of it and this one needs {format_tokens(escrow)} AGR",
                )
            s.add(
                IntakeRow(
                    job_id=job_id,
                    requester=request.requester,
                    nonce=str(request.nonce),
                    request=request_json(request),
                    signature=body.signature.lower(),
                    escrow=Decimal(escrow),
                    status="accepted",
                    accepted_at=time.time(),
                )
            )
        log.info("job %s accepted from %s", job_id[:12], request.requester)
        if self.accepted is not None:
            self.accepted.set()
        return 202, Accepted(job_id=job_id, status="accepted", escrow=format_tokens(escrow))

    def _on_chain(self, request: JobRequest) -> bool:
        return self.market.job(request.struct_hash()).status != JobStatus.NONE

    def _would_post(self, request: JobRequest, signature: bytes) -> tuple[int, LedgerError | None]:
        """The escrow ``request`` takes, and the market's refusal to post it now (None: it would)."""
        escrow = self.market.escrow_for(request)
        try:
            self.market.simulate_post(request, signature, self.relayer)
        except LedgerError as exc:
            return escrow, exc
        return escrow, None

    def _check_blobs(self, request: JobRequest) -> None:
        if self.store is None:
            return
        if request.mode == Mode.ZK:
            self._check_zk(request)
            return
        for what, digest in (("program", request.program_id), ("input", request.input_digest)):
            cid = cid_from_digest(digest)
            try:
                self.store.manifest(cid)
            except NotFound as exc:
                raise Problem(
                    422, "blob-not-found", f"its {what} {cid} is on no store node", blob=what, cid=cid
                ) from exc
            except StoreError as exc:
                raise Problem(503, "store-unavailable", f"cannot check its {what} {cid}: {exc}") from exc

    def _check_zk(self, request: JobRequest) -> None:
        """A `ZK` request names a spec (zk.jobs.ZkJob) by its program id: the spec, its program's
        manifest and its input block must be stored, the block must be the one the request's input
        commitment names, and the request must pin the program's verifier. Bounded: three small
        reads and one Pedersen hash of 64 bytes."""
        assert self.store is not None
        spec_cid = cid_from_digest(request.program_id)
        try:
            spec = ZkJob.from_bytes(self.store.get(spec_cid, max_size=MAX_MANIFEST))
            program = ZkProgram.from_bytes(self.store.get(spec.program, max_size=MAX_MANIFEST))
            block = self.store.get(spec.input, max_size=BLOCK)
        except NotFound as exc:
            raise Problem(
                422, "blob-not-found", f"its ZK job spec, program or input is on no store node: {exc}"
            ) from exc
        except ZkJobError as exc:
            raise Problem(422, "invalid-zk-job", f"its program id does not name a ZK job spec: {exc}") from exc
        except StoreError as exc:
            raise Problem(503, "store-unavailable", f"cannot check its ZK job spec {spec_cid}: {exc}") from exc
        if len(block) != BLOCK or commitment(block) != request.input_digest:
            raise Problem(422, "input-commitment-mismatch", "its input block is not the one its input commitment names")
        if program.pin != request.verifier_pin:
            raise Problem(
                422,
                "verifier-not-pinned",
                f"it pins verifier 0x{request.verifier_pin.hex()}; {program.name}'s pin is 0x{program.pin.hex()}",
            )


class Relayer:
    """Posts acknowledged requests from its own account, in the order they were accepted: up to
    ``batch`` in one transaction (through the `JobBatcher`, which posts each as `postJob` would and
    skips, with the market's error, what the market refuses)."""

    def __init__(self, engine: Engine, market: JobMarket, *, batch: int = 20) -> None:
        self.engine, self.market, self.batch = engine, market, batch

    def step(self) -> int:
        """Posts (or settles the fate of) up to ``batch`` accepted requests; how many moved."""
        with Session(self.engine) as s:
            rows = list(
                s.scalars(
                    select(IntakeRow).where(IntakeRow.status == "accepted").order_by(IntakeRow.id).limit(self.batch)
                )
            )
            s.expunge_all()
        if not rows:
            return 0
        try:
            outcomes = self._post_one(rows[0]) if len(rows) == 1 else self._post_batch(rows)
        except ChainUnavailable:
            return 0  # the chain is away: the rows wait, nothing is lost
        moved = 0
        with Session(self.engine) as s, s.begin():
            for row in rows:
                stored = s.get(IntakeRow, row.id)
                if stored is not None and stored.status == "accepted" and row.id in outcomes:
                    stored.status, stored.tx_hash, stored.error = outcomes[row.id]
                    moved += 1
        return moved

    def _post_one(self, row: IntakeRow) -> dict[int, Outcome]:
        request = _request_of(row)
        try:  # posted before a crash kept that from the database: refused, and `_refused` finds it posted
            receipt = self.market.relay(request, bytes.fromhex(row.signature[2:]))
        except ContractRevert as exc:
            return {row.id: self._refused(row, request, exc)}
        log.info("job %s posted", row.job_id[:12])
        return {row.id: ("posted", "0x" + bytes(receipt["transactionHash"]).hex(), None)}

    def _post_batch(self, rows: list[IntakeRow]) -> dict[int, Outcome]:
        requests = [_request_of(row) for row in rows]
        try:
            receipt, refused = self.market.relay_batch(requests, [bytes.fromhex(r.signature[2:]) for r in rows])
        except ContractRevert as exc:  # the batch itself failed (out of gas, …): one at a time
            log.warning("a batch of %d was refused (%s): posting them one by one", len(rows), exc)
            outcomes: dict[int, Outcome] = {}
            for row in rows:
                outcomes |= self._post_one(row)
            return outcomes
        tx = "0x" + bytes(receipt["transactionHash"]).hex()
        log.info("%d jobs posted in one transaction (%d refused)", len(rows) - len(refused), len(refused))
        return {
            row.id: self._refused(row, request, refused[i]) if i in refused else ("posted", tx, None)
            for i, (row, request) in enumerate(zip(rows, requests, strict=True))
        }

    def _refused(self, row: IntakeRow, request: JobRequest, exc: ContractRevert) -> Outcome:
        if self.market.job(request.struct_hash()).status != JobStatus.NONE:
            return "posted", None, None  # its own earlier post (before a crash): NonceUsed is that
        log.warning("job %s: the market refused it: %s", row.job_id[:12], exc)
        return "failed", None, exc.to_json()


Outcome = tuple[str, str | None, dict[str, Any] | None]
"""What became of an accepted request: status, transaction, the contract's error."""


def _request_of(row: IntakeRow) -> JobRequest:
    return RequestIn.model_validate(row.request, strict=False).to_request()
