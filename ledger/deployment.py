"""Deploying the contracts, idempotently, and the record of where they are."""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3

from . import records
from ._tx import Transactor, mapped_errors
from .accounts import DEV_CHAIN_IDS
from .artifacts import artifact, manifest
from .names import labelhash, namehash
from .records import Deployment, read_record, record_path

log = logging.getLogger(__name__)

INITIAL_SUPPLY = 1_000_000 * 10**18
DEV_MIN_COMMITMENT_AGE = 2
MIN_COMMITMENT_AGE = 60
MAX_COMMITMENT_AGE = 24 * 3600
BURN_BPS = 2_000
MIN_STAKE = 100 * 10**18
DEV_UNBONDING_DELAY = 60
UNBONDING_DELAY = 7 * 24 * 3600
MAX_JOB_DURATION = 7 * 24 * 3600
# After a job's reveal deadline, how long its outcome can be challenged before it is final.
CHALLENGE_WINDOW = 24 * 3600
DEV_CHALLENGE_WINDOW = 600  # the contract's least
# The least time a request leaves to compute (lock to commit deadline) and to reveal (commit to
# reveal deadline); short, so dev chains and tests run jobs in seconds.
MIN_COMPUTE_WINDOW = 10
MIN_REVEAL_WINDOW = 10
# How long a drawn round's jurors have to commit, then to reveal, and the losing side to appeal.
VOTE_WINDOW = 24 * 3600
DEV_VOTE_WINDOW = 30  # room for a juror to fetch and re-execute on a loaded machine
# A seat is paid at least this (and bonds are priced at it), and locks this much of a juror's stake.
SEAT_FEE_FLOOR = 1 * 10**18
SEAT_COLLATERAL = 50 * 10**18
AUDIT_BPS = 1_000
"""One audited job in ten gets a drawn auditor (docs/protocol.md, "Sampling audits")."""


def _chain_identity(w3: Web3) -> tuple[int, str]:
    with mapped_errors():
        return int(w3.eth.chain_id), w3.eth.get_block(0)["hash"].to_0x_hex()


def load_deployment(w3: Web3, home: Path) -> Deployment:
    """The deployment record for the chain ``w3`` talks to.

    Raises:
        NotDeployed: when there is none (run ``agora chain deploy``).
    """
    return read_record(home, *_chain_identity(w3))


def _code(w3: Web3, address: str) -> bytes:
    with mapped_errors():
        return bytes(w3.eth.get_code(address))  # type: ignore[arg-type]


def _runtime_hash(w3: Web3, address: str) -> str:
    return hashlib.sha256(_code(w3, address)).hexdigest()


def is_current(w3: Web3, deployment: Deployment) -> bool:
    """`records.is_current`, the code read through ``w3``."""
    return records.is_current(deployment, functools.partial(_code, w3))


