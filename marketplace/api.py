"""The REST API, read side: jobs, their timelines and the deployment, from the indexed database.

Everything is under ``/v1`` (OpenAPI at ``/openapi.json``, docs at ``/docs``); every error is an
RFC 9457 problem (marketplace/problems.py). Amounts are exact decimal AGR strings ("10", "0.5").
Lists are paged by an opaque cursor (``next`` in a page; pass it back as ``cursor``), newest
first. Reads are public.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from pydantic import Field, ValidationError
from sqlalchemy import Engine, and_, func, or_, select, text
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from web3 import Web3

from ledger import (
    REGIONS,
    ChainClock,
    Deployment,
    JobMarket,
    Names,
    SlashReason,
    StakeManager,
    format_time,
    format_tokens,
    region_index,
    regions_in,
)
from store import StoreClient

from . import problems
from .blobs import DEFAULT_MAX_BLOB, DEFAULT_QUOTA, UPLOAD_IDLE, blob_routes, deposit_required
from .indexer import Indexer
from .insight_routes import insight_routes
from .intake import MAX_BODY, Accepted, Intake, RequestIn, SubmitIn
from .metrics import MetricsMiddleware, RequestMetrics
from .models import EventRow, IntakeRow, JobRow, SettlementRow, SlotRow
from .problems import Problem, Strict, json_body

HEX32 = r"^0x[0-9a-fA-F]{64}$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
Status = Literal["open", "provisional", "settled", "unresolved", "expired", "void", "disputed"]
IntakeStatus = Literal["accepted", "failed", "posted"]
MAX_PAGE = 200
StreamStart = tuple[str, tuple[int, int], list[EventRow], str, int]
"""A job's event stream as checked before it starts: job, resume point, first events, status,
and the indexer's generation read before those events were."""
FINAL = ("settled", "expired", "void")
STREAM_POLL = 0.5
"""Seconds an event stream waits for the indexer's wake-up before it looks at the database anyway
(its period when no indexer in this process tells it)."""
STREAM_LIMIT = 600.0
"""Seconds one event stream stays open; the client reconnects with `Last-Event-ID` and misses nothing."""


def agr(wei: Decimal | int) -> str:
    return format_tokens(int(wei))


class SlotOut(Strict):
    slot: int
    worker: str
    price: str = Field(description="AGR")
    auditor: bool = Field(description="drawn into this slot as the job's auditor")
    committed: bool
    digest: str | None
    result_cid: str | None = Field(description="sha256 digest inside the output's store manifest CID")
    locked_block: int


class SettlementOut(Strict):
    account: str
    kind: Literal["paid", "slashed", "refunded", "claim", "juror"]
    amount: str = Field(description="AGR")
    reason: str | None = Field(description="why a worker was slashed, in words")
    block: int
    tx_hash: str


class EventOut(Strict):
    event: str
    block: int
    log_index: int
    tx_hash: str
    contract: str
    args: dict[str, Any]
    says: str = Field(description="the event in words")


class JobOut(Strict):
    job_id: str
    status: Status | IntakeStatus = Field(
        description="on chain as indexed; `accepted`: acknowledged, not yet posted; `failed`: the market refused it"
    )
    requester: str
    program_id: str
    input_digest: str
    mode: Literal["redundant", "zk"]
    redundancy: int
    quorum: int
    min_price: str = Field(description="AGR")
    max_price: str = Field(description="AGR")
    collateral: str = Field(description="AGR")
    escrow: str = Field(description="AGR moved out of the requester's deposit at posting")
    regions: list[str] = Field(description="allowed jurisdictions; empty: anywhere")
    fuel_limit: int
    lock_deadline: int
    commit_deadline: int
    reveal_deadline: int
    result_digest: str | None
    posted_block: int | None
    posted_tx: str | None
    updated_block: int | None


