"""Requests generated from the API's own OpenAPI document (schemathesis, valid and invalid ones):
no answer is a server error, and every answer matches what the document says of it (status,
content type, body schema). Every operation, up to 70 valid and 70 invalid requests each: at least 1,000 requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ledger import EmbeddedChain, JobMarket, Transactor, connect, deploy, dev_account
from marketplace.api import RateLimit, create_app
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer
from marketplace.intake import Intake
from store import StoreClient

from .market_helpers import fund_actors, make_request, post
from .store_cluster import WRITER, start_cluster, stop_all


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreClient]:
    nodes = start_cluster(tmp_path_factory.mktemp("store"), ["eu", "eu", "eu"], writers=WRITER.address)
    try:
        with StoreClient([n.url for n in nodes], k=2, m=1) as client:
            yield client
    finally:
        stop_all(nodes)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, store: StoreClient) -> Any:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("home"), audit_bps=0)
    actors = fund_actors(w3, deployment, workers=1)
    job = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[0].lock(job)
    actors.workers[0].reveal(job, 0, b"\x11" * 32, b"\x22" * 32, b"\x33" * 32)
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'api.sqlite'}")
    migrate(engine)
    indexer = Indexer(w3, deployment, engine)
    indexer.catch_up()
    market = JobMarket(w3, deployment, Transactor(w3, dev_account(9)))
    intake = Intake(engine, market, dev_account(9).address, None)
    unlimited = RateLimit(rate=1e9, burst=10**9)
    app = create_app(
        engine,
        w3=w3,
        deployment=deployment,
        indexer=indexer,
        intake=intake,
        store=store,
        per_ip=unlimited,
        per_requester=unlimited,
        api_id=bytes(32),
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_error_and_every_answer_matches_the_document(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {"POST /v1/jobs", "GET /v1/jobs/{job_id}", "POST /v1/blobs", "GET /v1/blobs/{cid}"} <= {
        o.label for o in operations
    }
    sent: list[int] = []
    for operation in operations:
        has_input = bool(operation.path_parameters or operation.query or operation.body)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_input else (GenerationMode.POSITIVE,):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=70, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
            def check(case: Any) -> None:
                # A request valid by the schema is still refused when it is not signed by its
                # requester, or names a job that does not exist: not this API's promise to accept.
                response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
                sent.append(response.status_code)

            check()
    assert len(sent) >= 1_000, len(sent)
    assert not [status for status in sent if status >= 500]
