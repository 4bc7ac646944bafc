"""The dashboard in a real browser: Playwright driving Debian's chromium over a small live market
(a served chain, three store nodes, the API with its relayer and indexer, and three named workers
driven from here, so a job settles in seconds without Ray).

One browser session walks what a requester and an auditor do: the job list shows the jobs; a
settled job's timeline names each event with its transaction, and its result comes with how the
run ended; an open job says why it waits; the settlements page re-checks every settlement against
the chain over JSON-RPC and confirms it, and marks the one the test doctors in the API's answer as
disagreeing; a job submitted from the form (signed by a development account in the browser) gets
an id and shows up in the list. `demo_market` is also what `make screenshots` (tools/screenshots.py)
photographs.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from web3 import Web3

import frontend
from compute import RunRecord, run
from ledger import (
    REGIONS,
    JobMarket,
    Names,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    artifact,
    connect,
    deploy,
    dev_account,
    run_until,
)
from marketplace.api import create_app
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer
from marketplace.intake import Intake, Relayer
from store import StoreClient, digest_of

from ..conftest import ROOT, free_port, start_chain_server, stop
from ..integration.market_helpers import chain_now, make_request
from ..integration.store_cluster import start_cluster, stop_all

AGR = 10**18
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PROGRAM = ROOT / "examples" / "programs" / "build" / "wordcount.wasm"
INPUT = b"the quick brown fox jumps over the lazy dog\nthe end\n"
REQUESTER, RELAYER = 1, 9
WORKERS = {"alice": (2, "eu"), "bob": (3, "eu"), "carol": (4, "us")}
JS = frontend.STATIC / "js"
TX = re.compile(r"^0x[0-9a-f]{64}$")
log = logging.getLogger(__name__)


@dataclass
class Demo:
    """A live market with the dashboard at ``url``/ui/: one job settled (two paid, one slashed),
    one settled by the requester's accept, one open."""

    url: str
    rpc: str
    w3: Web3
    settled: str
    accepted: str
    waiting: str
    output: bytes
    workers: dict[str, JobMarket]


def _advance(w3: Web3, seconds: float) -> None:
    """Moves the chain's clock ``seconds`` ahead and mines a block."""
    w3.provider.make_request("evm_increaseTime", [math.ceil(seconds)])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _workers(w3: Web3, deployment: Any) -> dict[str, JobMarket]:
    """alice, bob and carol: staked, with .agora names pointing both ways and a published minimum price."""
    token = Token(w3, deployment, Transactor(w3, dev_account(0)))
    markets = {}
    for name, (index, region) in WORKERS.items():
        account = dev_account(index)
        transactor = Transactor(w3, account)
        token.faucet(account.address, 1_000 * AGR)
        StakeManager(w3, deployment, transactor).stake(1_000 * AGR, REGIONS.index(region))
        names = Names(w3, deployment, transactor)
        names.register(name, sleep=lambda s: _advance(w3, s))
        names.set_text(name, "agora.minPrice", "1")
        names.set_reverse(name)
        markets[name] = JobMarket(w3, deployment, transactor)
    return markets


