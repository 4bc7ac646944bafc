"""Token conservation, rebuilt from events: every token balance from the token's `Transfer`s (minted
− burned = supply), every protocol event that moves tokens matched by the transfer it must have
caused (and no transfer out of a protocol contract without one), and what each contract holds
against what it owes: the market its deposits and open escrow, the stake manager its stakes, the
court its bonds and unpaid pot shares."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ledger import events as ev
from ledger import format_tokens

from ._audit_chain import ChainReader
from ._audit_jobs import transactions
from ._audit_report import AuditReport, short
from ._audit_state import StakeBook

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class _Case:
    """A case's money as the court's events tell it."""

    held: int = 0  # tokens the court took in for it, less what it paid out
    bonds: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # account -> all its bonds
    on: dict[tuple[str, bytes], int] = field(default_factory=lambda: defaultdict(int))  # (account, digest) -> bond
    claimed: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))  # digest -> claims on it
    outcome: ev.CaseDecided | ev.CaseVoid | None = None
    final_tx: bytes = b""
    paid_out: set[str] = field(default_factory=set)  # accounts whose bonds were claimed
    shares: int = 0  # pro-rata payments made (each may leave a wei of dust)


class Conservation:
    """Rebuilds balances from the events of the token, the market, the stake manager and the court."""

    def __init__(self, reader: ChainReader, report: AuditReport, *, token_block: int) -> None:
        self.reader, self.report, self.token_block = reader, report, token_block
        a = reader.addresses
        self.token, self.market, self.stakes, self.court = (
            a["AgoraToken"],
            a["JobMarket"],
            a["StakeManager"],
            a["Court"],
        )
        self.protocol = {self.market: "JobMarket", self.stakes: "StakeManager", self.court: "Court"}
        self.balances: dict[str, int] = defaultdict(int)
        self.minted = self.burned = 0
        self.deposits: dict[str, int] = defaultdict(int)  # the market's internal balances
        self.escrow: dict[bytes, int] = {}  # per job: posted escrow less payments and refunds
        self.book = StakeBook(report)
        self.cases: dict[bytes, _Case] = defaultdict(_Case)
        self.donations: dict[str, int] = defaultdict(int)
        self.revealed: dict[bytes, list[tuple[str, bytes]]] = defaultdict(list)  # job -> (worker, digest)
        self.collateral: dict[bytes, int] = {}

    def run(self, events: list[ev.Event]) -> None:
        for tx in transactions(events):
            transfers = [e for e in tx if isinstance(e, ev.AgoraTokenTransfer) and e.address == self.token]
            for t in transfers:
                self._transfer(t)
            pending = list(transfers)
            for event in tx:
                for wanted in self._moves(event):
                    self._match(wanted, pending, event)
                self._account(event)
            for t in pending:
                self._unmatched(t)

    # -- tokens ----------------------------------------------------------------------------------
    def _transfer(self, t: ev.AgoraTokenTransfer) -> None:
        if t.from_ == ZERO_ADDRESS:
            self.minted += t.value
        else:
            self.balances[t.from_] -= t.value
            if self.balances[t.from_] < 0:
                self._fail(f"{t.from_} sends {format_tokens(t.value)} AGR it does not have", t)
        if t.to == ZERO_ADDRESS:
            self.burned += t.value
        else:
            self.balances[t.to] += t.value

    def _moves(self, e: ev.Event) -> list[tuple[str, str, int]]:
        """The transfers (from, to, value) ``e`` says happened."""
        if e.address == self.market and isinstance(e, ev.Deposited):
            return [(e.account, self.market, e.amount)]
        if e.address == self.market and isinstance(e, ev.JobMarketWithdrawn):
            return [(self.market, e.account, e.amount)]
        if e.address == self.stakes and isinstance(e, ev.Staked):
            return [(e.worker, self.stakes, e.amount)]
        if e.address == self.stakes and isinstance(e, ev.StakeManagerWithdrawn):
            return [(self.stakes, e.worker, e.amount)]
        if e.address == self.stakes and isinstance(e, ev.Slashed):
            out = [(self.stakes, ZERO_ADDRESS, e.burned)] if e.burned else []
            return out + ([(self.stakes, e.beneficiary, e.amount - e.burned)] if e.amount > e.burned else [])
        if e.address == self.court and isinstance(e, ev.Disputed):
            return [(e.account, self.court, e.amount)]
        if e.address == self.court and isinstance(e, ev.JurorPaid):
            return [(self.court, e.juror, e.amount)]
        if e.address == self.court and isinstance(e, ev.ClaimPaid):
            return [(self.court, e.account, e.amount)]
        if e.address == self.token and isinstance(e, ev.FaucetDripped):
            return [(ZERO_ADDRESS, e.to, e.amount)]
        return []

    def _match(self, wanted: tuple[str, str, int], pending: list[ev.AgoraTokenTransfer], e: ev.Event) -> None:
        for i, t in enumerate(pending):
            if (t.from_, t.to, t.value) == wanted:
                del pending[i]
                self.report.checks += 1
                return
        source, to, value = wanted
        self._fail(f"{e.NAME} without its token transfer of {format_tokens(value)} AGR from {source} to {to}", e)

    def _unmatched(self, t: ev.AgoraTokenTransfer) -> None:
        if t.from_ in self.protocol:
            self._fail(
                f"{format_tokens(t.value)} AGR left {self.protocol[t.from_]} to {t.to} with no event saying why", t
            )
        elif t.to in self.protocol:
            self.donations[t.to] += t.value  # sent straight to a contract: held, owed to nobody
        elif t.from_ == ZERO_ADDRESS and t.block != self.token_block:
            self._fail(f"{format_tokens(t.value)} AGR minted to {t.to} outside the token's creation and the faucet", t)

    # -- what the contracts owe -------------------------------------------------------------------
    def _account(self, e: ev.Event) -> None:
        if e.address == self.stakes:
            self.book.apply(e)
        if e.address == self.market:
            self._market(e)
        elif e.address == self.court:
            self._court(e)
        elif e.address == self.stakes and isinstance(e, ev.Slashed) and e.beneficiary == self.court:
            self.cases[e.job_id].held += e.amount - e.burned

    def _market(self, e: ev.Event) -> None:
        if isinstance(e, ev.Deposited):
            self.deposits[e.account] += e.amount
        elif isinstance(e, ev.JobMarketWithdrawn):
            self.deposits[e.account] -= e.amount
        elif isinstance(e, ev.JobPosted):
            self.deposits[e.requester] -= e.escrow
            self.escrow[e.job_id] = e.escrow
            self.collateral[e.job_id] = e.request.collateral
        elif isinstance(e, (ev.Refunded, ev.WorkerPaid)):
            account = e.requester if isinstance(e, ev.Refunded) else e.worker
            self.deposits[account] += e.amount
            self.escrow[e.job_id] = self.escrow.get(e.job_id, 0) - e.amount
            if self.escrow[e.job_id] < 0:
                self._fail(f"pays out {format_tokens(-self.escrow[e.job_id])} AGR more than the job's escrow", e)
        elif isinstance(e, ev.ResultRevealed):
            self.revealed[e.job_id].append((e.worker, e.digest))
        if isinstance(e, (ev.Deposited, ev.JobMarketWithdrawn, ev.JobPosted)):
            who = e.requester if isinstance(e, ev.JobPosted) else e.account
            if self.deposits[who] < 0:
                self._fail(f"{who}'s market balance goes below zero", e)

    def _court(self, e: ev.Event) -> None:
        if not isinstance(e, ev.JobEvent):
            return
        case = self.cases[e.job_id]
        if isinstance(e, ev.Disputed):
            case.held += e.amount
            case.bonds[e.account] += e.amount
            case.on[(e.account, e.digest)] += e.amount
            case.claimed[e.digest] += e.amount
        elif isinstance(e, (ev.CaseDecided, ev.CaseVoid)):
            case.outcome, case.final_tx = e, e.tx_hash
        elif isinstance(e, (ev.JurorPaid, ev.ClaimPaid)):
            case.held -= e.amount
            case.shares += 1
            if isinstance(e, ev.ClaimPaid) and e.tx_hash != case.final_tx:
                case.paid_out.add(e.account)  # a bond claimed after the case ended

    def _owed(self, job_id: bytes, case: _Case) -> tuple[int, int]:
        """What the court owes for a case: everything while it is open; unclaimed bonds when void;
        unclaimed bonds on the ruling with their share of the pot when decided; and how many
        pro-rata shares are still to be paid."""
        if case.outcome is None:
            return case.held, 0
        waiting = [a for a in case.bonds if a not in case.paid_out]
        if isinstance(case.outcome, ev.CaseVoid):
            return sum(case.bonds[a] for a in waiting), 0
        ruling, share = case.outcome.digest, case.outcome.winners_share
        claims = case.claimed[ruling] + sum(
            self.collateral.get(job_id, 0) for _, d in self.revealed[job_id] if d == ruling
        )
        owed = [case.on[(a, ruling)] for a in waiting if case.on[(a, ruling)]]
        return sum(on + on * share // claims for on in owed), len(owed)

    # -- against the chain ------------------------------------------------------------------------
    def compare(self) -> None:
        r = self.reader
        supply = int(r.call("AgoraToken", "totalSupply"))
        self._check(
            supply == self.minted - self.burned, f"supply {supply} but minted {self.minted} - burned {self.burned}"
        )
        self._check(
            sum(self.balances.values()) == supply, "the balances rebuilt from transfers do not add up to the supply"
        )
        for account, balance in sorted(self.balances.items()):
            held = r.token_balance(account)
            self._check(held == balance, f"{account} holds {held} AGR-wei, the transfers give {balance}")
        self._market_owes(r)
        self._stakes_owe(r)
        self._court_owes(r)
        agr = format_tokens
        self.report.notes.append(
            f"supply {agr(supply)} AGR = minted {agr(self.minted)} - burned {agr(self.burned)}, "
            f"in {sum(1 for b in self.balances.values() if b)} accounts, as of block {r.at}"
        )
        for contract, amount in self.donations.items():
            if amount:
                self.report.notes.append(
                    f"{format_tokens(amount)} AGR was sent straight to {self.protocol[contract]}: held, owed to nobody"
                )

    def _market_owes(self, r: ChainReader) -> None:
        for account, balance in sorted(self.deposits.items()):
            held = int(r.call("JobMarket", "balanceOf", account))
            self._check(held == balance, f"{account}'s market balance is {held}, the events give {balance}")
        open_escrow = 0
        for job_id, left in self.escrow.items():
            if left:
                held = int(r.call("JobMarket", "escrowOf", job_id))
                self._check(held == left, f"job {short(job_id)} holds escrow {held}, the events give {left}")
                open_escrow += left
        owed = sum(self.deposits.values()) + open_escrow + self.donations[self.market]
        tokens = r.token_balance(self.market)
        self._check(tokens == owed, f"JobMarket holds {tokens} AGR-wei but owes deposits + open escrow = {owed}")
        deposits = sum(self.deposits.values())
        self.report.notes.append(
            f"JobMarket holds {format_tokens(tokens)} AGR: deposits {format_tokens(deposits)} "
            f"+ escrow of open jobs {format_tokens(open_escrow)}"
        )

    def _stakes_owe(self, r: ChainReader) -> None:
        for account, stake in sorted(self.book.accounts.items()):
            held = tuple(int(x) for x in r.call("StakeManager", "stakeOf", account))
            self._check(
                held == (stake.free, stake.locked, stake.unbonding),
                f"{account}'s stake is {held}, the events give {stake}",
            )
        total = int(r.call("StakeManager", "totalStaked"))
        self._check(
            total == self.book.total_staked, f"totalStaked is {total}, the events give {self.book.total_staked}"
        )
        tokens = r.token_balance(self.stakes)
        owed = self.book.total_staked + self.donations[self.stakes]
        self.report.notes.append(
            f"StakeManager holds {format_tokens(tokens)} AGR: the stakes of {len(self.book.accounts)} accounts"
        )
        self._check(tokens == owed, f"StakeManager holds {tokens} AGR-wei but owes its stakes {owed}")

    def _court_owes(self, r: ChainReader) -> None:
        held_total = 0
        for job_id, case in self.cases.items():
            owed, unpaid = self._owed(job_id, case)
            held_total += case.held
            message = (
                f"the court holds {case.held} AGR-wei for job {short(job_id)} and owes {owed} "
                "(it may keep at most a wei per pro-rata payment)"
            )
            self._check(0 <= case.held - owed <= case.shares + unpaid, message)
        tokens = r.token_balance(self.court)
        owed = held_total + self.donations[self.court]
        self.report.notes.append(f"Court holds {format_tokens(tokens)} AGR for {len(self.cases)} cases")
        self._check(tokens == owed, f"Court holds {tokens} AGR-wei, its cases account for {owed}")

    def _check(self, condition: bool, message: str) -> None:
        self.report.expect(condition, "conservation", message, block=self.reader.at)

    def _fail(self, message: str, e: ev.Event) -> None:
        self.report.fail("conservation", message, job_id=getattr(e, "job_id", None), block=e.block, tx_hash=e.tx_hash)
