"""Typed clients for the market's contracts: `JobMarket` and `StakeManager` (the data they take and
give, the signed `JobRequest` among it, is `ledger.model`'s)."""

from __future__ import annotations

from typing import Any

from web3.contract import Contract
from web3.logs import DISCARD

from ._tx import mapped_errors
from .artifacts import decode_revert
from .clients import Token, _Client
from .errors import ContractRevert
from .logs import fetch_logs
from .model import (
    Job,
    JobRequest,
    JobStatus,
    Mode,
    Slot,
    commitment,
)

# Gas limits for the market's hot path, well above what each call uses (settlement loops over at
# most 8 slots, and a slash of matured stake rewrites the juror pool, ~0.5M gas each): sent after
# one checking eth_call instead of a two-run estimate.
POST_GAS = 400_000
BATCH_GAS = 60_000
"""A relayer batch's own gas, beside `POST_GAS` for each request in it."""
LOCK_GAS = 300_000
COMMIT_GAS = 1_000_000  # the first commit after an audit's seed block decides it (a draw reads the pool up to 32 times)
SETTLE_GAS = 5_000_000


class JobMarket(_Client):
    """Deposits, posting, bidding, results and settlement."""

    @property
    def contract(self) -> Contract:
        return self._contract("JobMarket")

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _token(self) -> Token:
        return Token(self.w3, self.deployment, self.transactor)

    # deposits
    def deposit(self, amount: int) -> dict[str, Any]:
        """Approves (when needed) and deposits ``amount``."""
        self._token().allow(self.address, amount)
        return self._send(self.contract, "deposit", amount)

    def withdraw(self, amount: int) -> dict[str, Any]:
        return self._send(self.contract, "withdraw", amount)

    def balance_of(self, account: str) -> int:
        return int(self._call(self.contract, "balanceOf", account))

    # jobs
    def post_job(self, request: JobRequest, signature: bytes) -> bytes:
        """Relays a signed request; returns the job id."""
        self.relay(request, signature)
        return request.struct_hash()

    def relay(self, request: JobRequest, signature: bytes) -> dict[str, Any]:
        """Relays a signed request; returns the receipt."""
        return self._send(self.contract, "postJob", request.as_tuple(), signature, gas=POST_GAS, preflight=True)

    def relay_batch(
        self, requests: list[JobRequest], signatures: list[bytes]
    ) -> tuple[dict[str, Any], dict[int, ContractRevert]]:
        """Relays several signed requests in one transaction (through the `JobBatcher`); returns
        the receipt and, by position, the market's error for each request it refused (the rest
        are posted)."""
        batcher = self._contract("JobBatcher")
        receipt = self._send(
            batcher,
            "postJobs",
            [r.as_tuple() for r in requests],
            signatures,
            gas=BATCH_GAS + POST_GAS * len(requests),
        )
        refused = {
            int(e["args"]["index"]): decode_revert(bytes(e["args"]["reason"]))
            for e in batcher.events.PostRefused().process_receipt(receipt, errors=DISCARD)
        }
        return receipt, refused

    def lock(self, job_id: bytes) -> tuple[int, int]:
        """Takes a slot; returns (slot index, locked price)."""
        receipt = self._send(self.contract, "lock", job_id, gas=LOCK_GAS, preflight=True)
        event = self.contract.events.JobLocked().process_receipt(receipt, errors=DISCARD)[0]
        return int(event["args"]["slot"]), int(event["args"]["price"])

    def release(self, job_id: bytes, slot: int) -> int:
        """Gives the slot back without fault (before committing, within the release window of
        its lock); returns the slot whose holder moved into it (``slot`` itself when it was the last)."""
        receipt = self._send(self.contract, "release", job_id, slot, gas=LOCK_GAS, preflight=True)
        event = self.contract.events.SlotReleased().process_receipt(receipt, errors=DISCARD)[0]
        return int(event["args"]["movedFrom"])

    def commit(self, job_id: bytes, slot: int, digest: bytes, salt: bytes) -> dict[str, Any]:
        assert self.transactor is not None
        sealed = commitment(digest, salt, self.transactor.address)
        return self._send(self.contract, "commit", job_id, slot, sealed, gas=COMMIT_GAS, preflight=True)

    def reveal(self, job_id: bytes, slot: int, digest: bytes, salt: bytes, result_cid: bytes) -> dict[str, Any]:
        return self._send(
            self.contract, "reveal", job_id, slot, digest, salt, result_cid, gas=SETTLE_GAS, preflight=True
        )

    def submit_proof(self, request: JobRequest, digest: bytes, result_cid: bytes, proof: bytes) -> dict[str, Any]:
        """Submits a `ZK` job's result commitment ``digest`` and 256-byte proof to the proof court,
        which checks it with the request's pinned verifier and has the market settle."""
        court = self._contract("ProofCourt")
        return self._send(court, "submitProof", request.as_tuple(), digest, result_cid, proof, gas=1_500_000)

    def verifier_pin(self, verifier: str) -> bytes:
        """The pin a `ZK` request carries for the verifier at ``verifier`` as its code is now."""
        return bytes(self._call(self._contract("ProofCourt"), "pin", verifier))

    def settle(self, job_id: bytes) -> dict[str, Any]:
        return self._send(self.contract, "settle", job_id, gas=SETTLE_GAS, preflight=True)

    def finalize(self, job_id: bytes) -> dict[str, Any]:
        """Makes a provisional settlement final after its challenge window (anyone may)."""
        return self._send(self.contract, "finalize", job_id, gas=SETTLE_GAS, preflight=True)

    def accept(self, job_id: bytes) -> dict[str, Any]:
        """The requester makes a result all k slots revealed alike final at once."""
        return self._send(self.contract, "accept", job_id, gas=SETTLE_GAS, preflight=True)

    def expire(self, job_id: bytes) -> dict[str, Any]:
        return self._send(self.contract, "expire", job_id)

    # views
    def job(self, job_id: bytes) -> Job:
        raw = self._call(self.contract, "job", job_id)
        values = list(raw)
        values[2], values[3] = JobStatus(values[2]), Mode(values[3])
        return Job(*values)

    def slot(self, job_id: bytes, index: int) -> Slot:
        worker, price, sealed = self._call(self.contract, "slot", job_id, index)
        return Slot(str(worker), int(price), bytes(sealed))

    def current_ask(self, job_id: bytes) -> int:
        return int(self._call(self.contract, "currentAsk", job_id))

    def escrow_of(self, job_id: bytes) -> int:
        return int(self._call(self.contract, "escrowOf", job_id))

    def simulate_post(self, request: JobRequest, signature: bytes, sender: str) -> bytes:
        """What `post_job` would do if ``sender`` relayed it now: the job id, or the contract's
        error by name (`InvalidSignature`, `NonceUsed`, `InsufficientBalance`, ...). Sends nothing."""
        with mapped_errors():
            return bytes(self.contract.functions.postJob(request.as_tuple(), signature).call({"from": sender}))

    def escrow_for(self, request: JobRequest) -> int:
        """What posting ``request`` takes from its requester's deposit: k × maxPrice, and one more
        maxPrice as the audit fee of a redundant job (k < 8) while audits are on."""
        audited = (
            request.mode == Mode.REDUNDANT
            and request.redundancy < 8
            and int(str(self._call(self.contract, "court")), 16) != 0
            and self.audit_bps() != 0
        )
        return (request.redundancy + (1 if audited else 0)) * request.max_price

    def audit_bps(self) -> int:
        """The chance, in basis points, that an audited job gets a drawn auditor."""
        return int(self._call(self.contract, "auditBps"))

    def set_audit_rate(self, bps: int) -> dict[str, Any]:
        """Owner only: the chance (basis points, 0..10000) that an audited job gets an auditor."""
        return self._send(self.contract, "setAuditRate", bps)

    def final_after(self, job_id: bytes) -> int:
        """When the job's provisional settlement (or unresolved state) may become final."""
        return int(self._call(self.contract, "finalAfter", job_id))

    def request_of(self, job_id: bytes, *, block: int | None = None) -> JobRequest | None:
        """The signed request of ``job_id``, from its `JobPosted` event (in ``block`` when known,
        else searched from the deployment on); None when there is not exactly one."""
        posted = self.contract.events.JobPosted()
        entries = fetch_logs(
            self.w3,
            address=self.address,
            topics=["0x" + posted.topic.removeprefix("0x"), "0x" + job_id.hex()],
            from_block=self.deployment.block if block is None else block,
            to_block=block,
        )
        if len(entries) != 1:
            return None
        return JobRequest.from_abi(posted.process_log(entries[0])["args"]["request"])

    def nonce_used(self, requester: str, nonce: int) -> bool:
        return bool(self._call(self.contract, "nonceUsed", requester, nonce))

    def cancel_nonce(self, nonce: int) -> dict[str, Any]:
        """Burns the sender's ``nonce``: a request signed with it can never be posted."""
        return self._send(self.contract, "cancelNonce", nonce)

    def chain_hash(self, request: JobRequest) -> bytes:
        """The contract's own hash of ``request`` (equals `JobRequest.struct_hash`)."""
        return bytes(self._call(self.contract, "hashRequest", request.as_tuple()))


