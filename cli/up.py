"""`agora up`: the whole local marketplace in one command.

The chain (served and deployed), store nodes, a Ray head on loopback, and worker daemons that
join it: each a child process, logging to ``HOME/logs/``, restarted when it dies (`_supervise`),
stopped together on Ctrl-C. Every runtime file (logs, Ray's session) lives under the home.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import requests
import typer

from compute import LOOPBACK_RAY_ENV, ray_temp_dir
from ledger import ChainReader, LedgerError, dev_key

from . import _common as c
from . import _market
from ._supervise import Child, Supervisor

if TYPE_CHECKING:
    from ledger import Deployment

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
FIRST_WORKER_ACCOUNT = 2  # development accounts 0 (deployer) and 1 (the examples' requester) stay free
VERIFIER_ACCOUNT = 9  # the last of the ten: the verifier disputes with it
RELAYER_ACCOUNT = 10  # beyond the ten funded at genesis: the API's relayer, given gas by account 0
MAX_WORKERS = VERIFIER_ACCOUNT - FIRST_WORKER_ACCOUNT


def _wait_for(probe: str, what: str, child: Child, check: Callable[[], bool], timeout: float) -> None:
    """Until ``check()`` holds; fails when ``child`` exits first or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.exited() is not None:
            c.fail(f"{what} exited with code {child.exited()} (log: {child.log})")
        if check():
            return
        time.sleep(0.1)
    c.fail(f"{what} did not come up within {timeout:.0f}s ({probe})")


def _chain_answers(url: str) -> bool:
    try:
        ChainReader(url, timeout=1).request("eth_chainId", [])
        return True
    except LedgerError:  # not up yet, whatever the reason
        return False


def _says(child: Child, marker: bytes = b"ready:") -> bool:
    """Whether this start of ``child`` has written ``marker`` to its log."""
    with child.log.open("rb") as fh:
        fh.seek(child.log_offset)
        return marker in fh.read()


def http_ok(url: str) -> bool:
    """Whether ``url`` answers a GET with success within a second."""
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def store_coding(nodes: int) -> tuple[int, int]:
    """(k, m) for ``nodes`` local store nodes: 4+2 from six nodes, else all but one + 1."""
    return (4, 2) if nodes >= 6 else (max(1, nodes - 1), 1)


app = typer.Typer(
    help="The whole marketplace in one command (`agora up`), and the market it runs (status, down).",
    invoke_without_command=True,
)
RAY_WORKER_PORTS = range(10002, 20000)
"""Ports Ray's own workers take by default: its head may not listen among them."""


@app.callback()
@c.reports_errors
def up(
    ctx: typer.Context,
    home: HomeOpt = None,
    rpc_port: Annotated[int, typer.Option(help="Port of the chain's JSON-RPC endpoint.")] = 8545,
    store_nodes: Annotated[int, typer.Option(help="Store node processes (0: none).", min=0)] = 6,
    store_port: Annotated[int, typer.Option(help="Port of the first store node; the others follow.")] = 7001,
    workers: Annotated[
        int, typer.Option(help="Worker daemons (development accounts 2 .. 8).", min=0, max=MAX_WORKERS)
    ] = 3,
    ray_port: Annotated[int, typer.Option(help="Port of the Ray head the workers join.")] = 6390,
    api_port: Annotated[int, typer.Option(help="Port of the REST API (0: none).", min=0, max=65535)] = 8000,
    chain: Annotated[
        str, typer.Option("--chain", help="embedded (py-evm, persisted under the home) or anvil (faster EVM).")
    ] = "embedded",
    anvil_state: Annotated[
        Path | None,
        typer.Option(
            "--state", help="With --chain anvil: the file its state is kept in (default HOME/anvil-state.json)."
        ),
    ] = None,
) -> None:
    """Start the marketplace on the embedded chain: serve the chain, deploy the contracts, start
    store nodes, the REST API, a Ray head, worker daemons and a verifier, and run until Ctrl-C.
    State persists under --home, so a restart continues where it stopped."""
    if ctx.invoked_subcommand is not None:
        return
    if workers and store_nodes < 2:
        c.fail("workers need at least 2 store nodes (--store-nodes)")
    if chain not in ("embedded", "anvil"):
        c.fail(f"--chain is embedded or anvil, not {chain!r}")
    if anvil_state is not None and chain != "anvil":
        c.fail("--state is for --chain anvil (the embedded chain keeps its state under the home)")
    state = c.home(home)
    node = _anvil(state, rpc_port, anvil_state) if chain == "anvil" else None
    try:
        held = _market.lock(state)  # one market per home, for this process's life
    except _market.HomeInUse as exc:
        c.fail(str(exc))
    ports = _ports(rpc_port, store_port, store_nodes, api_port, ray_port if workers else 0)
    if workers and ray_port in RAY_WORKER_PORTS:
        c.fail(f"--ray-port {ray_port} is among the ports Ray gives its workers (10002-19999): choose another")
    if busy := [f"{what} port {port}" for what, port in ports if _port_open(port)]:
        c.fail(f"in use: {', '.join(busy)}; stop what listens there or choose other ports (see --help)")
    try:
        _run(state, rpc_port, store_nodes, store_port, workers, ray_port, api_port, node)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM while it started: what had started is stopped
        pass
    finally:
        _market.remove(state)
        held.close()
    typer.echo("stopped")


