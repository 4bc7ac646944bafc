"""`HOME/up.json`, which tells other commands where the market `agora up` runs is: a file whose
process is gone, or whose pid has since been given to another program, names no market (so
`agora up down` never signals a process that is not `agora up`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cli import _market


def _recorded(home: Path, pid: int) -> None:
    _market.write(home, _market.Running(pid, "http://127.0.0.1:9", [], 1, 1, None, time.time()))


def test_a_market_whose_process_runs_agora_up_is_found(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "cli", "up"])
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        deadline = time.monotonic() + 10
        while b"\0up" not in cmdline.read_bytes():  # until the child has become that program
            assert time.monotonic() < deadline
            time.sleep(0.01)
        _recorded(tmp_path, proc.pid)
        found = _market.running(tmp_path)
        assert found is not None and found.pid == proc.pid and found.parts == {} and found.ready
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_given_to_another_program_names_no_market(tmp_path: Path) -> None:
    _recorded(tmp_path, os.getpid())  # alive, but pytest, not agora up
    assert _market.running(tmp_path) is None


def test_a_pid_no_process_has_names_no_market(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass", "cli", "up"])
    proc.wait()
    _recorded(tmp_path, proc.pid)
    assert _market.running(tmp_path) is None
