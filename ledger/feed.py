"""Typed chain events, and following the market from a persisted cursor: every event once,
across restarts.

`EventDecoder` turns logs of the deployment's contracts into the typed records of `ledger.events`
(generated from the shipped ABIs). `JobFeed` follows the market's and the court's job events with
it; the worker daemon, the verifier and the API's indexer follow the market through it.

The cursor (the last block whose events were all handed out) lives in a SQLite file; a caller
acknowledges a batch only after acting on it, so a crash repeats at most the unacknowledged
batch and never skips an event.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract.contract import ContractEvent

from ._tx import mapped_errors
from .artifacts import artifact
from .court import CasePhase
from .deployment import Deployment
from .errors import ChainUnavailable, LedgerError
from .events import EVENTS, Event, JobEvent
from .model import JobRequest, JobStatus, Mode, SlashReason, Verdict

_CONVERT: dict[str, Callable[[Any], Any]] = {
    "bytes": bytes,
    "str": str,
    "int": int,
    "bool": bool,
    "JobRequest": JobRequest.from_abi,
    "JobStatus": JobStatus,
    "Mode": Mode,
    "SlashReason": SlashReason,
    "CasePhase": CasePhase,
    "Verdict": Verdict,
}


class EventDecoder:
    """Decodes logs of the deployment's ``contracts`` (all by default) into typed records,
    optionally ``only`` of the given types; `addresses` and `topics` are what to ask the node for."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        contracts: Iterable[str] | None = None,
        *,
        only: Collection[type[Event]] | None = None,
    ) -> None:
        self._by_topic: dict[tuple[ChecksumAddress, bytes], tuple[ContractEvent, type[Event]]] = {}
        for name in contracts if contracts is not None else deployment.contracts:
            if name not in deployment.contracts:
                continue
            contract = w3.eth.contract(
                address=Web3.to_checksum_address(deployment.address(name)), abi=artifact(name)["abi"]
            )
            for entry in artifact(name)["abi"]:
                if entry["type"] != "event":
                    continue
                cls = EVENTS[(name, entry["name"])]
                if only is not None and cls not in only:
                    continue
                event = getattr(contract.events, entry["name"])()
                self._by_topic[(contract.address, bytes.fromhex(event.topic.removeprefix("0x")))] = (event, cls)
        self.addresses = sorted({address for address, _ in self._by_topic})
        self.topics = sorted({topic for _, topic in self._by_topic})

    def decode(self, log: Mapping[str, Any]) -> Event | None:
        """The record of one log; None for a log of another contract or an event not asked for."""
        if not log["topics"]:
            return None
        found = self._by_topic.get((Web3.to_checksum_address(log["address"]), bytes(log["topics"][0])))
        if found is None:
            return None
        event, cls = found
        args = event.process_log(log)["args"]  # type: ignore[arg-type]
        values = {field: _CONVERT[kind](args[abi]) for abi, field, kind in cls.FIELDS}
        return cls(
            block=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            tx_hash=bytes(log["transactionHash"]),
            address=Web3.to_checksum_address(log["address"]),
            **values,
        )

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[Event]:
        """Records of ``logs`` in chain order (what is not asked for is left out)."""
        ordered = sorted(logs, key=lambda entry: (entry["blockNumber"], entry["logIndex"]))
        return [e for e in map(self.decode, ordered) if e is not None]


def job_event_decoder(w3: Web3, deployment: Deployment) -> EventDecoder:
    """A decoder of the market's and the court's job events (`JobEvent`s), and of nothing else:
    what the feed hands out and the marketplace indexes."""
    contracts = ("JobMarket", "Court")
    only = [cls for (name, _), cls in EVENTS.items() if name in contracts and issubclass(cls, JobEvent)]
    return EventDecoder(w3, deployment, contracts, only=only)


class JobFeed:
    """The market's and the court's job events (`JobEvent`s) in chain order, from a cursor kept in
    ``state`` (a SQLite file)."""

    def __init__(self, w3: Web3, deployment: Deployment, state: Path, *, batch_blocks: int = 2_000) -> None:
        self.w3 = w3
        self.market = Web3.to_checksum_address(deployment.address("JobMarket"))
        self.batch_blocks = batch_blocks
        state.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(state))
        self._db.execute("CREATE TABLE IF NOT EXISTS cursor (market TEXT PRIMARY KEY, block INTEGER NOT NULL)")
        self._db.commit()
        self._start = deployment.block
        self.decoder = job_event_decoder(w3, deployment)

    @property
    def cursor(self) -> int:
        """The last block whose events have all been acknowledged."""
        row = self._db.execute("SELECT block FROM cursor WHERE market = ?", (self.market,)).fetchone()
        return int(row[0]) if row else self._start - 1

    def acknowledge(self, block: int) -> None:
        """Records that every event up to ``block`` was acted on."""
        self._db.execute(
            "INSERT INTO cursor (market, block) VALUES (?, ?) ON CONFLICT(market) DO UPDATE SET block = excluded.block",
            (self.market, block),
        )
        self._db.commit()

    def poll(self) -> tuple[list[JobEvent], int]:
        """New events after the cursor (at most one batch of blocks), and the block they reach."""
        with mapped_errors():
            head = int(self.w3.eth.block_number)
            first = self.cursor + 1
            if first > head:
                return [], head
            last = min(head, first + self.batch_blocks - 1)
            logs = self.w3.eth.get_logs({"fromBlock": first, "toBlock": last, "address": self.decoder.addresses})
        # Every event followed is a job event (deposits, withdrawals and parameters are left out).
        return [e for e in self.decoder.decode_all(logs) if isinstance(e, JobEvent)], last

    def drain(self, handle: Callable[[JobEvent], None]) -> bool:
        """Hands one batch of new events to ``handle``, in order, then acknowledges it (a crash in
        between repeats the batch). True if there were any."""
        events, last = self.poll()
        for event in events:
            handle(event)
        if last > self.cursor:
            self.acknowledge(last)
        return bool(events)

    def follow(self) -> Iterator[tuple[list[JobEvent], int]]:
        """Batches until caught up with the head (acknowledge each after acting on it)."""
        while True:
            events, last = self.poll()
            if not events and last <= self.cursor:
                return
            yield events, last

    def close(self) -> None:
        self._db.close()


def run_until(
    stop: threading.Event,
    tick: Callable[[], bool],
    *,
    interval: float,
    log: logging.Logger,
    wake: threading.Event | None = None,
) -> None:
    """Calls ``tick`` until ``stop`` is set: again at once while it reports work done, else after
    ``interval`` or as soon as ``wake`` is set (whoever sets ``stop`` sets ``wake`` too); a chain
    outage or a refused transaction is logged and waited out (backing off up to 10 s). The loop
    of every daemon that follows the market."""
    backoff = interval
    while not stop.is_set():
        if wake is not None:
            wake.clear()  # before the tick: a wake set during it is for work it may have missed
        try:
            busy = tick()
            backoff = interval
        except ChainUnavailable as exc:
            log.warning("chain unavailable (%s); retrying in %.1fs", exc, backoff)
            busy = False
            backoff = min(backoff * 2, 10.0)
        except LedgerError as exc:  # e.g. a node refusing a transaction: log, wait, go on
            log.error("%s; retrying in %.1fs", exc, backoff)
            busy = False
            backoff = min(backoff * 2, 10.0)
        if not busy:
            (wake or stop).wait(backoff)
