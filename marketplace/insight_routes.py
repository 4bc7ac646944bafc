"""The market's insight endpoints: quotes (`POST /v1/jobs/quote`), explanations
(`GET /v1/jobs/{id}/explain`), the registered workers (`GET /v1/workers`), names
(`GET /v1/names/{name}`), programs (`GET /v1/programs`) and `GET /metrics`. `insight_routes`
makes the router that `create_app` includes (docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from web3 import Web3

from ledger import ChainClock, Deployment, JobMarket
from store import StoreClient

from .directory import Directory
from .explain import Explainer
from .indexer import Indexer
from .insight_models import (
    HEX32,
    ExplainOut,
    NameOut,
    ProgramPage,
    QuoteIn,
    QuoteOut,
    WorkerPage,
)
from .listings import name_record, program_page, worker_page
from .metrics import CONTENT_TYPE, RequestMetrics
from .models import IntakeRow
from .problems import Problem, json_body
from .quote import quote

MAX_QUOTE_BODY = 16 * 1024
"""Bytes a quote's body may have."""
MAX_PAGE = 200
NAME = r"^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63}){0,4}$"


def insight_routes(
    engine: Engine,
    *,
    w3: Web3 | None,
    deployment: Deployment | None,
    indexer: Indexer | None,
    store: StoreClient | None,
    metrics: RequestMetrics,
    limit: Callable[[str], float] | None = None,
    directory: Directory | None = None,
) -> APIRouter:
    """The routes over the index in ``engine``; quotes, explanations, workers and names need the
    chain (`503 no-chain` without it). ``limit(client)`` is 0 or the seconds a client must wait
    (`429`) before its next quote or explanation."""
    router = APIRouter()

    def limited(request: Request) -> None:
        client = request.client.host if request.client else "?"
        if limit is not None and (wait := limit(client)) > 0:
            raise Problem(429, "rate-limited", f"too many requests from {client}", retry_after=round(wait, 3))

    if directory is None and w3 is not None and deployment is not None:
        directory = Directory(engine, w3, deployment)
    market = JobMarket(w3, deployment) if w3 is not None and deployment is not None else None
    clock = ChainClock(w3) if w3 is not None else None

    def chain() -> tuple[Directory, JobMarket, ChainClock]:
        if directory is None or market is None or clock is None:
            raise Problem(503, "no-chain", "this API runs without a chain: it cannot read workers or auctions")
        return directory, market, clock

    @router.post(
        "/v1/jobs/quote",
        response_model=QuoteOut,
        tags=["jobs"],
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": QuoteIn.model_json_schema()}}}
        },
    )
    async def quote_job(request: Request) -> Any:
        """A dry run before posting: how many registered workers would take these terms, why the
        others would not (price, region, fuel, size, capacity, stake), when the ask reaches
        enough of them, and recent clearing prices of the same program. Nothing is sent."""
        limited(request)
        data = await json_body(request, MAX_QUOTE_BODY)
        try:
            body = QuoteIn.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        workers, _market, chain_clock = chain()
        return await run_in_threadpool(quote, body, engine=engine, directory=workers, clock=chain_clock, store=store)

    @router.get("/v1/jobs/{job_id}/explain", response_model=ExplainOut, tags=["jobs"])
    def explain_job(request: Request, job_id: Annotated[str, Path(pattern=HEX32, description="The job's id.")]) -> Any:
        """Why a job is where it is, in words: why it has no lock yet, what it waits for, why a
        worker was slashed, what happens next and when; with the figures behind it."""
        limited(request)
        workers, job_market, chain_clock = chain()
        key = job_id.lower()
        status, out = Explainer(engine, workers, job_market, chain_clock).explain(key)
        return {
            "job_id": key,
            "status": status,
            "summary": out.summary,
            "reasons": out.reasons,
            "next": out.next,
            "next_at": out.next_at,
            "figures": out.figures,
            "slashes": out.slashes,
        }

    @router.get("/v1/workers", response_model=WorkerPage, tags=["workers"])
    def workers(
        cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page.")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> Any:
        """Every account that staked, newest first: its name, stake, published terms, jobs and
        reputation."""
        return worker_page(chain()[0], cursor=cursor, limit=limit)

    @router.get("/v1/names/{name}", response_model=NameOut, tags=["names"])
    def name(
        name: Annotated[str, Path(max_length=255, pattern=NAME, description="alice, alice.agora, x.programs.agora")],
    ) -> Any:
        """A name's owner, address record, well-known text records and contenthash."""
        chain()
        assert w3 is not None and deployment is not None
        return name_record(w3, deployment, name)

    @router.get("/v1/programs", response_model=ProgramPage, tags=["programs"])
    def programs(
        cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page.")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> Any:
        """Programs of indexed jobs, most recently used first: how many jobs, the latest clearing price."""
        return program_page(engine, cursor=cursor, limit=limit)

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        tags=["operations"],
        responses={
            200: {"description": "Prometheus text format", "content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}
        },
    )
    def prometheus() -> PlainTextResponse:
        """Requests and latencies by route and status, the relay backlog and the indexer's lag."""
        with Session(engine) as s:
            backlog = s.scalar(select(func.count()).select_from(IntakeRow).where(IntakeRow.status == "accepted"))
        head = int(w3.eth.block_number) if w3 is not None else None
        indexed = indexer.cursor if indexer is not None else None
        gauges = [
            ("agora_relay_backlog", "Signed requests acknowledged and not yet posted.", float(backlog or 0)),
            ("agora_chain_head_block", "The chain's latest block.", head),
            ("agora_indexed_block", "The last block the index has every event of.", indexed),
            (
                "agora_indexer_lag_blocks",
                "Blocks the index is behind the chain.",
                head - indexed if head is not None and indexed is not None else None,
            ),
        ]
        return PlainTextResponse(metrics.render(gauges), media_type=CONTENT_TYPE)

    return router
