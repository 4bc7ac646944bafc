"""Fixtures shared by every test layer: chain backends started once per session."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
ANVIL = next(iter(sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))), None)
CAST = next(iter(sorted((ROOT / "node_modules" / "@foundry-rs").glob("cast-*/bin/cast"))), None)


LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}


def listening(root: psutil.Process) -> list[tuple[str, str, int]]:
    """(process name, address, port) of every listening TCP socket in ``root``'s process tree."""
    out = []
    for proc in [root, *root.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
            name = proc.name()
        except psutil.NoSuchProcess:
            continue
        out += [(name, c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN]
    return out


_PORTS = random.SystemRandom()  # not the module's generator, which Hypothesis seeds in its tests


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server in this process answering with ``handler`` (a thread per connection): its
    URL, for as long as the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A free port on 127.0.0.1 for a server a test starts, chosen at random between 20000 and
    32767: outside the kernel's ephemeral range (32768-60999, where every outgoing connection and
    every port-0 bind lands) and Ray's worker ports (10002-19999), so that nothing else on the
    machine (another test process, a Ray cluster) takes it before the server binds it."""
    for _ in range(500):
        port = _PORTS.randrange(20000, 32768)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32767")


def wait_for_rpc(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            reply = requests.post(
                url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1
            )
            if reply.ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered at {url} within {timeout}s")


def start_chain_server(
    home: Path, port: int, *, env: dict[str, str] | None = None, args: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """`agora chain serve` in a child process (``env``: settings to add); the caller stops it.

    Its log goes to ``home/serve.log``.
    """
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "chain", "serve", "--home", str(home), "--port", str(port), *(args or [])],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(home / "serve.log").open("ab"),  # a file: a full pipe would stop the server
        env={**os.environ, **(env or {})},
    )
    wait_for_rpc(f"http://127.0.0.1:{port}", proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stops a process started in a session of its own, with everything in its group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def served_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an `agora chain serve` process over a fresh state directory."""
    port = free_port()
    proc = start_chain_server(tmp_path_factory.mktemp("served"), port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """URL of an anvil node (from the npm package), chain id 31337, the same dev accounts."""
    if ANVIL is None:
        pytest.fail("anvil is not installed: run `make deps`")
    port = free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--chain-id", "31337", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_rpc(url, proc)
    yield url
    stop(proc)


@pytest.fixture(scope="session")
def cast_bin() -> str:
    if CAST is None or not shutil.which(str(CAST)):
        pytest.fail("cast is not installed: run `make deps`")
    return str(CAST)
