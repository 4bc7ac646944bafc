"""`agora up` (what `make run` starts): a whole local network that stops cleanly and restarts."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from ledger import Token, connect, load_deployment

from ..conftest import ROOT, free_port


def start_up(home: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--home", str(home), "--rpc-port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("ready"):
            return proc, "".join(lines)
    proc.kill()
    raise AssertionError("agora up never became ready:\n" + "".join(lines))


def test_up_serves_deploys_stops_and_resumes(tmp_path: Path) -> None:
    port = free_port()
    proc, banner = start_up(tmp_path, port)
    try:
        assert "contracts  deployed" in banner
        w3 = connect(f"http://127.0.0.1:{port}")
        deployment = load_deployment(w3, tmp_path)
        assert Token(w3, deployment).total_supply() == 10**24
        height = w3.eth.block_number
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    proc, banner = start_up(tmp_path, port)
    try:
        assert "contracts  already deployed" in banner
        assert connect(f"http://127.0.0.1:{port}").eth.block_number == height
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