def _jobs(w3: Web3, deployment: Any, store: StoreClient, workers: dict[str, JobMarket]) -> tuple[str, str, str, bytes]:
    """Three jobs of the wordcount program: k=3 settled with carol slashed for not revealing, k=1
    accepted by its requester, k=3 with nobody locked yet."""
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER)))
    wasm = PROGRAM.read_bytes()
    program, data = digest_of(store.put(wasm)), digest_of(store.put(INPUT))
    result = run(wasm, INPUT, fuel=10**9)
    record = RunRecord.of(result, store.put(result.output))
    record_cid = digest_of(store.put(record.to_bytes()))

    def post(**terms: Any) -> bytes:
        request = make_request(w3, program_id=program, input_digest=data, fuel_limit=10**9, **terms)
        signature = request.sign(dev_account(REQUESTER), chain_id=deployment.chain_id, market=requester.address)
        return requester.post_job(request, signature)

    alice, bob, carol = workers["alice"], workers["bob"], workers["carol"]
    settled = post(k=3, q=2)
    slots = []
    for market, later in ((alice, 40), (bob, 150), (carol, 0)):  # the ask rises between the locks
        slots.append(market.lock(settled)[0])
        if later:
            _advance(w3, later)
    salt = os.urandom(32)
    for market, slot in ((alice, slots[0]), (bob, slots[1])):
        market.commit(settled, slot, record.digest, salt)
    job = requester.job(settled)
    _advance(w3, job.commit_deadline - chain_now(w3) + 1)  # carol never commits
    for market, slot in ((alice, slots[0]), (bob, slots[1])):
        market.reveal(settled, slot, record.digest, salt, record_cid)
    _advance(w3, job.reveal_deadline - chain_now(w3) + 1)
    alice.settle(settled)
    _advance(w3, requester.final_after(settled) - chain_now(w3) + 1)
    alice.finalize(settled)

    accepted = post(k=1, q=1, min_price=2 * AGR, max_price=4 * AGR, ramp=0)
    slot, _ = bob.lock(accepted)
    bob.reveal(accepted, slot, record.digest, salt, record_cid)
    requester.accept(accepted)

    waiting = post(k=3, q=2, min_price=AGR // 2, max_price=3 * AGR)
    return "0x" + settled.hex(), "0x" + accepted.hex(), "0x" + waiting.hex(), result.output


@contextmanager
def demo_market(home: Path) -> Iterator[Demo]:
    """A served chain, three store nodes and the API (relaying and indexing as it goes) over a few
    jobs, with the dashboard mounted; everything stopped on exit."""
    port = free_port()
    chain = start_chain_server(home / "chain", port)
    rpc = f"http://127.0.0.1:{port}"
    nodes = start_cluster(home / "store", ["eu", "eu", "us"], writers=dev_account(RELAYER).address)
    stop_loops = threading.Event()
    server: uvicorn.Server | None = None
    threads: list[threading.Thread] = []
    store = StoreClient([n.url for n in nodes], k=2, m=1, signer=dev_account(RELAYER))
    try:
        w3 = connect(rpc)
        deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(REQUESTER).address, 1_000 * AGR)
        JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER))).deposit(500 * AGR)
        workers = _workers(w3, deployment)
        settled, accepted, waiting, output = _jobs(w3, deployment, store, workers)
        engine = make_engine(f"sqlite:///{home / 'api.sqlite'}")
        migrate(engine)
        indexer = Indexer(w3, deployment, engine)
        indexer.catch_up()
        relaying = JobMarket(w3, deployment, Transactor(w3, dev_account(RELAYER)))
        relayer = Relayer(engine, relaying)
        for tick in (lambda: indexer.step() > 0, lambda: relayer.step() > 0):
            threads.append(
                threading.Thread(
                    target=run_until, args=(stop_loops, tick), kwargs={"interval": 0.2, "log": log}, daemon=True
                )
            )
        app = create_app(
            engine,
            w3=w3,
            deployment=deployment,
            indexer=indexer,
            intake=Intake(engine, relaying, dev_account(RELAYER).address, store),
            store=store,
            api_id=bytes(range(32)),
            dashboard=frontend.STATIC,
            chain_url=rpc,
        )
        api_port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning"))
        threads.append(threading.Thread(target=server.run, daemon=True))
        for thread in threads:
            thread.start()
        while not server.started:
            time.sleep(0.02)
        yield Demo(f"http://127.0.0.1:{api_port}", rpc, w3, settled, accepted, waiting, output, workers)
    finally:
        stop_loops.set()
        if server is not None:
            server.should_exit = True
        for thread in threads:
            thread.join(timeout=10)
        store.close()
        stop_all(nodes)
        stop(chain)


# -- the dashboard's own knowledge of the contracts ------------------------------------------


def _signature(entry: dict[str, Any]) -> str:
    def kind(i: dict[str, Any]) -> str:
        if i["type"].startswith("tuple"):
            inner = ", ".join(f"{kind(c)} {c['name']}" for c in i["components"])
            return f"tuple({inner}){i['type'][5:]}"
        return str(i["type"])

    args = ", ".join(f"{kind(i)}{' indexed' if i.get('indexed') else ''} {i['name']}" for i in entry["inputs"])
    return f"event {entry['name']}({args})"