class JobDetail(JobOut):
    slots: list[SlotOut]
    settlements: list[SettlementOut]
    timeline: list[EventOut]
    relay_error: dict[str, Any] | None = Field(
        default=None, description="why the market refused to post it (the contract error and its arguments)"
    )
    nonce: str | None = Field(
        default=None, description="the request's nonce (decimal), when it was submitted here: what `cancelNonce` burns"
    )


class JobPage(Strict):
    items: list[JobOut]
    next: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class SettlementItem(SettlementOut):
    job_id: str


class SettlementPage(Strict):
    items: list[SettlementItem]
    next: str | None


class WorkerOut(Strict):
    address: str
    name: str | None = Field(description="its reverse name, when it set one")
    stake_free: str | None = Field(description="AGR")
    stake_locked: str | None = Field(description="AGR held as collateral")
    stake_unbonding: str | None = Field(description="AGR")
    jobs: int = Field(description="slots it took")
    paid_jobs: int
    earned: str = Field(description="AGR paid for results")
    slashes: list[SettlementItem]
    reputation: float | None = Field(
        description="paid jobs ÷ (paid jobs + slashes); null before its first outcome (docs/api.md)"
    )


class Contracts(Strict):
    chain_id: int
    deployment_block: int
    contracts: dict[str, str]


class Health(Strict):
    ok: bool
    database: bool
    chain_head: int | None
    indexed_block: int | None
    lag_blocks: int | None
    chain_time: int | None = Field(description="the chain's time (`ledger.ChainClock`): what deadlines count in")


def _regions(mask: int) -> list[str]:
    return list(regions_in(mask)) if mask else []


