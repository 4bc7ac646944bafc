"""The verifier's check log on disk: duties at their latest step, and a log from before it kept them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from duties import Posting
from verifier import CheckLog, DutyRecord

JOB = b"\x01" * 32


def test_a_duty_is_kept_at_its_latest_step_with_the_vote_it_named(tmp_path: Path) -> None:
    log = CheckLog(tmp_path / "checks.sqlite")
    log.note_duty(DutyRecord(JOB, "juror", 0, "drawn as a juror for round 0 (3 seats)"))
    log.note_duty(DutyRecord(JOB, "juror", 0, "judged it: ok, fuel 1768", "0x11"))
    log.note_duty(DutyRecord(JOB, "juror", 0, "paid 30 AGR for its seats"))  # no digest: keeps its vote
    log.note_duty(DutyRecord(JOB, "auditor", 2, "drawn as its auditor"))
    log.close()
    again = CheckLog(tmp_path / "checks.sqlite")
    assert [(d.role, d.place, d.note, d.digest) for d in again.duties()] == [
        ("juror", 0, "paid 30 AGR for its seats", "0x11"),
        ("auditor", 2, "drawn as its auditor", ""),
    ]
    assert again.duty(JOB, "juror") is not None and again.duty(b"\x02" * 32, "juror") is None
    again.close()


def test_a_log_written_before_it_kept_redundancy_still_opens_and_says_where_jobs_were_posted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "checks.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE posted (job_id BLOB PRIMARY KEY, block INTEGER NOT NULL)")
    old.execute("INSERT INTO posted VALUES (?, ?)", (JOB, 7))
    old.commit()
    old.close()
    log = CheckLog(path)
    log.remember_posted(b"\x02" * 32, 9, 3)
    assert log.posting(JOB) == Posting(7, 0)  # k unknown: its last lock is not recognised
    assert log.posting(b"\x02" * 32) == Posting(9, 3)
    assert log.posting(b"\x03" * 32) is None
    log.close()
