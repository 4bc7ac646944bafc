"""`agora up`: the whole local marketplace in one command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ledger import Transactor, connect, deploy, dev_account

from . import _common as c

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]


def _wait_for_rpc(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    w3 = connect(url, timeout=1)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            c.fail(f"the chain server exited with code {proc.returncode}")
        try:
            w3.eth.chain_id  # noqa: B018 - a probe
            return
        except Exception:
            time.sleep(0.1)
    c.fail(f"the chain server did not answer at {url} within {timeout:.0f}s")


def up(
    home: HomeOpt = None,
    rpc_port: Annotated[int, typer.Option(help="Port of the chain's JSON-RPC endpoint.")] = 8545,
) -> None:
    """Start the marketplace on the embedded chain: serve the chain, deploy the contracts, run
    until Ctrl-C. State persists under --home, so a restart continues where it stopped."""
    state = c.home(home)
    url = f"http://127.0.0.1:{rpc_port}"
    children: list[subprocess.Popen[bytes]] = []
    cmd = [sys.executable, "-m", "cli", "chain", "serve", "--home", str(state), "--port", str(rpc_port)]
    children.append(subprocess.Popen(cmd))
    try:
        _wait_for_rpc(url, children[0])
        w3 = connect(url)
        deployment, fresh = deploy(w3, Transactor(w3, dev_account(0)), state)
        typer.echo(f"chain      {url}  (chain id {deployment.chain_id}, state in {state})")
        verb = "deployed" if fresh else "already deployed"
        typer.echo(f"contracts  {verb}: AgoraToken at {deployment.address('AgoraToken')}")
        typer.echo("ready: Ctrl-C stops everything")
        _supervise(children)
    finally:
        for proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in children:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop:
            for proc in children:
                if proc.poll() is not None:
                    c.fail(f"{' '.join(map(str, proc.args[3:5]))} exited with code {proc.returncode}")  # type: ignore[index]
            time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("stopping")
