"""`agora program …`: building WebAssembly programs, and registering ZoKrates programs for `ZK` jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

import zk
from compute import ComputeError, build_program
from duties.zkjobs import register_program

from . import _common as c

app = typer.Typer(help="Programs: WebAssembly modules that jobs run (docs/programs.md).", no_args_is_help=True)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Signing account: a keystore address or dev:N.")]


@app.command()
def build(
    source: Annotated[Path, typer.Argument(help="A .c file (compiled with zig) or a .wat file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write the .wasm.")] = None,
) -> None:
    """Compile SOURCE to a WebAssembly program."""
    try:
        out = build_program(source, output)
    except ComputeError as exc:
        c.fail(str(exc))
    typer.echo(f"{out} ({out.stat().st_size} bytes)")


@app.command()
@c.reports_errors
def register(
    zok: Annotated[Path, typer.Option("--zok", exists=True, dir_okay=False, help="The ZoKrates job program (.zok).")],
    name: Annotated[str, typer.Option("--name", help="Its name: NAME.programs.agora.")],
    result: Annotated[
        Path | None,
        typer.Option(
            "--result", exists=True, dir_okay=False, help="Its result program (default: FILE.result.zok beside it)."
        ),
    ] = None,
    proving_key: Annotated[
        Path | None,
        typer.Option("--proving-key", exists=True, dir_okay=False, help="A proving key from an outside ceremony."),
    ] = None,
    verification_key: Annotated[
        Path | None,
        typer.Option("--verification-key", exists=True, dir_okay=False, help="Its verification key (ZoKrates' JSON)."),
    ] = None,
    store_nodes: Annotated[
        str | None, typer.Option("--nodes", help="Store node URLs, comma-separated (default: the running market's).")
    ] = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Register a ZoKrates program for ZK jobs as NAME.programs.agora.

    Compiles it (zokrates-js, offline), runs a Groth16 setup unless --proving-key and
    --verification-key bring the keys of an outside ceremony (the built-in setup is single-party:
    whoever runs it could forge proofs; for development only), deploys the lean Solidity verifier,
    stores the program, its keys and source, and names it. docs/zk.md.
    """
    if (proving_key is None) != (verification_key is None):
        c.fail("give both --proving-key and --verification-key (the keys of one outside ceremony), or neither")
    keys = None
    if proving_key is not None and verification_key is not None:
        try:
            vk = zk.VerificationKey.from_json(orjson.loads(verification_key.read_bytes()))
        except (orjson.JSONDecodeError, zk.ZkError) as exc:
            c.fail(f"{verification_key} is not a ZoKrates verification key: {exc}")
        keys = zk.Keys(verification_key=vk, proving_key=proving_key.read_bytes())
    sibling = zok.with_name(zok.name.removesuffix(".zok") + ".result.zok")
    result = result or (sibling if sibling.is_file() else None)
    nodes = c.store_nodes(store_nodes, home)
    if not nodes:
        c.fail("no store nodes: run `agora up`, or give --nodes (or AGORA_STORE_NODES)")
    with c.chain(home) as handle, c.store_client(nodes, signer=c.store_signer(sender, home), state=home) as store:
        try:
            manifest, cid = register_program(
                zok.read_text(),
                name=name.removesuffix(".programs.agora"),
                location=zok.name,
                result_source=result.read_text() if result is not None else None,
                w3=handle.w3,
                deployment=c.deployment(handle, home),
                transactor=c.transactor(handle, sender, home),
                store=store,
                keys=keys,
                progress=lambda step: typer.echo(f"  {step} …", err=True),
            )
        except zk.ZkError as exc:
            c.fail(" ".join(str(exc).split()))  # ZoKrates' messages span lines: one line here
    typer.echo(f"registered {manifest.name}")
    typer.echo(f"manifest  {cid}")
    typer.echo(f"verifier  {manifest.verifier}  (pin 0x{manifest.pin.hex()})")
    typer.echo(
        f"result    {'the result program ' + str(result) if result else 'none: it proves a fact about its input'}"
    )
    typer.echo(f"submit a job:  agora job submit --zk {manifest.name.removesuffix('.programs.agora')} --input FILE")
