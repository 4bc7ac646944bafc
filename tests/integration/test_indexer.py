"""The chain indexer on SQLite and PostgreSQL: jobs, slots and settlements from events alone;
a crash repeats nothing; a rebuild yields the same rows; a reorganised chain is followed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger import EmbeddedChain, JobMarket, SlashReason, Transactor, connect, deploy, dev_account
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer
from marketplace.models import Base, EventRow, IntakeRow, JobRow, SettlementRow, SlotRow

from .databases import database
from .market_helpers import AGR, fund_actors, make_request, post


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database(request.param, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every projection and of the events, without surrogate ids, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with Session(engine) as s:
        for model in (EventRow, JobRow, SlotRow, SettlementRow):
            columns = [c for c in model.__table__.columns if c.name != "id"]
            out[model.__tablename__] = sorted(
                (tuple(str(getattr(r, c.name)) for c in columns) for r in s.scalars(select(model))), key=str
            )
    return out


def chain_with_jobs(tmp_path: Path):  # type: ignore[no-untyped-def]
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path / "home", audit_bps=0)
    actors = fund_actors(w3, deployment, workers=2)
    return w3, deployment, actors


def run_jobs(w3, actors) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    """A k=1 job revealed and accepted (paid, refunded), and a k=1 job locked and left to expire
    (slashed for the missed deadline)."""
    truth, salt = b"\x11" * 32, b"\x22" * 32
    done = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[0].lock(done)
    actors.workers[0].reveal(done, 0, truth, salt, b"\x33" * 32)
    actors.requester.accept(done)
    missed = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[1].lock(missed)
    w3.provider.make_request("evm_increaseTime", [4 * 3600])
    actors.workers[1].expire(missed)
    return done, missed


def test_jobs_slots_and_settlements_come_from_events(engine: Engine, tmp_path: Path) -> None:
    w3, deployment, actors = chain_with_jobs(tmp_path)
    done, missed = run_jobs(w3, actors)
    indexer = Indexer(w3, deployment, engine, batch_blocks=5)
    assert indexer.catch_up() > 0
    with Session(engine) as s:
        job = s.get(JobRow, "0x" + done.hex())
        assert job is not None and job.status == "settled" and job.result_digest == "0x" + "11" * 32
        assert job.requester == dev_account(1).address and job.escrow == 10 * AGR and job.mode == "redundant"
        slot = s.get(SlotRow, ("0x" + done.hex(), 0))
        assert slot is not None and slot.worker == actors.workers[0].transactor.address and slot.price == 10 * AGR
        assert slot.digest == "0x" + "11" * 32 and slot.result_cid == "0x" + "33" * 32 and not slot.auditor
        money = {(r.kind, r.account, int(r.amount), r.reason) for r in s.scalars(select(SettlementRow))}
        worker1 = actors.workers[1].transactor.address
        assert ("paid", actors.workers[0].transactor.address, 10 * AGR, None) in money
        assert ("slashed", worker1, 50 * AGR, SlashReason.DEADLINE_MISSED.describe()) in money
        assert ("refunded", dev_account(1).address, 10 * AGR, None) in money  # the missed job's escrow
        assert s.get(JobRow, "0x" + missed.hex()).status == "expired"  # type: ignore[union-attr]
    assert indexer.step() == 0  # caught up: nothing stored twice


def test_a_listener_is_woken_after_each_step_that_stored_events_and_not_after_it_stops(
    engine: Engine, tmp_path: Path
) -> None:
    """What an event stream waits on: woken once the step's rows are committed (they are
    readable then), not by a step that found nothing, never once it stopped listening."""
    w3, deployment, actors = chain_with_jobs(tmp_path)
    indexer = Indexer(w3, deployment, engine, batch_blocks=1_000)
    seen: list[int] = []

    def wake() -> None:
        with Session(engine) as s:  # the rows are there when the listener hears of them
            seen.append(s.scalar(select(func.count()).select_from(EventRow)) or 0)

    def broken() -> None:
        raise ValueError("a listener's own failure")

    indexer.listen(broken)  # logged; neither the step nor the other listeners stop for it
    stop = indexer.listen(wake)
    assert indexer.catch_up() > 0 and len(seen) == 1  # the actors' deposits, in one step
    seen.clear()
    run_jobs(w3, actors)
    assert indexer.step() > 0 and len(seen) == 1 and seen[0] > 0
    assert indexer.step() == 0 and len(seen) == 1
    stop()
    post(actors, make_request(w3, k=1, q=1, ramp=0))
    assert indexer.step() > 0 and len(seen) == 1


def test_a_slot_given_back_leaves_the_slots_the_contract_holds(engine: Engine, tmp_path: Path) -> None:
    """w0 and w1 lock a k=3 job, w1 commits, w0 gives its slot back (w1's moves into slot 0, its
    commitment with it), w2 takes slot 1: the index holds exactly the contract's slots."""
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path / "home", audit_bps=0)
    actors = fund_actors(w3, deployment, workers=3)
    w = actors.workers
    job = post(actors, make_request(w3, k=3, q=2, ramp=0))
    w[0].lock(job)
    w[1].lock(job)
    w[1].commit(job, 1, b"\x11" * 32, b"\x22" * 32)
    assert w[0].release(job, 0) == 1
    indexer = Indexer(w3, deployment, engine, batch_blocks=4)
    indexer.catch_up()
    w[2].lock(job)
    indexer.catch_up()
    market = JobMarket(w3, deployment)
    held = [(i, market.slot(job, i).worker) for i in range(market.job(job).locked)]
    assert held == [(0, w[1].transactor.address), (1, w[2].transactor.address)]
    with Session(engine) as s:
        slots = s.scalars(select(SlotRow).where(SlotRow.job_id == "0x" + job.hex()).order_by(SlotRow.slot)).all()
        assert [(r.slot, r.worker) for r in slots] == held
        assert slots[0].committed and not slots[1].committed
    indexed = rows(engine)
    Indexer(w3, deployment, engine).rebuild()  # the same slots from the events alone
    assert rows(engine) == indexed


