"""Store node processes for tests: start, kill, freeze, and where their shards live."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from ..conftest import ROOT, free_port


@dataclass
class Node:
    url: str
    dir: Path | None
    region: str
    proc: subprocess.Popen[bytes]
    args: list[str]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self) -> None:
        """Starts the node again on the same port and directory."""
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_up(self.url, self.proc)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def shard_path(self, digest: str) -> Path:
        assert self.dir is not None
        return self.dir / "shards" / digest


def start_node(directory: Path | None, *, region: str = "", extra: list[str] | None = None) -> Node:
    port = free_port()
    args = [sys.executable, "-m", "cli", "store", "serve", "--port", str(port), "--region", region]
    if directory is not None:
        args += ["--dir", str(directory)]
    args += extra or []
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    _wait_up(url, proc)
    return Node(url, directory, region, proc, args)


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"store node exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if requests.get(f"{url}/info", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"store node at {url} did not start")


def start_cluster(root: Path, regions: list[str]) -> list[Node]:
    return [start_node(root / f"node{i}", region=r) for i, r in enumerate(regions)]


def stop_all(nodes: list[Node]) -> None:
    for node in nodes:
        if node.proc.poll() is None:
            node.thaw()
            node.proc.terminate()
    for node in nodes:
        try:
            node.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.proc.kill()
