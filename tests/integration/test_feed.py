"""The worker's view of the market: every event once, in order, across restarts."""

from __future__ import annotations

from pathlib import Path

from ledger import EmbeddedChain, JobFeed, Transactor, connect, deploy, dev_account

from .market_helpers import fund_actors, make_request, post


def test_feed_sees_every_job_once_across_restarts(tmp_path: Path) -> None:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path / "home", audit_bps=0)
    actors = fund_actors(w3, deployment, workers=1)
    state = tmp_path / "worker" / "feed.sqlite"

    first = [post(actors, make_request(w3, k=1, q=1)) for _ in range(3)]
    feed = JobFeed(w3, deployment, state, batch_blocks=3)
    seen: list[bytes] = []
    for events, last in feed.follow():
        seen += [e.job_id for e in events if e.name == "JobPosted"]
        feed.acknowledge(last)
    assert seen == first
    assert feed.poll()[0] == []  # caught up: nothing new
    feed.close()

    # A batch handed out but not acknowledged (a crash while acting on it) comes again.
    second = [post(actors, make_request(w3, k=1, q=1)) for _ in range(2)]
    crashed = JobFeed(w3, deployment, state)
    events, _ = crashed.poll()
    assert [e.job_id for e in events if e.name == "JobPosted"] == second
    crashed.close()

    again = JobFeed(w3, deployment, state)
    events, last = again.poll()
    assert [e.job_id for e in events if e.name == "JobPosted"] == second
    again.acknowledge(last)
    request = next(e for e in events if e.name == "JobPosted").request()
    assert request.struct_hash() == second[0]
    lock_job = second[1]
    actors.workers[0].lock(lock_job)
    events, last = again.poll()
    assert [(e.name, e.job_id) for e in events] == [("JobLocked", lock_job)]
    assert events[0].args["worker"] == dev_account(2).address
    again.close()