def test_a_crash_repeats_nothing_and_a_rebuild_yields_the_same_rows(engine: Engine, tmp_path: Path) -> None:
    w3, deployment, actors = chain_with_jobs(tmp_path)
    run_jobs(w3, actors)
    first = Indexer(w3, deployment, engine, batch_blocks=3)
    first.step()
    first.step()  # then the process dies: a new indexer resumes from the cursor
    Indexer(w3, deployment, engine, batch_blocks=4).catch_up()
    incremental = rows(engine)
    assert incremental["events"] and len(set(incremental["events"])) == len(incremental["events"])
    Indexer(w3, deployment, engine).rebuild()
    assert rows(engine) == incremental


def test_a_reorganised_chain_is_followed(engine: Engine, tmp_path: Path) -> None:
    """Jobs indexed on a branch the chain then abandons disappear from the index, with their
    slots and settlements; what the new branch holds is indexed; the result equals a rebuild."""
    w3, deployment, actors = chain_with_jobs(tmp_path)
    kept = post(actors, make_request(w3, k=1, q=1, ramp=0))
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    gone = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[0].lock(gone)
    indexer = Indexer(w3, deployment, engine)
    indexer.catch_up()
    with Session(engine) as s:
        assert s.get(JobRow, "0x" + gone.hex()) is not None
    w3.provider.make_request("evm_revert", [snapshot])
    for _ in range(3):  # the new branch grows past the old one's height
        w3.provider.make_request("evm_mine", [])
    replacement = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[1].lock(replacement)
    indexer.catch_up()
    with Session(engine) as s:
        assert s.get(JobRow, "0x" + gone.hex()) is None
        assert s.scalars(select(SlotRow).where(SlotRow.job_id == "0x" + gone.hex())).all() == []
        assert s.get(JobRow, "0x" + kept.hex()) is not None
        slot = s.get(SlotRow, ("0x" + replacement.hex(), 0))
        assert slot is not None and slot.worker == actors.workers[1].transactor.address
    after = rows(engine)
    Indexer(w3, deployment, engine).rebuild()
    assert rows(engine) == after


def test_the_schema_is_the_models(engine: Engine) -> None:
    """The migrations make exactly the tables and columns the models declare."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}


def test_amounts_are_kept_to_the_wei(engine: Engine) -> None:
    """Any uint256 comes back digit for digit, on SQLite too (whose NUMERIC keeps only 64-bit
    integers exactly, and whose driver binds a Decimal as a float)."""
    amounts = [1_001_666_666_666_666_666, 2**64 + 1, 2**256 - 1, 0]
    with Session(engine) as s, s.begin():
        s.add(
            IntakeRow(
                job_id="0x" + "ee" * 32,
                requester="0x" + "00" * 20,
                nonce="1",
                request={},
                signature="0x",
                escrow=amounts[0],
                status="accepted",
                accepted_at=0.0,
            )
        )
        for i, amount in enumerate(amounts):
            s.add(
                IntakeRow(
                    job_id=f"0x{i:064x}",
                    requester="0x" + "11" * 20,
                    nonce=str(i),
                    request={},
                    signature="0x",
                    escrow=amount,
                    status="failed",
                    accepted_at=0.0,
                )
            )
    with Session(engine) as s:
        back = [int(r.escrow) for r in s.scalars(select(IntakeRow).where(IntakeRow.status == "failed"))]
    assert sorted(back) == sorted(amounts)


@pytest.mark.anvil
def test_a_reorganisation_on_anvil_is_followed(anvil_url: str, tmp_path: Path) -> None:
    """The same on anvil, by its own `evm_snapshot` and `evm_revert` (SQLite)."""
    w3 = connect(anvil_url)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path / "home", audit_bps=0)
    actors = fund_actors(w3, deployment, workers=1)
    engine = make_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    migrate(engine)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    gone = post(actors, make_request(w3, k=1, q=1, ramp=0))
    indexer = Indexer(w3, deployment, engine)
    indexer.catch_up()
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    for _ in range(2):
        w3.provider.make_request("evm_mine", [])
    # relayed by an account that sent nothing on the abandoned branch (the requester's nonce moved there)
    request = make_request(w3, k=1, q=1, ramp=0)
    relay = actors.workers[0]
    kept = relay.post_job(request, request.sign(dev_account(1), chain_id=w3.eth.chain_id, market=relay.address))
    indexer.catch_up()
    with Session(engine) as s:
        assert s.get(JobRow, "0x" + gone.hex()) is None
        assert s.get(JobRow, "0x" + kept.hex()) is not None
    after = rows(engine)
    Indexer(w3, deployment, engine).rebuild()
    assert rows(engine) == after
