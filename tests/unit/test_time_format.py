"""Chain times and durations in words (ledger.format_time, ledger.format_duration)."""

from __future__ import annotations

from ledger import format_duration, format_time


def test_times_and_durations_read_as_people_read_them() -> None:
    assert format_time(0) == "1970-01-01 00:00:00 UTC"
    assert [format_duration(s) for s in (0, 59, 60, 95, 3600, 11387, 2 * 86400 + 3600)] == [
        "0 s",
        "59 s",
        "1 min",
        "1 min 35 s",
        "1 h",
        "3 h 9 min",
        "2 days 1 h",
    ]
