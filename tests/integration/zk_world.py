"""The example ZK programs (examples/programs/zk/) built once a test session; a market with the
wordcount example registered (`zk_market`), ZK jobs posted to it and proving daemons; and a
registered program read back by its name.

Compiling an example, its result program and its lean verifier and running its Groth16 setup take
~10-15 s of Node and solc; every ZK test module used to do it again. `Examples` (the session
fixture `zk_examples`, tests/integration/conftest.py) builds each on first ask, keeps it, and
writes its artifacts to a directory for tests that run them in a process of their own
(test_zk_ray.py). ZoKrates' compiler is deterministic (the same source compiles to the same
bytes), so a program built here is the program a test would compile. Registering a program
(`zk_market`, `agora program register`) still compiles and sets up for itself: that is what those
tests are about, and its keys are then not the session's (a verifier of the session's key is
"another setup's" verifier for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from eth_utils import keccak, to_checksum_address
from web3 import Web3

import zk
from duties.zkjobs import PROGRAMS, register_program
from ledger import (
    Deployment,
    JobMarket,
    JobRequest,
    Mode,
    Names,
    StakeManager,
    Token,
    Transactor,
    dev_account,
    new_request,
    pin_of,
)
from ledger.clock import ChainClock
from store import StoreClient, digest_of
from worker import BidPolicy, Worker, WorkerConfig
from zk.jobs import MAX_MANIFEST, ZkJob, ZkJobError, ZkProgram

from .api_market import api_market
from .market_helpers import AGR

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programs" / "zk"


@dataclass(frozen=True)
class Built:
    """One example program, built: its sources, the compiled programs, the keys of one setup, and
    the key's lean verifier compiled by the pinned solc."""

    name: str
    source: str
    result_source: str | None
    program: zk.Program
    result: zk.Program | None
    keys: zk.Keys
    lean: zk.VerifierContract
    directory: Path
    """Holds ``program`` and ``result`` (`Program.to_bytes`), ``proving.key`` and
    ``verification.json`` (ZoKrates' JSON)."""

    @property
    def location(self) -> str:
        return f"{self.name}.zok"