def test_the_dashboard_decodes_events_and_regions_as_the_contracts_define_them() -> None:
    source = (JS / "abi.js").read_text()
    fragments = re.findall(r'"(event [^"]+)"', source)
    known = {
        _signature(e)
        for name in ("JobMarket", "Court", "StakeManager", "AgoraToken")
        for e in artifact(name)["abi"]
        if e["type"] == "event"
    }
    assert len(fragments) > 30 and set(fragments) <= known, set(fragments) - known
    regions = re.search(r"export const REGIONS = \[(.*?)\];", source, re.S)
    assert regions is not None and re.findall(r'"([a-z]+)"', regions.group(1)) == list(REGIONS)
    reasons = re.search(r"export const SLASH_REASONS = \[(.*?)\];", source)
    assert reasons is not None and re.findall(r'"([a-z ]+)"', reasons.group(1)) == [r.describe() for r in SlashReason]


# -- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make deps` installs Debian's chromium")
    if not (frontend.STATIC / "vendor" / "ethers.min.js").exists():
        pytest.fail("frontend/static/vendor/ethers.min.js is missing: run `make deps`")
    with demo_market(tmp_path_factory.mktemp("dashboard")) as market:
        yield market


def _doctored(route: Any) -> None:
    """The API's settlements with the first one's amount raised by one AGR."""
    answer = route.fetch()
    body = answer.json()
    first = body["items"][0]
    first["amount"] = str(int(first["amount"].split(".")[0]) + 1) + (
        "." + first["amount"].split(".")[1] if "." in first["amount"] else ""
    )
    route.fulfill(response=answer, body=json.dumps(body))


WALLET = """window.ethereum = { request: ({ method, params }) => window.agoraWallet(method, params || []) };"""
"""A browser wallet for the page: each EIP-1193 request goes to `_wallet`."""


def _wallet(method: str, params: list[Any], chain_id: int) -> Any:
    """What a wallet holding the requester's key answers, on chain ``chain_id``."""
    from eth_account import Account

    me = dev_account(REQUESTER)
    if method == "eth_requestAccounts":
        return [me.address]
    if method == "eth_chainId":
        return hex(chain_id)
    if method == "eth_signTypedData_v4":
        who, typed = params
        assert who.lower() == me.address.lower(), who
        return "0x" + Account.sign_typed_data(me.key, full_message=json.loads(typed)).signature.hex()
    raise ValueError(f"this wallet does not do {method}")