def _safe(value: Any) -> Any:
    """JSON a browser reads exactly: integers beyond 2^53 as decimal strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


def _job(row: JobRow) -> dict[str, Any]:
    return {
        "job_id": row.job_id,
        "status": row.status,
        "requester": row.requester,
        "program_id": row.program_id,
        "input_digest": row.input_digest,
        "mode": row.mode,
        "redundancy": row.redundancy,
        "quorum": row.quorum,
        "min_price": agr(row.min_price),
        "max_price": agr(row.max_price),
        "collateral": agr(row.collateral),
        "escrow": agr(row.escrow),
        "regions": _regions(row.regions),
        "fuel_limit": int(row.fuel_limit),
        "lock_deadline": row.lock_deadline,
        "commit_deadline": row.commit_deadline,
        "reveal_deadline": row.reveal_deadline,
        "result_digest": row.result_digest,
        "posted_block": row.posted_block,
        "posted_tx": row.posted_tx,
        "updated_block": row.updated_block,
    }


def says(row: EventRow) -> str:
    """One event in words."""
    d, name = row.data, row.name
    short = {"JobPosted": "posted", "JobEscalated": "sent to the court", "JobExpired": "expired"}
    if name in short:
        return short[name]
    if name == "JobLocked":
        return f"slot {d['slot']} taken by {d['worker']} at {agr(d['price'])} AGR"
    if name == "SlotReleased":
        moved = f"; slot {d['moved_from']} moved into it" if d["moved_from"] != d["slot"] else ""
        return f"slot {d['slot']} given back by {d['worker']}, without fault{moved}"
    if name == "ResultCommitted":
        return f"slot {d['slot']} committed"
    if name == "ResultRevealed":
        return f"slot {d['slot']} revealed {d['digest']}"
    if name == "JobProvisional":
        return f"provisional: {d['agreeing']} slots agree on {d['digest']}, final after {format_time(d['final_after'])}"
    if name == "JobSettled":
        return f"settled on {d['winning_digest']} ({d['agreeing']} slots)"
    if name == "JobUnresolved":
        return f"unresolved: the largest group of equal digests had {d['largest_group']} of {d['quorum']} needed"
    if name == "JobVoid":
        return f"void: {d['revealed']} revealers paid their price, nobody slashed"
    if name == "WorkerPaid":
        return f"{d['worker']} paid {agr(d['amount'])} AGR"
    if name == "WorkerSlashed":
        return f"{d['worker']} slashed {agr(d['amount'])} AGR: {SlashReason(d['reason']).describe()}"
    if name == "Refunded":
        return f"{d['requester']} refunded {agr(d['amount'])} AGR"
    if name == "AuditorDrawn":
        return f"{d['auditor']} drawn as the auditor"
    if name == "AuditSkipped":
        return "audit: nobody eligible was drawn" if d["sampled"] else "audit: not sampled"
    if name == "JurorDrawn":
        return f"{d['juror']} drawn as a juror for round {d['round']} ({d['seats']} seats)"
    if name == "CaseDecided":
        return f"the court decided {d['digest']}"
    if name == "ClaimPaid":
        return f"{d['account']} paid {agr(d['amount'])} AGR from the court"
    if name == "JurorPaid":
        return f"juror {d['juror']} paid {agr(d['amount'])} AGR"
    return name


def _from_intake(row: IntakeRow) -> dict[str, Any]:
    """A job acknowledged here and not indexed yet: its terms from the signed request."""
    r = RequestIn.model_validate(row.request).to_request()
    return {
        "job_id": row.job_id,
        "status": row.status,
        "requester": r.requester,
        "program_id": "0x" + r.program_id.hex(),
        "input_digest": "0x" + r.input_digest.hex(),
        "mode": r.mode.name.lower(),
        "redundancy": r.redundancy,
        "quorum": r.quorum,
        "min_price": agr(r.min_price),
        "max_price": agr(r.max_price),
        "collateral": agr(r.collateral),
        "escrow": agr(row.escrow),
        "regions": _regions(r.regions),
        "fuel_limit": r.fuel_limit,
        "lock_deadline": r.lock_deadline,
        "commit_deadline": r.commit_deadline,
        "reveal_deadline": r.reveal_deadline,
        "result_digest": None,
        "posted_block": None,
        "posted_tx": row.tx_hash,
        "updated_block": None,
        "slots": [],
        "settlements": [],
        "timeline": [],
        "relay_error": row.error,
        "nonce": str(r.nonce),
    }


class RateLimit:
    """A token bucket per key: ``burst`` at once, ``rate`` a second after that."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 and a token taken, or the seconds until one is free."""
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 100_000:  # forget the idle, so many keys cannot grow it without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1, now)
            return 0.0


