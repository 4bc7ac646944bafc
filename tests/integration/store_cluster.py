"""Store node processes for tests: start, kill, freeze, and where their shards live; the test
writer whose signature the nodes accept, and signed raw requests."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from store import authorization

from ..conftest import ROOT, free_port

WRITER: LocalAccount = Account.from_key(hashlib.sha256(b"agora store test writer").digest())
"""The account test nodes accept writes from (``--writers WRITER.address``) unless told otherwise."""


def signed_put(
    url: str, path: str, body: bytes, *, account: LocalAccount = WRITER, expires: int | None = None, **kwargs: object
) -> requests.Response:
    """``PUT url+path`` with a body, signed by ``account`` (valid for 10 minutes unless ``expires``)."""
    when = int(time.time()) + 600 if expires is None else expires
    headers = {"Authorization": authorization(account, path, len(body), when)}
    return requests.put(url + path, data=body, headers=headers, **kwargs)  # type: ignore[arg-type]


@dataclass
class Node:
    url: str
    dir: Path | None
    region: str
    proc: subprocess.Popen[bytes]
    args: list[str]
    env: dict[str, str] | None = None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self) -> None:
        """Starts the node again on the same port and directory."""
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env
        )
        _wait_up(self.url, self.proc)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def shard_path(self, digest: str) -> Path:
        assert self.dir is not None
        return self.dir / "shards" / digest


def start_node(
    directory: Path | None,
    *,
    region: str = "",
    extra: list[str] | None = None,
    writers: str | None = None,
    env: dict[str, str] | None = None,
) -> Node:
    """`agora store serve` on a free port; writes accepted from ``writers`` (default: `WRITER`)."""
    port = free_port()
    args = [sys.executable, "-m", "cli", "store", "serve", "--port", str(port), "--region", region]
    if directory is not None:
        args += ["--dir", str(directory)]
    args += ["--writers", writers or WRITER.address, *(extra or [])]
    proc = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or os.environ.copy()
    )
    url = f"http://127.0.0.1:{port}"
    _wait_up(url, proc)
    return Node(url, directory, region, proc, args, env)


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


def start_cluster(
    root: Path, regions: list[str], *, writers: str | None = None, env: dict[str, str] | None = None
) -> list[Node]:
    return [start_node(root / f"node{i}", region=r, writers=writers, env=env) for i, r in enumerate(regions)]


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