def _ports(rpc: int, store: int, nodes: int, api: int, ray: int) -> list[tuple[str, int]]:
    ports = [("the chain's", rpc)] + [(f"store node {i + 1}'s", store + i) for i in range(nodes)]
    return ports + ([("the API's", api)] if api else []) + ([("the Ray head's", ray)] if ray else [])


def _anvil(state: Path, port: int, kept: Path | None) -> list[str]:
    """The command of an anvil on ``port`` with the development accounts, its state loaded from and
    dumped to ``kept`` (every 10 s and on exit)."""
    found = [Path(sys.executable).parent / "anvil", *sorted(Path("node_modules/@foundry-rs").glob("anvil-*/bin/anvil"))]
    binary = next((b for b in found if b.exists()), None)
    if binary is None:
        c.fail("--chain anvil needs Foundry's anvil: run `make deps`")
    kept = kept or state / "anvil-state.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    return [str(binary), "--port", str(port), "--chain-id", "31337", "--silent"] + [
        "--state",
        str(kept),
        "--state-interval",
        "10",
    ]


def _run(
    state: Path,
    rpc_port: int,
    store_nodes: int,
    store_port: int,
    workers: int,
    ray_port: int,
    api_port: int,
    anvil: list[str] | None = None,
) -> None:
    # Ctrl-C stops everything even when `agora up` was started with SIGINT ignored (as a shell
    # script's background job is): Python would otherwise keep it ignored. SIGTERM (`agora up
    # down`, a service manager) stops it the same way while it starts; once ready, `_supervise`
    # takes both.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{rpc_port}"
    current: list[_market.Running] = []  # what up.json says: rewritten as parts start, die and restart

    def record() -> None:
        if current:
            _market.write(state, replace(current[0], parts=supervisor.pids()))

    supervisor = Supervisor(logs, lambda message: typer.echo(f"{time.strftime('%H:%M:%S')} {message}"), record)
    spawn = supervisor.spawn
    agora = [sys.executable, "-m", "cli"]
    try:
        urls = [f"http://127.0.0.1:{store_port + i}" for i in range(store_nodes)]
        k, m = store_coding(store_nodes)
        api = f"http://127.0.0.1:{api_port}" if api_port else None
        current.append(_market.Running(os.getpid(), url, urls, k, m, api, time.time(), ready=False))
        record()  # `agora up status` and `down` find it while it starts
        coding = {"AGORA_STORE_K": str(k), "AGORA_STORE_M": str(m)}  # what every writer of it codes with
        env = {**os.environ, "AGORA_RPC_URL": url, "AGORA_STORE_NODES": ",".join(urls), **coding, **LOOPBACK_RAY_ENV}
        served = anvil or [*agora, "chain", "serve", "--home", str(state), "--port", str(rpc_port)]
        chain = spawn("chain", served)
        _wait_for(url, "the chain server", chain, lambda: _chain_answers(url), 30)
        deployment, fresh = _deployed(url, state)
        kept = anvil[anvil.index("--state") + 1] if anvil else str(state)
        typer.echo(f"chain      {url}  ({'anvil, ' if anvil else ''}chain id {deployment.chain_id}, state in {kept})")
        verb = "deployed" if fresh else "already deployed"
        typer.echo(f"contracts  {verb}: AgoraToken at {deployment.address('AgoraToken')}")
        # What needs only the chain starts at once, then is waited for: the store nodes and the
        # API (given the nodes' URLs; it reaches them later).
        nodes = [
            spawn(
                f"store{i + 1}",
                [
                    *agora,
                    "store",
                    "serve",
                    "--dir",
                    str(state / "store" / f"node{i + 1}"),
                    "--port",
                    str(store_port + i),
                ]
                + ["--writers", "chain", "--home", str(state)],  # writers: accounts with stake or a deposit
                env={**os.environ, "AGORA_RPC_URL": url},
            )
            for i in range(store_nodes)
        ]
        if api is not None:
            server = spawn(
                "api",
                [*agora, "api", "serve", "--port", str(api_port), "--home", str(state)]
                + ["--from", f"dev:{RELAYER_ACCOUNT}", "--store-nodes", ",".join(urls)],
                env={**os.environ, "AGORA_RPC_URL": url, **coding},
            )
        for i, (node, node_url) in enumerate(zip(nodes, urls, strict=True)):
            _wait_for(node_url, f"store node {i + 1}", node, partial(http_ok, f"{node_url}/info"), 30)
        if urls:
            typer.echo(f"store      {store_nodes} nodes, {k}+{m} coding: export AGORA_STORE_NODES={','.join(urls)}")
        if api is not None:  # the API binds its port first thing (and says so), then readies itself
            _wait_for(f"port {api_port}", "the API", server, partial(_says, server, b"bound "), 60)
        if workers:
            # Ray once every port of ours is taken: its processes bind ports of their own.
            _start_workers(spawn, agora, state, env, workers, ray_port)
        if api is not None:
            _wait_for(api, "the API", server, partial(http_ok, f"{api}/healthz"), 60)
            relayer = f"relayer: development account {RELAYER_ACCOUNT}"
            typer.echo(f"api        {api}  (docs at {api}/docs; jobs at {api}/v1/jobs; {relayer})")
        typer.echo(f"logs       {logs}")
        current[0] = replace(current[0], ready=True)
        record()
        _banner(state, url, api)
        typer.echo("ready: Ctrl-C (or `agora up down`) stops everything")
        _supervise(supervisor)
    finally:
        # Workers first (they finish their transactions), then Ray, the store and the chain. A
        # second Ctrl-C must not cut this short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop_all()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _deployed(url: str, state: Path) -> tuple[Deployment, bool]:
    """The contracts on the chain at ``url``: as recorded when they are current (asked without
    web3, which takes ~1.6 s of CPU to import beside the starting chain), else deployed now by
    development account 0; and whether they were deployed now."""
    current = ChainReader(url).current_deployment(state)
    if current is not None:
        return current, False
    from ledger import Transactor, connect, deploy, dev_account

    w3 = connect(url)
    return deploy(w3, Transactor(w3, dev_account(0)), state)


