"""`agora store …`: the erasure-coded store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from store import DirectoryBackend, S3Backend, StoreClient
from store import serve as serve_node

from . import _common as c

app = typer.Typer(help="The erasure-coded, content-addressed store.", no_args_is_help=True)
NodesOpt = Annotated[
    str | None, typer.Option("--nodes", help="Comma-separated node URLs (default: AGORA_STORE_NODES).")
]


def _client(nodes: str | None, *, k: int | None = None, m: int | None = None) -> StoreClient:
    return c.store_client(c.store_nodes(nodes), k=k, m=m)


@app.command()
def serve(
    directory: Annotated[Path | None, typer.Option("--dir", help="Directory for shards and manifests.")] = None,
    port: Annotated[int, typer.Option(help="TCP port.")] = 7001,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    region: Annotated[str, typer.Option(help="Jurisdiction this node declares, e.g. eu, us, ch.")] = "",
    s3_bucket: Annotated[str | None, typer.Option(help="Keep shards in this S3 bucket instead of --dir.")] = None,
    s3_endpoint: Annotated[str | None, typer.Option(help="S3-compatible endpoint URL.")] = None,
) -> None:
    """Run a store node."""
    if s3_bucket:
        backend: DirectoryBackend | S3Backend = S3Backend(s3_bucket, endpoint_url=s3_endpoint)
        where = f"s3://{s3_bucket}"
    else:
        root = directory or c.home() / "store"
        backend = DirectoryBackend(root)
        where = str(root)
    typer.echo(f"store node on http://{host}:{port} (region {region or 'unset'}) keeping shards in {where}")
    serve_node(backend, host=host, port=port, region=region)


@app.command()
@c.reports_errors
def put(
    file: Annotated[Path, typer.Argument(help="File to store ('-' for stdin).", allow_dash=True)],
    nodes: NodesOpt = None,
    regions: Annotated[
        str | None, typer.Option(help="Only place shards on nodes of these regions (comma list).")
    ] = None,
    k: Annotated[int | None, typer.Option(help="Data shards per segment.")] = None,
    m: Annotated[int | None, typer.Option(help="Parity shards per segment.")] = None,
) -> None:
    """Store FILE; print its manifest CID."""
    with _client(nodes, k=k, m=m) as client:
        allowed = [r.strip() for r in regions.split(",")] if regions else None
        if str(file) == "-":
            cid = client.put(sys.stdin.buffer, regions=allowed)
        else:
            with typer.progressbar(length=file.stat().st_size, label="storing", file=sys.stderr) as bar:
                cid = client.put(file, regions=allowed, progress=bar.update)
        typer.echo(cid)


@app.command()
@c.reports_errors
def get(
    cid: Annotated[str, typer.Argument(help="Manifest CID.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
    nodes: NodesOpt = None,
) -> None:
    """Fetch a blob by its manifest CID."""
    with _client(nodes) as client:
        if output is None:
            for chunk in client.get_stream(cid):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        size = client.manifest(cid).size
        with typer.progressbar(length=size, label="fetching", file=sys.stderr) as bar:
            client.get_to_file(cid, output, progress=bar.update)
        typer.echo(f"{output}: {size} bytes", err=True)


@app.command()
@c.reports_errors
def stat(cid: Annotated[str, typer.Argument(help="Manifest CID.")], nodes: NodesOpt = None) -> None:
    """Show a blob's manifest and the health of every shard."""
    with _client(nodes) as client:
        report = client.stat(cid)
        mf = report.manifest
        typer.echo(f"blob      {mf.cid}  ({mf.size} bytes, {len(mf.segments)} segments of {mf.segment_size})")
        typer.echo(f"code      k={mf.k} m={mf.m} {mf.codec} {mf.codec_version}; Merkle root {mf.merkle_root}")
        for h in report.shards:
            ref = mf.segments[h.segment].shards[h.index]
            state = "ok" if h.ok else f"BAD: {h.reason}"
            typer.echo(f"  {h.segment:>4}/{h.index}  {ref.hash[:16]}…  {ref.node} [{ref.region or '-'}]  {state}")
        typer.echo("readable" if report.readable else "NOT readable: fewer than k good shards in some segment")
        if not report.readable:
            raise typer.Exit(1)


@app.command()
@c.reports_errors
def repair(cid: Annotated[str, typer.Argument(help="Manifest CID.")], nodes: NodesOpt = None) -> None:
    """Restore missing or corrupt shards onto live nodes."""
    with _client(nodes) as client:
        report = client.repair(cid)
        for segment, index, node in report.restored:
            typer.echo(f"restored shard {segment}/{index} on {node}")
        typer.echo(f"{len(report.restored)} shards restored; manifest {report.manifest_cid}")


@app.command()
@c.reports_errors
def audit(cid: Annotated[str, typer.Argument(help="Manifest CID.")], nodes: NodesOpt = None) -> None:
    """Ask each node for its shards with Merkle proofs and check them against the manifest."""
    with _client(nodes) as client:
        report = client.audit(cid)
        for r in report.results:
            typer.echo(f"  {r.segment:>4}/{r.index}  {r.node}  {'ok' if r.ok else 'FAIL: ' + r.reason}")
        typer.echo("audit passed" if report.passed else "audit FAILED")
        if not report.passed:
            raise typer.Exit(1)
