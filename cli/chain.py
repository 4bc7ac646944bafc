"""`agora chain …`: serve, deploy and describe the chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ledger import deploy as deploy_contracts
from ledger import get_settings, is_current
from ledger import serve as serve_chain

from . import _common as c

app = typer.Typer(
    help="The chain: serve the embedded one, deploy the contracts, show where they are.", no_args_is_help=True
)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port for JSON-RPC.")] = 8545,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    home: HomeOpt = None,
    gas_cap: Annotated[
        int | None, typer.Option(help="Most gas one eth_call/eth_estimateGas may use [AGORA_RPC_GAS_CAP: 50000000].")
    ] = None,
    evm_timeout: Annotated[
        float | None, typer.Option(help="Seconds one eth_call/eth_estimateGas may run [AGORA_RPC_EVM_TIMEOUT: 5].")
    ] = None,
    dev_methods: Annotated[
        bool | None,
        typer.Option(
            "--dev-methods/--no-dev-methods",
            help="Serve evm_* and eth_sendTransaction with development keys [AGORA_RPC_DEV_METHODS: on].",
        ),
    ] = None,
) -> None:
    """Serve the embedded chain as an Ethereum JSON-RPC endpoint (persisted under --home).

    Every request is bounded; the limits (gas cap, EVM time, batches, logs, bodies) are
    settings, listed in docs/chain.md, and each error names the one it hit."""
    state = c.home(home)
    overrides = {"rpc_gas_cap": gas_cap, "rpc_evm_timeout": evm_timeout, "rpc_dev_methods": dev_methods}
    settings = get_settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
    typer.echo(f"chain 31337 from {state / 'chain.sqlite'}; JSON-RPC on http://{host}:{port}")
    if not settings.rpc_dev_methods:
        typer.echo("development methods (evm_*, eth_sendTransaction) are off")
    try:
        serve_chain(home=state, host=host, port=port, settings=settings)
    except Exception as exc:  # ChainInUse and bind errors: one line, not a traceback
        c.fail(str(exc))


@app.command()
@c.reports_errors
def deploy(
    home: HomeOpt = None,
    sender: Annotated[str | None, typer.Option("--from", help="Deployer: a keystore address or dev:N.")] = None,
    min_commitment_age: Annotated[int | None, typer.Option(help="Seconds a name commitment must wait.")] = None,
) -> None:
    """Deploy every contract, unless the current code is already deployed on this chain."""
    with c.chain(home) as handle:
        deployment, deployed = deploy_contracts(
            handle.w3, c.transactor(handle, sender, home), c.home(home), min_commitment_age=min_commitment_age
        )
        verb = "deployed" if deployed else "already deployed"
        typer.echo(f"{verb} on chain {deployment.chain_id} ({handle.description}) at block {deployment.block}")
        for name, entry in deployment.contracts.items():
            typer.echo(f"  {name:<17} {entry['address']}")


@app.command()
@c.reports_errors
def info(
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the deployment record as JSON.")] = False,
) -> None:
    """Show the chain and the deployed contracts (and whether their code matches the sources)."""
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        current = is_current(handle.w3, deployment)
        if as_json:
            typer.echo(json.dumps({**json.loads(deployment.to_json()), "codeMatchesSources": current}, indent=2))
            return
        head = handle.w3.eth.block_number
        typer.echo(f"chain id     {deployment.chain_id}  ({handle.description})")
        typer.echo(f"head block   {head}")
        typer.echo(f"deployed at  block {deployment.block} by {deployment.deployer}, solc {deployment.compiler}")
        typer.echo(
            f"code         {'matches the sources' if current else 'DIFFERS from the sources: run agora chain deploy'}"
        )
        for name, entry in deployment.contracts.items():
            typer.echo(f"  {name:<17} {entry['address']}")