def _start_ray(spawn: Callable[..., Child], state: Path, ray_port: int, env: dict[str, str]) -> Child:
    """The Ray head; ``env`` is the workers' (LOOPBACK_RAY_ENV: every Ray process on 127.0.0.1
    only, no usage statistics)."""
    ray_bin = Path(sys.executable).parent / "ray"
    return spawn(
        "ray",
        [
            str(ray_bin),
            "start",
            "--head",
            "--block",
            f"--port={ray_port}",
            "--node-ip-address=127.0.0.1",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={ray_temp_dir(state)}",
            "--object-store-memory=200000000",
        ],
        group=True,
        env=env,
    )


def _start_workers(
    spawn: Callable[..., Child],
    agora: list[str],
    state: Path,
    env: dict[str, str],
    count: int,
    ray_port: int,
) -> None:
    head = _start_ray(spawn, state, ray_port, env)
    _wait_for(f"port {ray_port}", "the Ray head", head, lambda: _port_open(ray_port), 90)
    typer.echo(f"ray        head at 127.0.0.1:{ray_port}")
    daemons = []
    for i in range(count):
        name = f"worker{i + 1}"
        cmd = [*agora, "worker", "run", "--name", name, "--from", f"dev:{FIRST_WORKER_ACCOUNT + i}"]
        cmd += ["--ray", f"127.0.0.1:{ray_port}", "--home", str(state)]
        daemons.append((name, spawn(name, cmd, env=env)))
    verifier = spawn(
        "verifier",
        [
            *agora,
            "verifier",
            "run",
            "--ray",
            f"127.0.0.1:{ray_port}",
            "--from",
            f"dev:{VERIFIER_ACCOUNT}",
            "--home",
            str(state),
        ],
        env=env,
    )
    for i, (name, daemon) in enumerate(daemons):
        _wait_for(str(daemon.log), name, daemon, partial(_says, daemon), 180)
        typer.echo(f"worker     {name}.agora (development account {FIRST_WORKER_ACCOUNT + i})")
    _wait_for(str(verifier.log), "the verifier", verifier, partial(_says, verifier), 180)
    typer.echo(
        "verifier   re-executes every job in court and 10% of the rest, disputes what it finds wrong "
        f"(development account {VERIFIER_ACCOUNT}; agora verifier checks)"
    )