class StakeManager(_Client):
    """Workers' stake, regions and slashing record."""

    @property
    def contract(self) -> Contract:
        return self._contract("StakeManager")

    def stake(self, amount: int, region: int) -> dict[str, Any]:
        """Approves (when needed) and stakes ``amount``, declaring ``region`` (0..31)."""
        Token(self.w3, self.deployment, self.transactor).allow(self.contract.address, amount)
        return self._send(self.contract, "stake", amount, region)

    def declare_region(self, region: int) -> dict[str, Any]:
        return self._send(self.contract, "declareRegion", region)

    def request_unstake(self, amount: int) -> dict[str, Any]:
        return self._send(self.contract, "requestUnstake", amount)

    def withdraw(self) -> dict[str, Any]:
        return self._send(self.contract, "withdraw")

    def stake_of(self, worker: str) -> tuple[int, int, int]:
        """(free, locked, unbonding)."""
        free, locked, unbonding = self._call(self.contract, "stakeOf", worker)
        return int(free), int(locked), int(unbonding)

    def region_of(self, worker: str) -> int | None:
        region, declared = self._call(self.contract, "regionOf", worker)
        return int(region) if declared else None

    def total_staked(self) -> int:
        return int(self._call(self.contract, "totalStaked"))

    def min_stake(self) -> int:
        """The least total stake a worker needs to lock a slot (`StakeBelowMinimum`)."""
        return int(self._call(self.contract, "minStake"))

    # the juror pool
    def activate(self, worker: str) -> dict[str, Any]:
        """Counts ``worker``'s matured stake in the juror pool (anyone may send it)."""
        return self._send(self.contract, "activate", worker)

    def pool_weight_of(self, worker: str) -> tuple[int, int, int, int]:
        """(weight in the pool, stake still maturing, when it matures, the pool's region)."""
        weight, maturing, matures_at, region = self._call(self.contract, "poolWeightOf", worker)
        return int(weight), int(maturing), int(matures_at), int(region)

    def pool_total(self, regions: int, at_block: int) -> int:
        """The pool's weight within ``regions`` (0: all) at the end of ``at_block``."""
        return int(self._call(self.contract, "poolTotal", regions, at_block))

    def draw_juror(self, regions: int, at_block: int, seed: int) -> str:
        """The account ``seed`` draws from the pool as it was at the end of ``at_block``."""
        return str(self._call(self.contract, "drawJuror", regions, at_block, seed))
