"""`agora store …`: the erasure-coded store."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledger import LedgerError
from store import DirectoryBackend, ListedWriters, QuotaBook, S3Backend, StoreClient, WritersUnavailable, node_identity
from store import get_settings as store_settings
from store import serve as serve_node

from . import _common as c

if TYPE_CHECKING:
    from ledger import ChainReader, Key

app = typer.Typer(help="The erasure-coded, content-addressed store.", no_args_is_help=True)
log = logging.getLogger("agora.store")
NodesOpt = Annotated[
    str | None,
    typer.Option(
        "--nodes", help="Comma-separated node URLs (default: AGORA_STORE_NODES, else the nodes `agora up` runs)."
    ),
]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from", help="Sign writes with this key (keystore address or dev:N; default: AGORA_ACCOUNT or the only key)."
    ),
]
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _client(nodes: str | None, home: Path | None = None) -> StoreClient:
    return c.store_client(c.store_nodes(nodes, home), state=home)


def _signer(sender: str | None, home: Path | None) -> Key | None:
    signer = c.store_signer(sender, home)
    if signer is None:
        typer.echo(
            "no key to sign with: nodes refuse unsigned writes unless they run with --writers any "
            "(sign with --from ADDRESS or dev:N, or keep one key in the keystore)",
            err=True,
        )
    return signer


class ChainWriters:
    """Accepts accounts with stake (free, locked or unbonding) or a market deposit on the chain.

    Each answer is kept for ``ttl`` seconds (a refusal for ``refusal_ttl``, so an account that has
    just staked is not kept out long); when the chain cannot be asked, writes fail closed (503).
    """

    def __init__(self, chain: ChainReader, home: Path | None, *, ttl: float = 30.0, refusal_ttl: float = 5.0) -> None:
        deployment = chain.deployment(c.home(home))
        self.chain = chain
        self.stakes, self.market = deployment.address("StakeManager"), deployment.address("JobMarket")
        self.ttl, self.refusal_ttl = ttl, refusal_ttl
        self._known: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def __call__(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._known.get(address)
        if seen is not None and now - seen[0] < (self.ttl if seen[1] else self.refusal_ttl):
            return seen[1]
        try:
            allowed = sum(self.chain.call(self.stakes, "stakeOf(address)", address, words=3)) > 0
            allowed = allowed or self.chain.call(self.market, "balanceOf(address)", address, words=1)[0] > 0
        except LedgerError as exc:
            log.warning("cannot ask the chain whether %s may write: %s", address, exc)  # details stay here
            raise WritersUnavailable("this node cannot ask the chain who may write just now; retry shortly") from None
        with self._lock:
            if len(self._known) > 100_000:
                self._known.clear()
            self._known[address] = (now, allowed)
        return allowed


def _writers(mode: str, home: Path | None) -> Callable[[str], bool] | None:
    """The ``--writers`` check: None for ``any`` (open), the chain's stakers and depositors for
    ``chain``, else exactly the listed addresses."""
    if mode == "any":
        log.warning("--writers any: anyone may write to this node, unsigned and without quotas")
        return None
    if mode == "chain":
        from ledger import ChainReader  # web3 would take a node ~1.6 s of CPU to import (ledger/reader.py)

        try:
            from ledger.settings import DEFAULT_RPC_URL

            return ChainWriters(ChainReader(c.served_chain_url(home) or DEFAULT_RPC_URL), home)
        except LedgerError as exc:
            c.fail(f"--writers chain: {exc}; or pass --writers ADDRESS,... or --writers any")
    addresses = [a.strip() for a in mode.split(",") if a.strip()]
    wrong = [a for a in addresses if not _ADDRESS.fullmatch(a)]
    if wrong or not addresses:
        shown = ", ".join(wrong) or repr(mode)
        c.fail(f"--writers: {shown} is not an address (expected chain, any or 0xADDRESS,...)")
    return ListedWriters(addresses)


@app.command()
@c.reports_errors
def serve(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Directory for shards, manifests and quotas (default: HOME/store).")
    ] = None,
    port: Annotated[int, typer.Option(help="TCP port.")] = 7001,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    region: Annotated[str, typer.Option(help="Jurisdiction this node declares, e.g. eu, us, ch.")] = "",
    s3_bucket: Annotated[str | None, typer.Option(help="Keep shards in this S3 bucket instead of --dir.")] = None,
    s3_endpoint: Annotated[str | None, typer.Option(help="S3-compatible endpoint URL.")] = None,
    writers: Annotated[
        str,
        typer.Option(
            "--writers",
            help="Who may write: 'chain' (accounts with stake or a market deposit on the chain found as "
            "other commands find it), 'any' (open: unsigned, no quotas), or a comma list of addresses.",
        ),
    ] = "chain",
    quota: Annotated[
        str | None,
        typer.Option(help="Bytes each writer may newly store here, e.g. 10GiB (default: AGORA_STORE_QUOTA)."),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="Serve https with this certificate (PEM; with --tls-key).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="The certificate's private key (PEM).")] = None,
    home: HomeOpt = None,
) -> None:
    """Run a store node. Writes must be signed by an accepted writer (see --writers); reads are open."""
    if (tls_cert is None) != (tls_key is None):
        c.fail("--tls-cert and --tls-key go together")
    settings = store_settings()
    state = directory or c.home(home) / "store"
    if s3_bucket:
        backend: DirectoryBackend | S3Backend = S3Backend(
            s3_bucket, endpoint_url=s3_endpoint, staging=state / "staging"
        )
        where = f"s3://{s3_bucket}"
    else:
        backend = DirectoryBackend(state)
        where = str(state)
    limit = c.parse_size(quota) if quota is not None else settings.quota
    with contextlib.ExitStack() as stack:
        authorize = _writers(writers, home)
        book = None
        if authorize is not None:
            state.mkdir(parents=True, exist_ok=True)
            book = stack.enter_context(
                contextlib.closing(QuotaBook(state / "quota.sqlite", limit, max_objects=settings.max_objects))
            )
        node_id = node_identity(state)
        who = "anyone" if authorize is None else f"writers {writers if writers == 'chain' else 'listed'}, quota {limit}"
        scheme = "https" if tls_cert else "http"
        typer.echo(
            f"store node 0x{node_id.hex()} on {scheme}://{host}:{port} (region {region or 'unset'}) "
            f"keeping shards in {where}; {who}"
        )
        serve_node(
            backend,
            host=host,
            port=port,
            region=region,
            limits=settings.node_limits(),
            authorize=authorize,
            quota=book,
            node_id=node_id,
            tls=(str(tls_cert), str(tls_key)) if tls_cert and tls_key else None,
        )


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
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Store FILE; print its manifest CID. Nodes accept writes signed by a writer they accept."""
    signer = _signer(sender, home)
    with c.store_client(c.store_nodes(nodes, home), k=k, m=m, signer=signer, state=home) as client:
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
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Refuse a blob larger than this (e.g. 100MiB) before reading any of it. Default: no limit "
            "(memory stays bounded: the blob streams to the file or stdout segment by segment).",
        ),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Fetch a blob by its manifest CID."""
    limit = c.parse_size(max_size) if max_size is not None else None
    with _client(nodes, home) as client:
        if output is None:
            for chunk in client.get_stream(cid, max_size=limit):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        size = client.manifest(cid).size
        with typer.progressbar(length=size, label="fetching", file=sys.stderr) as bar:
            client.get_to_file(cid, output, max_size=limit, progress=bar.update)
        typer.echo(f"{output}: {size} bytes", err=True)


@app.command()
@c.reports_errors
def stat(
    cid: Annotated[str, typer.Argument(help="Manifest CID.")], nodes: NodesOpt = None, home: HomeOpt = None
) -> None:
    """Show a blob's manifest and the health of every shard."""
    with _client(nodes, home) as client:
        report = client.stat(cid)
        mf = report.manifest
        typer.echo(f"manifest  {cid}  (what `agora store get` and requests take)")
        typer.echo(f"content   {mf.cid}  ({mf.size} bytes, {len(mf.segments)} segments of {mf.segment_size})")
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
def repair(
    cid: Annotated[str, typer.Argument(help="Manifest CID.")],
    nodes: NodesOpt = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Restore missing or corrupt shards onto live nodes (the writes are signed as for put)."""
    with c.store_client(c.store_nodes(nodes, home), signer=_signer(sender, home), state=home) as client:
        report = client.repair(cid)
        for segment, index, node in report.restored:
            typer.echo(f"restored shard {segment}/{index} on {node}")
        typer.echo(f"{len(report.restored)} shards restored; manifest {report.manifest_cid}")


@app.command()
@c.reports_errors
def audit(
    cid: Annotated[str, typer.Argument(help="Manifest CID.")], nodes: NodesOpt = None, home: HomeOpt = None
) -> None:
    """Ask each node for its shards with Merkle proofs and check them against the manifest."""
    with _client(nodes, home) as client:
        report = client.audit(cid)
        for r in report.results:
            typer.echo(f"  {r.segment:>4}/{r.index}  {r.node}  {'ok' if r.ok else 'FAIL: ' + r.reason}")
        typer.echo("audit passed" if report.passed else "audit FAILED")
        if not report.passed:
            raise typer.Exit(1)