@pytest.mark.slow
def test_a_requester_and_an_auditor_use_the_dashboard(demo: Demo, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    api = demo.url
    settlements = requests.get(f"{api}/v1/settlements", timeout=10).json()["items"]
    assert {m["kind"] for m in settlements} == {"paid", "slashed", "refunded"}
    assert requests.get(api, allow_redirects=False, timeout=10).headers["location"] == "/ui/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # The job list shows every job with its status, kept live.
        page.goto(f"{api}/ui/#/jobs")
        expect(page.locator(f'tr[data-job="{demo.settled}"]')).to_have_attribute("data-status", "settled")
        expect(page.locator(f'tr[data-job="{demo.waiting}"]')).to_have_attribute("data-status", "open")
        expect(page.locator(".chart svg")).to_have_count(2)

        # A settled job: its timeline names each event with its block and transaction, its result
        # comes with how the run ended and a download of the output.
        page.click(f'tr[data-job="{demo.settled}"] a[href="#/jobs/{demo.settled}"]')
        events = page.locator(".timeline li")
        expect(events.first).to_be_visible()
        names = events.evaluate_all("(items) => items.map((li) => li.dataset.event)")
        hashes = events.evaluate_all("(items) => items.map((li) => li.dataset.tx)")
        assert names[0] == "JobPosted" and names.count("JobLocked") == 3 and "JobSettled" in names, names
        assert {"WorkerPaid", "WorkerSlashed", "Refunded"} <= set(names) and all(TX.match(h) for h in hashes)
        expect(page.locator("[data-run]")).to_have_attribute("data-run", "ok")
        download = page.locator("a[download]").get_attribute("href")
        assert page.request.get(f"{api}{download}").body() == demo.output
        # ... and where it is stored: its run record and output, every shard checked on its node
        stored = page.locator(".blob-shards")
        expect(stored).to_have_count(2)
        assert stored.evaluate_all("(bs) => bs.map((b) => [b.dataset.blob, b.dataset.readable])") == [
            ["run record", "true"],
            ["output", "true"],
        ]
        shards = page.locator(".blob-shards .shard")
        expect(shards.first).to_be_visible()
        assert set(shards.evaluate_all("(ss) => ss.map((s) => s.dataset.ok)")) == {"true"}

        # An open job says why it waits, and follows what happens to it as it happens.
        page.goto(f"{api}/ui/#/jobs/{demo.waiting}")
        expect(page.locator(".summary")).to_contain_text("lock")
        demo.workers["alice"].lock(bytes.fromhex(demo.waiting[2:]))
        expect(page.locator('.timeline li[data-event="JobLocked"]')).to_have_count(1)

        # The audit log: every settlement re-checked against the chain in the browser.
        page.goto(f"{api}/ui/#/settlements")
        rows = page.locator("tr[data-check]")
        expect(rows).to_have_count(len(settlements))
        expect(page.locator("#check-summary")).to_have_class(re.compile(r"\bconfirmed\b"))
        assert rows.evaluate_all("(rs) => rs.map((r) => r.dataset.check)") == ["confirmed"] * len(settlements)

        # ... and an API that lies about an amount is caught.
        page.route("**/v1/settlements?*", _doctored)
        page.reload()
        expect(page.locator("#check-summary")).to_have_class(re.compile(r"\bdisagrees\b"))
        expect(page.locator('tr[data-check="disagrees"]')).to_have_count(1)
        expect(page.locator('tr[data-check="disagrees"]')).to_contain_text(
            f"the chain says {settlements[0]['amount']} AGR"
        )
        expect(page.locator('tr[data-check="confirmed"]')).to_have_count(len(settlements) - 1)
        page.unroute("**/v1/settlements?*")

        # A job submitted from the form, signed in the browser by a development account.
        page.goto(f"{api}/ui/#/submit")
        page.set_input_files("input[name=program]", str(PROGRAM))
        page.fill("textarea[name=inputText]", "one two three")
        page.fill("input[name=k]", "1")
        page.click("#submit-form button[type=submit]")
        submitted = page.locator("#submit-result [data-job]")
        expect(submitted).to_be_visible()
        job_id = submitted.get_attribute("data-job")
        assert job_id is not None and TX.match(job_id)
        page.goto(f"{api}/ui/#/jobs")
        expect(page.locator(f'tr[data-job="{job_id}"]')).to_have_attribute("data-status", "open")

        # ... and signed by a browser wallet where there is one (EIP-1193 `window.ethereum`): this
        # one holds the requester's key and signs with it whatever typed data the page asks for.
        chain_id = int(requests.get(f"{api}/v1/contracts", timeout=10).json()["chain_id"])
        for on_chain, accepted in ((1, False), (chain_id, True)):
            context = browser.new_context()
            context.expose_binding(
                "agoraWallet", lambda _source, method, params, c=on_chain: _wallet(method, params, c)
            )
            context.add_init_script(WALLET)
            wallet_page = context.new_page()
            wallet_page.set_default_timeout(15_000)
            wallet_page.goto(f"{api}/ui/#/submit")
            expect(wallet_page.locator("input[name=signer][value=wallet]")).to_be_checked()
            wallet_page.set_input_files("input[name=program]", str(PROGRAM))
            wallet_page.fill("textarea[name=inputText]", f"signed by a wallet on chain {on_chain}")
            wallet_page.fill("input[name=k]", "1")
            wallet_page.click("#submit-form button[type=submit]")
            if accepted:
                signed = wallet_page.locator("#submit-result [data-job]")
                expect(signed).to_be_visible()
                expect(wallet_page.locator("#submit-log")).to_contain_text("signing as wallet account")
                wallet_job = signed.get_attribute("data-job")
                assert wallet_job is not None and wallet_job != job_id
                job = requests.get(f"{api}/v1/jobs/{wallet_job}", timeout=10).json()
                assert job["requester"].lower() == dev_account(REQUESTER).address.lower(), job
            else:  # a wallet on another chain is told to switch, and nothing is signed
                expect(wallet_page.locator("#submit-result")).to_contain_text(f"switch it to chain {chain_id}")
            context.close()

        browser.close()
    assert not errors, errors
