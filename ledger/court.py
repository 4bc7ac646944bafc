"""A typed client for the court: disputes, drawn rounds, juror votes and claims (docs/protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from web3.contract import Contract

from .clients import Token, _Client

# Counting a round or making a ruling final slashes and pays up to 45 jurors and 8 slots; drawing
# reads the pool up to 45 times. Sent after one checking eth_call, like the market's settlement.
COURT_GAS = 12_000_000
VOTE_GAS = 150_000


class CasePhase(IntEnum):
    NONE = 0
    DRAWING = 1  # waiting for the seed block, then `draw`
    VOTING = 2  # jurors commit, then reveal
    RULED = 3  # a round's majority decided; appealable until the appeal deadline
    DECIDED = 4  # final; bonds claimable
    VOID = 5  # no round could decide; bonds refundable


@dataclass(frozen=True)
class Case:
    phase: CasePhase
    round: int
    redraws: int
    regions: int
    pool_block: int
    seed_block: int
    commit_deadline: int
    reveal_deadline: int
    appeal_deadline: int
    checkpoint_fuel: int
    ruling: bytes
    fee: int
    collateral: int
    pot: int
    bonds: int
    winners_share: int


@dataclass(frozen=True)
class Vote:
    seats: int
    revealed: bool
    commitment: bytes
    digest: bytes
    checkpoint: bytes


def vote_commitment(digest: bytes, checkpoint: bytes, salt: bytes, juror: str) -> bytes:
    """keccak256(abi.encode(digest, checkpoint, salt, juror)): what a juror commits."""
    return keccak(encode(["bytes32", "bytes32", "bytes32", "address"], [digest, checkpoint, salt, juror]))


class Court(_Client):
    """Disputes and the drawn rounds that decide them."""

    @property
    def contract(self) -> Contract:
        return self._contract("Court")

    @property
    def address(self) -> str:
        return str(self.contract.address)

    # disputes
    def dispute(self, job_id: bytes, digest: bytes, amount: int) -> dict[str, Any]:
        """Approves (when needed) and bonds ``amount`` on ``digest``: a dispute of a provisional
        job, a claim in an open case, or an appeal of a ruling."""
        Token(self.w3, self.deployment, self.transactor).allow(self.address, amount)
        return self._send(self.contract, "dispute", job_id, digest, amount, gas=COURT_GAS, preflight=True)

    def claim_bond(self, job_id: bytes) -> dict[str, Any]:
        return self._send(self.contract, "claimBond", job_id)

    # rounds (anyone may send these)
    def audit(self, job_id: bytes) -> dict[str, Any]:
        """Moves a job's audit on: schedules it (locking ended short of k), or decides it once its
        seed block is mined (an auditor drawn into slot k, or none)."""
        return self._send(self.contract, "audit", job_id, gas=COURT_GAS, preflight=True)

    def draw(self, job_id: bytes) -> dict[str, Any]:
        return self._send(self.contract, "draw", job_id, gas=COURT_GAS, preflight=True)

    def resolve(self, job_id: bytes) -> dict[str, Any]:
        return self._send(self.contract, "resolve", job_id, gas=COURT_GAS, preflight=True)

    def finalize(self, job_id: bytes) -> dict[str, Any]:
        return self._send(self.contract, "finalize", job_id, gas=COURT_GAS, preflight=True)

    # jurors
    def commit_vote(self, job_id: bytes, digest: bytes, checkpoint: bytes, salt: bytes) -> dict[str, Any]:
        assert self.transactor is not None
        sealed = vote_commitment(digest, checkpoint, salt, self.transactor.address)
        return self._send(self.contract, "commitVote", job_id, sealed, gas=VOTE_GAS, preflight=True)

    def reveal_vote(self, job_id: bytes, digest: bytes, checkpoint: bytes, salt: bytes) -> dict[str, Any]:
        return self._send(self.contract, "revealVote", job_id, digest, checkpoint, salt, gas=VOTE_GAS, preflight=True)

    # views
    def case(self, job_id: bytes) -> Case:
        values = list(self._call(self.contract, "caseOf", job_id))
        values[0] = CasePhase(values[0])
        values[10] = bytes(values[10])
        return Case(*values)

    def jurors(self, job_id: bytes, round_: int) -> list[str]:
        return [str(a) for a in self._call(self.contract, "jurorsOf", job_id, round_)]

    def vote(self, job_id: bytes, round_: int, juror: str) -> Vote:
        seats, revealed, sealed, digest, checkpoint = self._call(self.contract, "voteOf", job_id, round_, juror)
        return Vote(int(seats), bool(revealed), bytes(sealed), bytes(digest), bytes(checkpoint))

    def min_bond(self, job_id: bytes, round_: int) -> int:
        return int(self._call(self.contract, "minBond", job_id, round_))

    def claimed_on(self, job_id: bytes, digest: bytes) -> int:
        return int(self._call(self.contract, "claimedOn", job_id, digest))

    def bond_of(self, job_id: bytes, account: str, digest: bytes) -> int:
        return int(self._call(self.contract, "bondOf", job_id, account, digest))

    def vote_window(self) -> int:
        return int(self._call(self.contract, "voteWindow"))

    def seat_terms(self) -> tuple[int, int]:
        """(the least fee a seat is paid, the collateral a seat locks)."""
        return int(self._call(self.contract, "minSeatFee")), int(self._call(self.contract, "seatCollateral"))