def deploy(
    w3: Web3,
    transactor: Transactor,
    home: Path,
    *,
    min_commitment_age: int | None = None,
    audit_bps: int = AUDIT_BPS,
) -> tuple[Deployment, bool]:
    """Deploys every contract unless the record shows them deployed with the current code.

    ``audit_bps`` is the chance that a redundant job gets a drawn auditor (0 turns audits off:
    no audit fee is escrowed); the market's owner may change it later (`setAuditRate`).

    Returns the deployment and whether anything was deployed.
    """
    chain_id, genesis = _chain_identity(w3)
    path = record_path(home, chain_id, genesis)
    if path.exists():
        existing = read_record(home, chain_id, genesis)
        if is_current(w3, existing):
            return existing, False
        log.info("recorded deployment is stale or gone; deploying again")
    dev = chain_id in DEV_CHAIN_IDS
    min_age = (
        min_commitment_age
        if min_commitment_age is not None
        else (DEV_MIN_COMMITMENT_AGE if dev else MIN_COMMITMENT_AGE)
    )
    me = transactor.address

    def create(name: str, *args: Any) -> str:
        contract = w3.eth.contract(abi=artifact(name)["abi"], bytecode=artifact(name)["bytecode"])
        data = contract.constructor(*args).data_in_transaction
        receipt = transactor.send(to=None, data=data)
        log.info("deployed %s at %s", name, receipt["contractAddress"])
        return str(receipt["contractAddress"])

    token = create("AgoraToken", me, INITIAL_SUPPLY)
    registry = create("NameRegistry", me)
    resolver = create("PublicResolver", registry)
    registrar = create("AgoraRegistrar", registry, namehash("agora"), min_age, MAX_COMMITMENT_AGE)
    programs = create("ProgramRegistrar", registry, namehash("programs.agora"), min_age, MAX_COMMITMENT_AGE)
    reverse = create("ReverseRegistrar", registry, resolver)
    unbonding = DEV_UNBONDING_DELAY if dev else UNBONDING_DELAY
    stakes = create("StakeManager", token, me, BURN_BPS, unbonding, MIN_STAKE)
    market = create(
        "JobMarket",
        token,
        stakes,
        me,
        MAX_JOB_DURATION,
        DEV_CHALLENGE_WINDOW if dev else CHALLENGE_WINDOW,
        MIN_COMPUTE_WINDOW,
        MIN_REVEAL_WINDOW,
    )
    court = create(
        "Court", token, market, stakes, me, DEV_VOTE_WINDOW if dev else VOTE_WINDOW, SEAT_FEE_FLOOR, SEAT_COLLATERAL
    )
    proof_court = create("ProofCourt", market)
    batcher = create("JobBatcher", market)
    stake_manager = w3.eth.contract(address=to_checksum_address(stakes), abi=artifact("StakeManager")["abi"])
    job_market = w3.eth.contract(address=to_checksum_address(market), abi=artifact("JobMarket")["abi"])
    transactor.send(to=stakes, data=stake_manager.encode_abi("setMarket", args=[market]))
    transactor.send(to=stakes, data=stake_manager.encode_abi("setCourt", args=[court]))
    transactor.send(to=market, data=job_market.encode_abi("setCourt", args=[court]))
    transactor.send(to=market, data=job_market.encode_abi("setProofCourt", args=[proof_court]))
    if audit_bps:
        transactor.send(to=market, data=job_market.encode_abi("setAuditRate", args=[audit_bps]))
    reg = w3.eth.contract(address=to_checksum_address(registry), abi=artifact("NameRegistry")["abi"])
    root = b"\x00" * 32
    # `programs.agora` goes to its own registrar while the deployer still holds `agora`: once
    # `agora` is the registrar's, `programs` is taken there and nobody holds either parent.
    for node, label, owner in (
        (root, "agora", me),
        (namehash("agora"), "programs", programs),
        (root, "agora", registrar),
        (root, "reverse", me),
        (namehash("reverse"), "addr", reverse),
    ):
        transactor.send(to=registry, data=reg.encode_abi("setSubnodeOwner", args=[node, labelhash(label), owner]))
    with mapped_errors():
        block = int(w3.eth.block_number)
    addresses = {
        "AgoraToken": token,
        "NameRegistry": registry,
        "PublicResolver": resolver,
        "AgoraRegistrar": registrar,
        "ProgramRegistrar": programs,
        "ReverseRegistrar": reverse,
        "StakeManager": stakes,
        "JobMarket": market,
        "Court": court,
        "ProofCourt": proof_court,
        "JobBatcher": batcher,
    }
    deployment = Deployment(
        chain_id=chain_id,
        genesis_hash=genesis,
        block=block,
        deployer=me,
        compiler=manifest()["compiler"],
        contracts={
            n: {
                "address": a,
                "codeSha256": _runtime_hash(w3, a),
                "artifactSha256": manifest()["contracts"][n]["runtimeCodeSha256"],
            }
            for n, a in addresses.items()
        },
        params={
            "minCommitmentAge": min_age,
            "maxCommitmentAge": MAX_COMMITMENT_AGE,
            "initialSupply": str(INITIAL_SUPPLY),
            "auditBps": audit_bps,
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(deployment.to_json())
    tmp.replace(path)
    return deployment, True