def _supervise(supervisor: Supervisor) -> None:
    """Keeps every child running until SIGTERM or Ctrl-C."""
    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        supervisor.run(lambda: stop)
    except KeyboardInterrupt:
        pass
    typer.echo("stopping")


def _banner(state: Path, url: str, api: str | None) -> None:
    """What a newcomer needs next: the chain for other tools, accounts to use, three things to try."""
    home = "" if state == c.home() else f" --home {state}"
    typer.echo(f"export AGORA_RPC_URL={url}   # for cast, web3.py and agora commands from elsewhere")
    typer.echo(f"accounts   dev:0 {dev_key(0).address} (deployer, owner, faucet)")
    typer.echo(f"           dev:1 {dev_key(1).address} (free: a requester); `--from dev:N` signs as account N")
    typer.echo("try        agora account fund " + dev_key(1).address + home)
    typer.echo(f"           agora deposit 100 --from dev:1{home}")
    program = "examples/programs/build/wordcount.wasm"
    typer.echo(f"           agora job submit {program} --input README.md --wait --from dev:1{home}")
    if api:
        typer.echo(f"           open {api}/        (the dashboard; the REST API's docs at {api}/docs)")
    typer.echo(f"           agora audit settlements{home}   (every payment and slash, re-checked from the chain alone)")
    typer.echo(f"           agora up status{home}")


@app.command()
@c.reports_errors
def status(home: HomeOpt = None) -> None:
    """Whether a market runs from the home, and whether each of its parts answers."""
    state = c.home(home)
    market = _market.running(state)
    if market is None:
        c.fail(f"no market runs from {state} (`agora up` starts one)")
    since = time.strftime("%H:%M:%S", time.localtime(market.started))
    typer.echo(f"{'running' if market.ready else 'starting':<10} pid {market.pid}, since {since}")
    checks = [("chain", market.chain, lambda: _chain_answers(market.chain))]
    checks += [(f"store{i + 1}", n, partial(http_ok, f"{n}/info")) for i, n in enumerate(market.store_nodes)]
    if market.api:
        checks.append(("api", market.api, partial(http_ok, f"{market.api}/healthz")))
    down = 0
    for name, where, check in checks:
        ok = check()
        down += not ok
        typer.echo(f"{name:<10} {where}  {'ok' if ok else 'NOT ANSWERING'}")
    probed = {name for name, _, _ in checks}
    for name, pid in market.parts.items():  # the rest answer no request: whether their process runs
        if name in probed:
            continue
        alive = pid > 0 and _alive(pid)
        down += not alive
        typer.echo(f"{name:<10} pid {pid}  running" if alive else f"{name:<10} NOT RUNNING (restarting)")
    if down:
        raise typer.Exit(1)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: it exists and is not a zombie (a part that died, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


@app.command()
@c.reports_errors
def down(
    home: HomeOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for it to stop.")] = 90.0,
) -> None:
    """Stop the market running from the home (as Ctrl-C would), and wait until it has."""
    state = c.home(home)
    market = _market.running(state)
    if market is None:
        c.fail(f"no market runs from {state}")
    os.kill(market.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _market.running(state) is not None:
        if time.monotonic() > deadline:
            c.fail(f"the market (pid {market.pid}) did not stop within {timeout:.0f}s")
        time.sleep(0.2)
    typer.echo(f"stopped the market of {state}")
