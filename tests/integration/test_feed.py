"""The worker's view of the market: every event once, in order, across restarts."""

from __future__ import annotations

from pathlib import Path

from ledger import (
    EmbeddedChain,
    EventDecoder,
    JobFeed,
    SlashReason,
    Transactor,
    artifact,
    connect,
    deploy,
    dev_account,
)
from ledger import events as ev
from ledger.events import JobLocked, JobPosted

from .market_helpers import chain_now, fund_actors, make_request, post


def test_feed_sees_every_job_once_across_restarts(tmp_path: Path) -> None:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path / "home", audit_bps=0)
    actors = fund_actors(w3, deployment, workers=1)
    state = tmp_path / "worker" / "feed.sqlite"

    first = [post(actors, make_request(w3, k=1, q=1)) for _ in range(3)]
    feed = JobFeed(w3, deployment, state, batch_blocks=3)
    seen: list[bytes] = []
    for events, last in feed.follow():
        seen += [e.job_id for e in events if isinstance(e, JobPosted)]
        feed.acknowledge(last)
    assert seen == first
    assert feed.poll()[0] == []  # caught up: nothing new
    feed.close()

    # A batch handed out but not acknowledged (a crash while acting on it) comes again.
    second = [post(actors, make_request(w3, k=1, q=1)) for _ in range(2)]
    crashed = JobFeed(w3, deployment, state)
    events, _ = crashed.poll()
    assert [e.job_id for e in events if isinstance(e, JobPosted)] == second
    crashed.close()

    again = JobFeed(w3, deployment, state)
    events, last = again.poll()
    assert [e.job_id for e in events if isinstance(e, JobPosted)] == second
    again.acknowledge(last)
    request = next(e for e in events if isinstance(e, JobPosted)).request
    assert request.struct_hash() == second[0]
    lock_job = second[1]
    actors.workers[0].lock(lock_job)
    events, last = again.poll()
    assert [(type(e), e.job_id) for e in events] == [(JobLocked, lock_job)]
    assert isinstance(events[0], JobLocked) and events[0].worker == dev_account(2).address
    again.close()


def test_every_event_decodes_to_its_typed_record(tmp_path: Path) -> None:
    """Logs of every contract decode into `ledger.events` records with Python types: a posted
    request is the `JobRequest` that was signed, a slash reason its enum, a token transfer (whose
    name another contract shares with other arguments) the token's own record; the record of every
    (contract, event) of the shipped ABIs exists."""
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path / "home", audit_bps=0)
    actors = fund_actors(w3, deployment, workers=1)
    request = make_request(w3, k=1, q=1, ramp=0, reveal_deadline=chain_now(w3) + 10_800)
    job_id = post(actors, request)
    actors.workers[0].lock(job_id)
    w3.provider.make_request("evm_increaseTime", [10_801])  # type: ignore[arg-type]
    actors.workers[0].expire(job_id)  # locked, never revealed: slashed for the missed deadline
    decoder = EventDecoder(w3, deployment)
    logs = w3.eth.get_logs({"fromBlock": deployment.block, "toBlock": "latest", "address": decoder.addresses})
    records = decoder.decode_all(logs)
    assert len(records) == len(logs)  # every log of the deployment's contracts has a record
    posted = next(r for r in records if isinstance(r, ev.JobPosted))
    assert posted.request == request and posted.job_id == job_id and posted.escrow == request.max_price
    slashed = next(r for r in records if isinstance(r, ev.WorkerSlashed))
    assert slashed.reason is SlashReason.DEADLINE_MISSED and slashed.worker == actors.workers[0].transactor.address
    transfer = next(r for r in records if isinstance(r, ev.AgoraTokenTransfer))
    assert transfer.address == deployment.address("AgoraToken") and isinstance(transfer.value, int)
    assert [(r.block, r.log_index) for r in records] == sorted((r.block, r.log_index) for r in records)
    for name in deployment.contracts:
        for entry in artifact(name)["abi"]:
            if entry["type"] == "event":
                record = ev.EVENTS[(name, entry["name"])]
                assert [abi for abi, _, _ in record.FIELDS] == [p["name"] for p in entry["inputs"]]