class Examples:
    """The example programs, each built on first ask and kept for the session."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._built: dict[str, Built] = {}

    def __getitem__(self, name: str) -> Built:
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = _build(name, self.directory / name)
        return built


def _build(name: str, directory: Path) -> Built:
    source = (EXAMPLES / f"{name}.zok").read_text()
    result_path = EXAMPLES / f"{name}.result.zok"
    result_source = result_path.read_text() if result_path.exists() else None
    program = zk.compile_program(source, location=f"{name}.zok")
    result = None
    if result_source is not None:
        result = zk.compile_program(result_source, location=f"{name}.result.zok", job=False)
    keys = zk.setup(program)
    lean = zk.compile_verifier(zk.lean_verifier(keys.verification_key))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "program").write_bytes(program.to_bytes())
    if result is not None:
        (directory / "result").write_bytes(result.to_bytes())
    (directory / "proving.key").write_bytes(keys.proving_key)
    (directory / "verification.json").write_bytes(orjson.dumps(keys.verification_key.to_json()))
    return Built(name, source, result_source, program, result, keys, lean, directory)


def find_program(w3: Web3, deployment: Deployment, store: StoreClient, name: str) -> tuple[ZkProgram, str]:
    """The program named ``name`` (``NAME`` or ``NAME.programs.agora``) and its manifest's CID, as
    a requester finds it: the name's ``zk.program`` record, the manifest it names, and its verifier
    still holding the code the manifest pins.

    Raises:
        ZkJobError: no such program, or its name and manifest disagree.
    """
    full = name if name.endswith("." + PROGRAMS) else f"{name}.{PROGRAMS}"
    cid = Names(w3, deployment).text(full, "zk.program")
    if not cid:
        raise ZkJobError(f"{full} names no ZK program (register one: agora program register --zok FILE --name NAME)")
    manifest = ZkProgram.from_bytes(store.get(cid, max_size=MAX_MANIFEST))
    if manifest.name != full:
        raise ZkJobError(f"{full}'s manifest is {manifest.name}'s")
    current = pin_of(manifest.verifier, keccak(bytes(w3.eth.get_code(to_checksum_address(manifest.verifier)))))
    if current != manifest.pin:
        raise ZkJobError(f"{full}'s verifier at {manifest.verifier} no longer has the code its manifest names")
    return manifest, cid


@dataclass
class ZkMarket:
    """An API market (api_market.py) with the example wordcount program registered as
    ``wordcount.programs.agora``, a requester with a deposit and staked provers."""

    api: dict[str, Any]
    """What `api_market` yields: ``url``, ``home``, ``rpc``, ``w3``, ``deployment``, ``nodes``, ``store``, …"""
    program: ZkProgram
    manifest: str
    requester: JobMarket

    @property
    def w3(self) -> Web3:
        return cast(Web3, self.api["w3"])

    @property
    def deployment(self) -> Deployment:
        return cast(Deployment, self.api["deployment"])

    @property
    def store(self) -> StoreClient:
        return cast(StoreClient, self.api["store"])

    @property
    def nodes(self) -> list[str]:
        return cast(list[str], self.api["nodes"])


@contextmanager
def zk_market(
    served_chain: str, tmp_path_factory: pytest.TempPathFactory, *, requester: int, provers: list[int]
) -> Iterator[ZkMarket]:
    """An API market over the served chain, the wordcount example registered (compiled and set up by
    `register_program` itself), ``requester`` funded with a 1,000 AGR deposit and each of ``provers``
    staked 1,000 AGR."""
    home, store_root = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("store")
    with api_market(served_chain, home, store_root, writers="any") as api:
        w3, deployment = api["w3"], api["deployment"]
        program, manifest = register_program(
            (EXAMPLES / "wordcount.zok").read_text(),
            name="wordcount",
            location="wordcount.zok",
            result_source=(EXAMPLES / "wordcount.result.zok").read_text(),
            w3=w3,
            deployment=deployment,
            transactor=Transactor(w3, dev_account(0)),
            store=api["store"],
        )
        owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
        for prover in provers:
            owner.faucet(dev_account(prover).address, 1_000 * AGR)
            StakeManager(w3, deployment, Transactor(w3, dev_account(prover))).stake(1_000 * AGR, 0)
        owner.faucet(dev_account(requester).address, 1_000 * AGR)
        market = JobMarket(w3, deployment, Transactor(w3, dev_account(requester)))
        market.deposit(1_000 * AGR)
        yield ZkMarket(api, program, manifest, market)


def post_zk_job(
    world: ZkMarket, text: bytes, *, requester: int, manifest: str | None = None, **terms: object
) -> tuple[JobRequest, bytes]:
    """A ZK request for ``text`` (its spec and input block stored), signed by ``requester`` and posted."""
    block = text.ljust(64, b"\0")
    spec = ZkJob(program=manifest or world.manifest, input=world.store.put(block))
    values: dict[str, object] = {
        "program_id": digest_of(world.store.put(spec.to_bytes())),
        "input_digest": zk.commitment(block),
        "verifier_pin": world.program.pin,
    }
    values |= terms
    request = new_request(
        ChainClock(world.w3).now(),
        requester=dev_account(requester).address,
        redundancy=1,
        quorum=1,
        mode=Mode.ZK,
        ramp=0,
        **values,  # type: ignore[arg-type]
    )
    signature = request.sign(dev_account(requester), chain_id=world.deployment.chain_id, market=world.requester.address)
    return request, world.requester.post_job(request, signature)


def prover_daemon(world: ZkMarket, state_dir: Path, account: int) -> Worker:
    """A worker daemon for ``account`` that proves (its execution pool; no Ray in the test process)."""
    config = WorkerConfig(
        name="prover", state_dir=state_dir, store_nodes=world.nodes, policy=BidPolicy(), poll_interval=0.01
    )
    store = StoreClient(world.nodes, k=2, m=1)
    return Worker(world.w3, world.deployment, dev_account(account), config, store=store, executor=None)  # type: ignore[arg-type]