def _encode_cursor(block: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{block}:{key}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        block, key = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if not (re.fullmatch(r"0x[0-9a-f]{64}", key) or re.fullmatch(r"[0-9]{1,9}", key)):
            raise ValueError(key)
        return int(block), key
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Problem(400, "bad-cursor", "the cursor is not one this API gave out") from exc


def _event(e: EventRow) -> dict[str, Any]:
    return {
        "event": e.name,
        "block": e.block,
        "log_index": e.log_index,
        "tx_hash": e.tx_hash,
        "contract": e.contract,
        "args": _safe(e.data),
        "says": says(e),
    }


def _settlement(m: SettlementRow) -> dict[str, Any]:
    return {
        "job_id": m.job_id,
        "account": m.account,
        "kind": m.kind,
        "amount": agr(m.amount),
        "reason": m.reason,
        "block": m.block,
        "tx_hash": m.tx_hash,
    }


def _event_id(block: int, log_index: int) -> str:
    return f"{block}-{log_index}"


def _after(last_event_id: str | None) -> tuple[int, int]:
    if not last_event_id:
        return (-1, -1)
    try:
        block, index = last_event_id.split("-")
        return int(block), int(index)
    except ValueError as exc:
        raise Problem(400, "bad-event-id", "Last-Event-ID is not an id this stream gave out") from exc


def _address(value: str) -> str:
    return Web3.to_checksum_address(value)


def _mount_dashboard(app: FastAPI, directory: str | os.PathLike[str], chain_url: str | None) -> None:
    """The dashboard's static files at `/ui/` (`/` leads there) and what it learns at start:
    `/ui/config.json`, the chain's JSON-RPC URL it re-checks settlements against (docs/dashboard.md)."""

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    @app.get("/ui/config.json", include_in_schema=False)
    def dashboard_config() -> dict[str, Any]:
        return {"chain_url": chain_url}

    app.mount("/ui", StaticFiles(directory=directory, html=True), name="ui")


def create_app(
    engine: Engine,
    *,
    w3: Web3 | None = None,
    deployment: Deployment | None = None,
    indexer: Indexer | None = None,
    intake: Intake | None = None,
    store: StoreClient | None = None,
    per_ip: RateLimit | None = None,
    per_requester: RateLimit | None = None,
    api_id: bytes | None = None,
    blob_quota: int = DEFAULT_QUOTA,
    max_blob: int = DEFAULT_MAX_BLOB,
    upload_idle: float = UPLOAD_IDLE,
    dashboard: str | os.PathLike[str] | None = None,
    chain_url: str | None = None,
) -> FastAPI:
    """The API over the database behind ``engine`` (already migrated); with ``w3`` and
    ``deployment``, `/v1/contracts` and the chain's head in `/healthz`; with ``intake``,
    `POST /v1/jobs` (rate-limited per client address and per requester); with ``store``, reads of
    blobs and results, and with ``api_id`` too (what uploads sign), `POST /v1/blobs`; with
    ``dashboard`` (a directory: `frontend.STATIC`), the dashboard at `/ui/`, which re-checks
    settlements against the chain at ``chain_url`` (JSON-RPC, as a browser reaches it)."""
    ip_limit = per_ip or RateLimit(rate=20, burst=40)
    requester_limit = per_requester or RateLimit(rate=10, burst=20)
    app = FastAPI(
        title="Agora",
        version="1",
        summary="An open marketplace for verifiable compute: jobs, their timelines and settlements.",
        # Every route may answer these, each as a problem (RFC 9457).
        responses=problems.documented(400, 404, 405, 413, 422, 429, 500, 503),
    )
    problems.install(app)
    market = JobMarket(w3, deployment) if w3 is not None and deployment is not None else None
    clock = ChainClock(w3) if w3 is not None else None
    app.include_router(
        blob_routes(
            engine,
            store,
            api_id=api_id,
            quota=blob_quota,
            max_size=max_blob,
            may_upload=deposit_required(market.balance_of) if market is not None else None,
            limit=ip_limit.wait,
            upload_idle=upload_idle,
        )
    )
    metrics = RequestMetrics()
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.include_router(
        insight_routes(
            engine, w3=w3, deployment=deployment, indexer=indexer, store=store, metrics=metrics, limit=ip_limit.wait
        )
    )

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> dict[str, Any]:
        """Whether the database answers, how far the chain and the index are."""
        database = True
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure of the database is "not ok"
            database = False
        head = int(w3.eth.block_number) if w3 is not None else None
        indexed = indexer.cursor if indexer is not None and database else None
        lag = head - indexed if head is not None and indexed is not None else None
        return {
            "ok": database,
            "database": database,
            "chain_head": head,
            "indexed_block": indexed,
            "lag_blocks": lag,
            "chain_time": clock.now() if clock is not None else None,
        }

    @app.get("/v1/contracts", response_model=Contracts, tags=["chain"])
    def contracts() -> dict[str, Any]:
        """The chain and the market's contracts: chain id, addresses, deployment block."""
        if deployment is None:
            raise Problem(503, "no-deployment", "this API runs without a chain deployment")
        return {
            "chain_id": deployment.chain_id,
            "deployment_block": deployment.block,
            "contracts": {name: deployment.address(name) for name in sorted(deployment.contracts)},
        }

    @app.get("/v1/jobs", response_model=JobPage, tags=["jobs"])
    def list_jobs(
        status: Annotated[Status | None, Query(description="Only jobs in this status.")] = None,
        requester: Annotated[str | None, Query(pattern=ADDRESS, description="Only this requester's jobs.")] = None,
        worker: Annotated[
            str | None, Query(pattern=ADDRESS, description="Only jobs this worker took a slot of.")
        ] = None,
        program: Annotated[str | None, Query(pattern=HEX32, description="Only jobs of this program id.")] = None,
        region: Annotated[str | None, Query(description="Only jobs allowed in this region (e.g. eu).")] = None,
        cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page.")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> dict[str, Any]:
        """Jobs, newest first, filtered; one page at a time."""
        query = select(JobRow)
        if status is not None:
            query = query.where(JobRow.status == status)
        if requester is not None:
            query = query.where(JobRow.requester == _address(requester))
        if program is not None:
            query = query.where(JobRow.program_id == program.lower())
        if worker is not None:
            held = select(SlotRow.job_id).where(SlotRow.worker == _address(worker))
            query = query.where(JobRow.job_id.in_(held))
        if region is not None:
            try:
                bit = 1 << region_index(region)
            except ValueError as exc:
                raise Problem(422, "unknown-region", f"no region {region!r}; known: {', '.join(REGIONS)}") from exc
            query = query.where(or_(JobRow.regions == 0, JobRow.regions.op("&")(bit) != 0))
        if cursor is not None:
            block, job_id = _decode_cursor(cursor)
            query = query.where(
                or_(JobRow.posted_block < block, and_(JobRow.posted_block == block, JobRow.job_id < job_id))
            )
        query = query.order_by(JobRow.posted_block.desc(), JobRow.job_id.desc()).limit(limit + 1)
        with Session(engine) as s:
            found = list(s.scalars(query))
        more = len(found) > limit
        found = found[:limit]
        nxt = _encode_cursor(found[-1].posted_block, found[-1].job_id) if more else None
        return {"items": [_job(r) for r in found], "next": nxt}

    @app.get("/v1/jobs/{job_id}", response_model=JobDetail, tags=["jobs"])
    def get_job(job_id: Annotated[str, Path(pattern=HEX32, description="The job's id (its request's hash).")]) -> Any:
        """A job with its slots, the money it moved and its whole timeline, each step with its
        transaction and block."""
        key = job_id.lower()
        with Session(engine) as s:
            row = s.get(JobRow, key)
            if row is None:
                taken = s.scalar(select(IntakeRow).where(IntakeRow.job_id == key))
                if taken is None:
                    raise Problem(404, "job-not-found", f"no job {key} has been indexed or submitted here")
                return _from_intake(taken)
            slots = s.scalars(select(SlotRow).where(SlotRow.job_id == key).order_by(SlotRow.slot))
            money = s.scalars(
                select(SettlementRow)
                .where(SettlementRow.job_id == key)
                .order_by(SettlementRow.block, SettlementRow.log_index)
            )
            events = s.scalars(
                select(EventRow).where(EventRow.job_id == key).order_by(EventRow.block, EventRow.log_index)
            )
            return {
                **_job(row),
                "slots": [
                    {
                        "slot": x.slot,
                        "worker": x.worker,
                        "price": agr(x.price),
                        "auditor": x.auditor,
                        "committed": x.committed,
                        "digest": x.digest,
                        "result_cid": x.result_cid,
                        "locked_block": x.locked_block,
                    }
                    for x in slots
                ],
                "settlements": [{k: v for k, v in _settlement(m).items() if k != "job_id"} for m in money],
                "timeline": [_event(e) for e in events],
                "nonce": s.scalar(select(IntakeRow.nonce).where(IntakeRow.job_id == key)),
            }

    @app.post(
        "/v1/jobs",
        status_code=202,
        response_model=Accepted,
        tags=["jobs"],
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": SubmitIn.model_json_schema()}}}
        },
        responses={200: {"description": "already on chain", "model": Accepted}, **problems.documented(402, 409)},
    )
    async def submit(request: Request) -> JSONResponse:
        """Submit a signed `JobRequest`: checked (signature, nonce, deadlines and windows, the program
        and input in the store, the deposit), written durably, then answered `202` with the job id;
        the API's relayer posts it. The same request again answers with the same job."""
        if intake is None:
            raise Problem(503, "no-relayer", "this API takes no requests (it runs without a relayer)")
        client = request.client.host if request.client else "?"
        if (wait := ip_limit.wait(client)) > 0:
            raise Problem(429, "rate-limited", f"too many requests from {client}", retry_after=round(wait, 3))
        data = await json_body(request, MAX_BODY)
        try:
            parsed = SubmitIn.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        requester = parsed.request.requester.lower()
        if (wait := requester_limit.wait(requester)) > 0:
            raise Problem(429, "rate-limited", f"too many requests for {requester}", retry_after=round(wait, 3))
        status, accepted = await run_in_threadpool(intake.submit, parsed)
        return JSONResponse(accepted.model_dump(), status_code=status)

    async def _indexed_since(seen: int) -> None:
        """Returns once the indexer stored events after ``seen`` (its generation: the indexing
        thread wakes this stream), or after STREAM_POLL."""
        if indexer is None:
            await asyncio.sleep(STREAM_POLL)
            return
        loop, moved = asyncio.get_running_loop(), asyncio.Event()

        def wake() -> None:  # in the indexing thread
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(moved.set)

        stop = indexer.listen(wake)
        try:
            if indexer.generation == seen:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STREAM_POLL):
                        await moved.wait()
        finally:
            stop()

    def _new_events(key: str, after: tuple[int, int]) -> tuple[list[EventRow], str | None]:
        with Session(engine) as s:
            status = s.scalar(select(JobRow.status).where(JobRow.job_id == key))
            found = list(
                s.scalars(
                    select(EventRow)
                    .where(EventRow.job_id == key)
                    .where(
                        or_(EventRow.block > after[0], and_(EventRow.block == after[0], EventRow.log_index > after[1]))
                    )
                    .order_by(EventRow.block, EventRow.log_index)
                    .limit(500)
                )
            )
            s.expunge_all()
            return found, status

    def _stream_start(
        job_id: Annotated[str, Path(pattern=HEX32)],
        last_event_id: Annotated[str | None, Header(max_length=40, description="resume after this event")] = None,
    ) -> StreamStart:
        """Checked before the stream starts, so a bad request is still answered as a problem."""
        key, after = job_id.lower(), _after(last_event_id)
        seen = indexer.generation if indexer is not None else 0  # read first: what is indexed after wakes it
        found, status = _new_events(key, after)
        if status is None:
            raise Problem(404, "job-not-found", f"no job {key} has been indexed")
        return key, after, found, status, seen

    @app.get(
        "/v1/jobs/{job_id}/events",
        response_class=EventSourceResponse,
        tags=["jobs"],
        responses={
            200: {
                "description": "server-sent events: each of the job's events as it is indexed",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
    )
    async def job_events(
        start: StreamStart = Depends(_stream_start),  # noqa: B008 - a closure: Annotated cannot name it
    ) -> AsyncIterator[ServerSentEvent]:
        """The job's events as server-sent events (`id` block-position, `event` its name, `data` as
        in the timeline), from the first or after `Last-Event-ID`, as they are indexed; the stream
        ends once the job is final (or after ten minutes: reconnect with `Last-Event-ID`)."""
        key, after, found, status, seen = start
        started = time.monotonic()
        current: str | None = status
        while True:
            for e in found:
                after = (e.block, e.log_index)
                yield ServerSentEvent(data=_event(e), event=e.name, id=_event_id(e.block, e.log_index))
            if (current in FINAL and not found) or time.monotonic() - started > STREAM_LIMIT:
                return
            if not found:
                await _indexed_since(seen)
            seen = indexer.generation if indexer is not None else 0
            found, current = await run_in_threadpool(_new_events, key, after)

    @app.get("/v1/settlements", response_model=SettlementPage, tags=["settlements"])
    def settlements(
        account: Annotated[str | None, Query(pattern=ADDRESS, description="Only this account's.")] = None,
        kind: Annotated[
            Literal["paid", "slashed", "refunded", "claim", "juror"] | None, Query(description="Only this kind.")
        ] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> dict[str, Any]:
        """Every payment, refund and slash, newest first, each with its transaction."""
        query = select(SettlementRow)
        if account is not None:
            query = query.where(SettlementRow.account == _address(account))
        if kind is not None:
            query = query.where(SettlementRow.kind == kind)
        if cursor is not None:
            block, index = _decode_cursor(cursor)
            query = query.where(
                or_(
                    SettlementRow.block < block,
                    and_(SettlementRow.block == block, SettlementRow.log_index < int(index)),
                )
            )
        query = query.order_by(SettlementRow.block.desc(), SettlementRow.log_index.desc()).limit(limit + 1)
        with Session(engine) as s:
            found = list(s.scalars(query))
            more = len(found) > limit
            found = found[:limit]
            nxt = _encode_cursor(found[-1].block, str(found[-1].log_index)) if more else None
            return {"items": [_settlement(m) for m in found], "next": nxt}

    @app.get("/v1/workers/{worker}", response_model=WorkerOut, tags=["workers"])
    def get_worker(
        worker: Annotated[str, Path(max_length=300, description="An address, or a name (alice or alice.agora).")],
    ) -> dict[str, Any]:
        """A worker's stake, jobs, earnings and slashes (with reasons), and its reputation."""
        address = _resolve(worker)
        with Session(engine) as s:
            jobs = s.scalar(select(func.count()).select_from(SlotRow).where(SlotRow.worker == address)) or 0
            paid = list(
                s.scalars(select(SettlementRow).where(SettlementRow.account == address, SettlementRow.kind == "paid"))
            )
            slashes = list(
                s.scalars(
                    select(SettlementRow)
                    .where(SettlementRow.account == address, SettlementRow.kind == "slashed")
                    .order_by(SettlementRow.block.desc(), SettlementRow.log_index.desc())
                )
            )
            stake = (
                StakeManager(w3, deployment).stake_of(address) if w3 is not None and deployment is not None else None
            )
            name = Names(w3, deployment).reverse(address) if w3 is not None and deployment is not None else None
            outcomes = len(paid) + len(slashes)
            return {
                "address": address,
                "name": name,
                "stake_free": agr(stake[0]) if stake else None,
                "stake_locked": agr(stake[1]) if stake else None,
                "stake_unbonding": agr(stake[2]) if stake else None,
                "jobs": jobs,
                "paid_jobs": len(paid),
                "earned": agr(sum(int(m.amount) for m in paid)),
                "slashes": [_settlement(m) for m in slashes],
                "reputation": round(len(paid) / outcomes, 4) if outcomes else None,
            }

    def _resolve(who: str) -> str:
        if who.startswith("0x") and len(who) == 42:
            try:
                return _address(who)
            except ValueError as exc:
                raise Problem(422, "invalid-address", f"{who!r} is not an address") from exc
        if w3 is None or deployment is None:
            raise Problem(422, "invalid-address", "names need the chain: give an address")
        try:
            address = Names(w3, deployment).resolve(who)
        except Exception as exc:  # noqa: BLE001 - a name with no address record, or not a name at all
            raise Problem(404, "name-not-found", f"{who!r} resolves to no address: {exc}") from exc
        return _address(address)

    if dashboard is not None:
        _mount_dashboard(app, dashboard, chain_url)
    return app
