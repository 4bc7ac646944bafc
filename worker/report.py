"""A worker's standing, read from the chain alone: what `agora worker status` shows.

Stake (free, locked, unbonding) and region from `StakeManager`; earnings waiting in its
`JobMarket` balance; every job it locked, with what it was paid or slashed, from the market's
events (so an auditor gets the same answer from any node).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from eth_abi import encode
from web3 import Web3

from ledger import Deployment, EventDecoder, JobMarket, JobStatus, StakeManager, fetch_logs
from ledger import events as ev


@dataclass(frozen=True)
class JobLine:
    job_id: bytes
    price: int
    status: JobStatus
    paid: int = 0
    slashed: int = 0
    reason: str = ""


@dataclass
class WorkerReport:
    address: str
    free: int
    locked: int
    unbonding: int
    region: int | None
    balance: int
    jobs: list[JobLine] = field(default_factory=list)

    @property
    def in_flight(self) -> list[JobLine]:
        """Jobs whose collateral is still locked: open, provisional, or unresolved."""
        held = (JobStatus.OPEN, JobStatus.PROVISIONAL, JobStatus.UNRESOLVED)  # not yet final
        return [j for j in self.jobs if j.status in held and not j.slashed]

    @property
    def earned(self) -> int:
        return sum(j.paid for j in self.jobs)

    @property
    def slashed(self) -> int:
        return sum(j.slashed for j in self.jobs)

    def slashes_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for j in self.jobs:
            if j.slashed:
                out[j.reason] = out.get(j.reason, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "stake": {"free": str(self.free), "locked": str(self.locked), "unbonding": str(self.unbonding)},
            "region": self.region,
            "marketBalance": str(self.balance),
            "earned": str(self.earned),
            "slashed": str(self.slashed),
            "slashes": self.slashes_by_reason(),
            "jobs": [
                {
                    "jobId": "0x" + j.job_id.hex(),
                    "price": str(j.price),
                    "status": j.status.name.lower(),
                    "paid": str(j.paid),
                    "slashed": str(j.slashed),
                    "reason": j.reason,
                }
                for j in self.jobs
            ],
            "inFlight": len(self.in_flight),
        }


def worker_report(w3: Web3, deployment: Deployment, address: str) -> WorkerReport:
    """Everything the chain says about the worker at ``address``."""
    address = Web3.to_checksum_address(address)
    stakes, market = StakeManager(w3, deployment), JobMarket(w3, deployment)
    free, locked, unbonding = stakes.stake_of(address)
    decoder = EventDecoder(w3, deployment, ("JobMarket",), only=(ev.JobLocked, ev.WorkerPaid, ev.WorkerSlashed))
    worker_topic = "0x" + encode(["address"], [address]).hex()
    raw = fetch_logs(
        w3,
        address=market.address,
        topics=[["0x" + t.hex() for t in decoder.topics], None, worker_topic],  # each names the worker second
        from_block=deployment.block,
    )
    lines: dict[bytes, JobLine] = {}
    for e in decoder.decode_all(raw):
        match e:
            case ev.JobLocked():
                lines[e.job_id] = JobLine(e.job_id, e.price, market.job(e.job_id).status)
            case ev.WorkerPaid():
                line = lines[e.job_id]
                lines[e.job_id] = replace(line, paid=line.paid + e.amount)
            case ev.WorkerSlashed():
                line = lines[e.job_id]
                lines[e.job_id] = replace(line, slashed=line.slashed + e.amount, reason=e.reason.describe())
    return WorkerReport(
        address, free, locked, unbonding, stakes.region_of(address), market.balance_of(address), list(lines.values())
    )
