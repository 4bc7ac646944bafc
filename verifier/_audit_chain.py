"""What an audit reads from the chain: the protocol's events over a block range, in bounded pages,
and contract state and block facts, all as of one block (so a chain that moves on during a scan
cannot make the audit disagree with itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from ledger import (
    LOG_PAGE,
    Case,
    CasePhase,
    Deployment,
    Event,
    EventDecoder,
    Job,
    JobStatus,
    LedgerError,
    Mode,
    Slot,
    TransactionRejected,
    artifact,
    mapped_errors,
)

PROTOCOL = ("AgoraToken", "StakeManager", "JobMarket", "Court", "ProofCourt")
"""The contracts that hold or move tokens, and the proof court whose verdicts settle `ZK` jobs:
every event an audit needs comes from them."""
MAX_PAGE = 10_000
"""The most blocks one `eth_getLogs` may span on `agora chain serve` (AGORA_RPC_LOG_BLOCK_RANGE)."""

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class ChainReader:
    """Contract state and block facts as of block ``at`` (default: the head when created)."""

    def __init__(self, w3: Web3, deployment: Deployment, *, at: int | None = None) -> None:
        self.w3 = w3
        self.deployment = deployment
        with mapped_errors():
            head = int(w3.eth.block_number)
        if at is not None and at > head:
            raise ValueError(f"block {at} is beyond the chain's head ({head})")
        self.at = head if at is None else at
        self.addresses: dict[str, str] = {
            name: str(to_checksum_address(entry["address"])) for name, entry in deployment.contracts.items()
        }
        self._contracts: dict[str, Contract] = {}
        self._blocks: dict[int, Any] = {}
        self._draws: dict[tuple[int, int, int], str] = {}

    def contract(self, name: str) -> Contract:
        if name not in self._contracts:
            address = to_checksum_address(self.addresses[name])
            self._contracts[name] = self.w3.eth.contract(address=address, abi=artifact(name)["abi"])
        return self._contracts[name]

    def call(self, name: str, fn: str, *args: Any) -> Any:
        """``name.fn(args)`` as of block `at`."""
        with mapped_errors():
            return self.contract(name).functions[fn](*args).call(block_identifier=self.at)

    def _block(self, number: int) -> Any:
        if number not in self._blocks:
            with mapped_errors():
                self._blocks[number] = self.w3.eth.get_block(number)
        return self._blocks[number]

    def block_time(self, number: int) -> int:
        return int(self._block(number)["timestamp"])

    def block_hash(self, number: int) -> bytes:
        return bytes(self._block(number)["hash"])

    # -- typed views -----------------------------------------------------------------------------
    def job(self, job_id: bytes) -> Job:
        values = list(self.call("JobMarket", "job", job_id))
        values[2], values[3] = JobStatus(values[2]), Mode(values[3])
        return Job(*values)

    def slot(self, job_id: bytes, index: int) -> Slot:
        worker, price, sealed = self.call("JobMarket", "slot", job_id, index)
        return Slot(str(worker), int(price), bytes(sealed))

    def case(self, job_id: bytes) -> Case:
        values = list(self.call("Court", "caseOf", job_id))
        values[0], values[10] = CasePhase(values[0]), bytes(values[10])
        return Case(*values)

    def draw_juror(self, regions: int, at_block: int, seed: int) -> str:
        """The account ``seed`` draws from the juror pool as it was at the end of ``at_block``
        (a view of checkpoints: the same answer at any later block)."""
        key = (regions, at_block, seed)
        if key not in self._draws:
            self._draws[key] = str(self.call("StakeManager", "drawJuror", regions, at_block, seed))
        return self._draws[key]

    def token_balance(self, account: str) -> int:
        return int(self.call("AgoraToken", "balanceOf", account))


def creation_block(w3: Web3, address: str, *, before: int) -> int:
    """The block in which ``address`` got its code (a binary search over `eth_getCode`, which
    needs a node that keeps old state: anvil, the embedded chain, an archive node)."""
    low, high = 0, before
    with mapped_errors():
        while low < high:
            middle = (low + high) // 2
            if w3.eth.get_code(to_checksum_address(address), middle):  # type: ignore[arg-type]
                high = middle
            else:
                low = middle + 1
    return low


def protocol_start(w3: Web3, deployment: Deployment, progress: Progress = _quiet) -> int:
    """The first block to scan: where the earliest protocol contract was created (its constructor
    set parameters and minted the supply before the deployment record's block), else the record's
    block when the node cannot answer for old state."""
    try:
        return min(creation_block(w3, deployment.address(name), before=deployment.block) for name in PROTOCOL)
    except LedgerError as exc:
        progress(f"cannot find where the contracts were created ({exc}); scanning from block {deployment.block}")
        return deployment.block


def scan_events(
    w3: Web3,
    deployment: Deployment,
    *,
    start: int,
    end: int,
    contracts: Iterable[str] = PROTOCOL,
    page: int = LOG_PAGE,
    progress: Progress = _quiet,
) -> list[Event]:
    """Every event of ``contracts`` from ``start`` to ``end``, decoded, in chain order. Logs are read
    ``page`` blocks at a time (at most `MAX_PAGE`); a page the node refuses as too large (too many
    logs) is read in halves."""
    page = max(1, min(page, MAX_PAGE))
    decoder = EventDecoder(w3, deployment, tuple(contracts))
    events: list[Event] = []
    pending = [(first, min(end, first + page - 1)) for first in range(start, end + 1, page)]
    pending.reverse()
    while pending:
        first, last = pending.pop()
        try:
            with mapped_errors():
                logs = w3.eth.get_logs({"fromBlock": first, "toBlock": last, "address": decoder.addresses})
        except TransactionRejected:  # e.g. more logs than the node returns at once: halve the range
            if first == last:
                raise
            middle = (first + last) // 2
            pending += [(middle + 1, last), (first, middle)]
            continue
        events += decoder.decode_all(logs)
        progress(f"scanned blocks {first}..{last} of {start}..{end}: {len(events)} events")
    return events
