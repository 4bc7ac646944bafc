"""An API over a served chain, with its own contracts, store nodes and SQLite index, in this
process; its relayer is stepped by the test (so requests wait until the test posts them). A module
yields it from a fixture ``market``, which conftest's ``agora`` (the CLI run in-process) uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from ledger import JobMarket, Transactor, connect, deploy, dev_account
from marketplace.api import create_app
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer
from marketplace.intake import Intake, Relayer
from store import StoreClient

from ..conftest import free_port
from .store_cluster import start_cluster, stop_all

RELAYER = 9


@contextmanager
def api_market(served_chain: str, home: Path, store_root: Path, *, writers: str) -> Iterator[dict[str, Any]]:
    """Yields the API's ``url``, the ``home`` its contracts are recorded in, the chain (``rpc``,
    ``w3``, ``deployment``), the store (``nodes``, ``store``), and the ``relayer``, ``indexer``
    and relayer's ``market`` the test steps."""
    w3 = connect(served_chain)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
    nodes = start_cluster(store_root, ["eu", "eu", "eu"], writers=writers)
    engine = make_engine(f"sqlite:///{home / 'api.sqlite'}")
    migrate(engine)
    store = StoreClient([n.url for n in nodes], k=2, m=1, signer=dev_account(RELAYER))
    relayer_market = JobMarket(w3, deployment, Transactor(w3, dev_account(RELAYER)))
    indexer = Indexer(w3, deployment, engine)
    api = create_app(
        engine,
        w3=w3,
        deployment=deployment,
        indexer=indexer,
        intake=Intake(engine, relayer_market, dev_account(RELAYER).address, store),
        store=store,
        api_id=bytes(range(32)),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield {
            "url": f"http://127.0.0.1:{port}",
            "home": home,
            "rpc": served_chain,
            "w3": w3,
            "deployment": deployment,
            "nodes": [n.url for n in nodes],
            "store": store,
            "relayer": Relayer(engine, relayer_market),
            "indexer": indexer,
            "market": relayer_market,
        }
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
        engine.dispose()
        stop_all(nodes)


def job_id_in(said: str) -> str:
    """The first job id (0x and 64 hex digits) in what a command said."""
    return next(w for w in said.split() if w.startswith("0x") and len(w) == 66)
