"""`agora job …`: a requester's jobs, through the REST API (`--api`, AGORA_API_URL).

Uploads and requests are signed here, with the requester's key (`--from`), which never leaves
this machine; the API stores, checks, writes and relays. Amounts are decimal AGR; deadlines
default to an hour each to lock, compute and reveal, counted in the chain's time.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger import Mode, new_request, parse_tokens, regions_mask
from marketplace.client import DEFAULT_URL, ApiClient, ApiError, Output
from store import InvalidCID, digest_of

from . import _common as c
from ._market import running

app = typer.Typer(help="Jobs: submit, follow, read results — through the REST API.", no_args_is_help=True)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="The requester: a keystore address or dev:N (default: AGORA_ACCOUNT, the only key)."),
]
ApiOpt = Annotated[str | None, typer.Option("--api", help=f"The API's URL (default: AGORA_API_URL or {DEFAULT_URL}).")]
JobArg = Annotated[str, typer.Argument(help="The job's id (0x + 64 hex digits; a unique prefix of 10+ is enough).")]
FINAL = ("settled", "expired", "void", "failed")
"""Statuses after which nothing more happens to a job."""
POSTING_PATIENCE = 600.0
"""Seconds `--wait` waits for an accepted request to be posted and indexed."""
OUTCOME = ("provisional", "settled", "unresolved", "expired", "void", "failed")
"""Statuses at which `--wait` stops: the result is known, or there will be none."""


def _url(api: str | None, home: Path | None = None) -> str:
    """--api, else AGORA_API_URL, else the API of the market `agora up` runs from the home."""
    market = running(c.home(home))
    return api or os.environ.get("AGORA_API_URL") or (market.api if market and market.api else DEFAULT_URL)


def _client(api: str | None, sender: str | None = None, home: Path | None = None, *, signs: bool = False) -> ApiClient:
    client = ApiClient(_url(api, home))
    if signs:
        client.signer = c.signer(lambda: int(client.contracts()["chain_id"]), sender, home)
    return client


def _job_id(client: ApiClient, text: str) -> str:
    text = text.lower()
    if re.fullmatch(r"0x[0-9a-f]{64}", text):
        return text
    if not re.fullmatch(r"0x[0-9a-f]{8,63}", text):
        c.fail(f"{text!r} is not a job id (0x and 64 hex digits, or a prefix of at least 8)")
    found = [str(j["job_id"]) for j in _all_jobs(client, limit=200) if str(j["job_id"]).startswith(text)]
    if len(found) != 1:
        c.fail(f"{text} matches {len(found)} of the newest jobs: give more of the id")
    return found[0]


def _all_jobs(client: ApiClient, *, limit: int, **filters: Any) -> list[dict[str, Any]]:
    page = client.jobs(limit=min(limit, 200), **filters)
    return list(page["items"])


def _program(client: ApiClient, text: str, regions: list[str] | None) -> str:
    """A program's manifest CID: a file is uploaded, a CID taken as it is."""
    path = Path(text)
    if path.is_file():
        return _upload(client, path, "program", regions)
    try:
        digest_of(text)
    except InvalidCID:
        c.fail(f"{text!r} is neither a program file nor a store CID")
    return text


def _upload(client: ApiClient, path: Path, what: str, regions: list[str] | None) -> str:
    size = path.stat().st_size
    if size < 4 << 20:
        cid = client.upload(path, regions=regions)
    else:
        with typer.progressbar(length=size, label=f"uploading {what}", file=sys.stderr) as bar:
            cid = client.upload(path, regions=regions, progress=bar.update)
    typer.echo(f"{what:<8} {cid}  ({size:,} bytes)", err=True)
    return cid


def _amount(text: str, what: str) -> int:
    try:
        return parse_tokens(text)
    except ValueError as exc:
        c.fail(f"{what} {text!r} is not an amount of AGR: {exc}")


def _regions(text: str | None) -> list[str] | None:
    return [r.strip() for r in text.split(",") if r.strip()] if text else None


@app.command()
@c.reports_errors
def submit(
    program: Annotated[
        str, typer.Argument(help="A .wasm file (uploaded) or its store CID; with --zk, a ZK program's name.")
    ],
    input_file: Annotated[Path, typer.Option("--input", help="The job's input (uploaded).", exists=True)],
    redundancy: Annotated[int, typer.Option("--redundancy", "-k", min=1, max=32, help="Slots (k).")] = 3,
    quorum: Annotated[int | None, typer.Option("--quorum", "-q", min=1, help="Equal results needed.")] = None,
    max_price: Annotated[str, typer.Option("--max-price", help="AGR a slot may be paid at most.")] = "10",
    min_price: Annotated[str, typer.Option("--min-price", help="AGR the ask starts at.")] = "1",
    regions: Annotated[str | None, typer.Option("--regions", help="Allowed jurisdictions: eu,ch (default: any).")] = (
        None
    ),
    fuel: Annotated[int, typer.Option("--fuel", min=1, help="Fuel the program may use.")] = 10**6,
    zk_job: Annotated[
        bool,
        typer.Option(
            "--zk",
            help="A ZK job: PROGRAM is a registered ZoKrates program (NAME.programs.agora), the input at "
            "most 64 bytes (zero-padded); one slot, settled by the prover's Groth16 proof.",
        ),
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it live to its result.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="With --wait: write the output here.")] = None,
    api: ApiOpt = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Upload PROGRAM and the input, sign a request for them and submit it to the API."""
    with _client(api, sender, home, signs=True) as client:
        if zk_job:
            job_id = _submit_zk(client, program, input_file, max_price, min_price, regions)
        else:
            job_id = _submit(client, program, input_file, redundancy, quorum, max_price, min_price, regions, fuel)
        if wait:
            _wait(client, job_id, output)


def _submit(
    client: ApiClient,
    program: str,
    input_file: Path,
    redundancy: int,
    quorum: int | None,
    max_price: str,
    min_price: str,
    regions: str | None,
    fuel: int,
) -> str:
    allowed = _regions(regions)
    low, high = _amount(min_price, "--min-price"), _amount(max_price, "--max-price")
    if low > high:
        c.fail(f"--min-price {min_price} is above --max-price {max_price}")
    if quorum is not None and quorum > redundancy:
        c.fail(f"--quorum {quorum} is more than the {redundancy} slots")
    program_cid = _program(client, program, allowed)
    input_cid = _upload(client, input_file, "input", allowed)
    assert client.signer is not None
    request = new_request(
        client.chain_time(),
        requester=client.signer.address,
        program_id=digest_of(program_cid),
        input_digest=digest_of(input_cid),
        redundancy=redundancy,
        quorum=quorum,
        min_price=low,
        max_price=high,
        nonce=secrets.randbits(64),
        fuel_limit=fuel,
        regions=regions_mask(allowed) if allowed else 0,
    )
    answer = client.submit(request)
    typer.echo(f"job      {answer['job_id']}  ({answer['status']}; escrow {answer['escrow']} AGR)")
    return str(answer["job_id"])


def _submit_zk(
    client: ApiClient, program: str, input_file: Path, max_price: str, min_price: str, regions: str | None
) -> str:
    """A ZK job: the program's manifest found by its name, the input block and the job's spec
    stored, the request pinning the program's verifier and committing to the block."""
    import zk  # its curve arithmetic takes a tenth of a second to import: ZK jobs only
    from zk.jobs import BLOCK, MAX_MANIFEST, ZkJob, ZkJobError, ZkProgram

    allowed = _regions(regions)
    low, high = _amount(min_price, "--min-price"), _amount(max_price, "--max-price")
    if low > high:
        c.fail(f"--min-price {min_price} is above --max-price {max_price}")
    full = program if program.endswith(".programs.agora") else f"{program}.programs.agora"
    record = client.get(f"/v1/names/{full}")
    manifest_cid = (record.get("text") or {}).get("zk.program")
    if not manifest_cid:
        c.fail(f"{full} names no ZK program (register one: agora program register --zok FILE --name NAME)")
    try:
        manifest = ZkProgram.from_bytes(client.blob(manifest_cid, max_size=MAX_MANIFEST))
    except ZkJobError as exc:
        c.fail(f"{full}'s manifest {manifest_cid} is not a ZK program's: {exc}")
    if manifest.name != full or str(record.get("address") or "").lower() != manifest.verifier.lower():
        c.fail(f"{full}'s name records and its manifest {manifest_cid} disagree (name, or verifier address)")
    data = input_file.read_bytes()
    if len(data) > BLOCK:
        c.fail(f"a ZK job's input is one {BLOCK}-byte block: {input_file} has {len(data):,} bytes")
    block = data.ljust(BLOCK, b"\0")
    input_cid = client.upload(block, regions=allowed)
    spec_cid = client.upload(ZkJob(program=manifest_cid, input=input_cid).to_bytes(), regions=allowed)
    typer.echo(f"program  {full}  (manifest {manifest_cid}, verifier {manifest.verifier})", err=True)
    typer.echo(f"input    {input_cid}  ({len(data):,} bytes, padded to {BLOCK})", err=True)
    assert client.signer is not None
    request = new_request(
        client.chain_time(),
        requester=client.signer.address,
        program_id=digest_of(spec_cid),
        input_digest=zk.commitment(block),
        verifier_pin=manifest.pin,
        mode=Mode.ZK,
        redundancy=1,
        quorum=1,
        min_price=low,
        max_price=high,
        nonce=secrets.randbits(64),
        regions=regions_mask(allowed) if allowed else 0,
    )
    answer = client.submit(request)
    typer.echo(f"job      {answer['job_id']}  ({answer['status']}; escrow {answer['escrow']} AGR)")
    return str(answer["job_id"])


def _wait(client: ApiClient, job_id: str, output: Path | None) -> None:
    """Follows the job's events to its outcome, then shows it (and writes the output)."""
    started = time.monotonic()
    status = client.job(job_id)["status"]
    typer.echo(f"waiting for {job_id[:10]}… ({status})", err=True)
    pause = 0.05
    while status in ("accepted", "posted"):  # the relayer posts it, then the index sees it
        waited = time.monotonic() - started
        if waited > POSTING_PATIENCE:
            c.fail(f"job {job_id} is still {status} after {POSTING_PATIENCE:.0f}s: is the API's relayer running?")
        # The relayer posts within a block or two, woken by the request: look every 50 ms for the
        # first two seconds (one cheap GET each), then half again as long each time, up to 0.5 s.
        time.sleep(pause)
        if waited >= 2:
            pause = min(0.5, pause * 1.5)
        status = client.job(job_id)["status"]
    if status not in OUTCOME:
        for event in client.events(job_id):
            typer.echo(f"  {time.monotonic() - started:6.1f}s  {event.data.get('says', event.name)}", err=True)
            if event.name in ("JobProvisional", "JobSettled", "JobUnresolved", "JobExpired", "JobVoid"):
                break
    _show(client, client.job(job_id), output)


def _show(client: ApiClient, job: dict[str, Any], output: Path | None) -> None:
    typer.echo(f"job      {job['job_id']}")
    typer.echo(f"status   {job['status']}" + (f"  ({job['relay_error']})" if job.get("relay_error") else ""))
    if job.get("posted_tx"):
        typer.echo(f"posted   block {job['posted_block']}  tx {job['posted_tx']}")
    for slot in job.get("slots", []):
        role = " (auditor)" if slot["auditor"] else ""
        digest = slot["digest"] or "-"
        typer.echo(f"slot {slot['slot']}   {slot['worker']}{role} at {slot['price']} AGR  digest {digest}")
    for m in job.get("settlements", []):
        why = f": {m['reason']}" if m.get("reason") else ""
        typer.echo(f"{m['kind']:<8} {m['account']} {m['amount']} AGR{why}  tx {m['tx_hash']}")
    if job.get("result_digest"):
        try:
            run, data = client.result(job["job_id"])
        except ApiError as exc:
            typer.echo(f"result   not readable: {exc}")
            return
        if job.get("mode") == "zk":
            _show_proven(job, data)
            if output is not None:
                _write(output, data)
            return
        if output is not None:
            _write(output, data)
            typer.echo(_run_line(run) + f"  -> {output}")
        else:
            typer.echo(_run_line(run))
            if len(data) <= 4096 and _printable(data):
                typer.echo("output:\n" + data.decode(), nl=not data.endswith(b"\n"))


def _show_proven(job: dict[str, Any], block: bytes) -> None:
    """A ZK job's result: the value its proof committed to (the block's first 32 bytes), checked."""
    if not block:
        typer.echo("result   proven: the program proves a fact about its input and computes no value")
        return
    value = int.from_bytes(block[:32], "big")
    typer.echo(f"result   {value}  (proven: commitment {job['result_digest']}, salt 0x{block[32:].hex()})")


def _write(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` whole or not at all."""
    staged = path.with_name(f".{path.name}.part")
    staged.write_bytes(data)
    staged.replace(path)


def _after(seconds: int | None) -> str:
    return "" if seconds is None else f", {seconds} s after posting"


def _run_line(run: Output) -> str:
    return (
        f"result   {run.status}, exit code {run.exit_code}, fuel {run.fuel_used:,}, "
        f"{run.size:,} bytes  output {run.output_cid}"
    )


def _printable(data: bytes) -> bool:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\n\t\r" for ch in text)


@app.command()
@c.reports_errors
def run(
    program: Annotated[str, typer.Argument(help="A .wasm file or its store CID.")],
    input_file: Annotated[Path, typer.Argument(help="The input file.", exists=True)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the output here.")] = None,
    redundancy: Annotated[int, typer.Option("--redundancy", "-k", min=1, max=32)] = 1,
    max_price: Annotated[str, typer.Option("--max-price")] = "10",
    api: ApiOpt = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Upload, submit with defaults, wait, write the output: the one-liner."""
    with _client(api, sender, home, signs=True) as client:
        job_id = _submit(client, program, input_file, redundancy, None, max_price, "1", None, 10**6)
        _wait(client, job_id, output)


@app.command()
@c.reports_errors
def status(job: JobArg, api: ApiOpt = None, home: HomeOpt = None) -> None:
    """A job's status, slots, settlements and result."""
    with _client(api, home=home) as client:
        _show(client, client.job(_job_id(client, job)), None)


@app.command()
@c.reports_errors
def result(
    job: JobArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the output ('-': stdout).")],
    api: ApiOpt = None,
    home: HomeOpt = None,
) -> None:
    """Write a job's output (with how its run ended) to a file."""
    with _client(api, home=home) as client:
        job_id = _job_id(client, job)
        run, data = client.result(job_id)  # checked against the agreed result digest before anything is written
        if str(output) == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            _write(output, data)
        typer.echo(_run_line(run), err=True)
        if run.status != "ok":
            typer.echo(f"note: the run ended {run.status}: the output may be partial or empty", err=True)


@app.command("list")
@c.reports_errors
def list_(
    status: Annotated[str | None, typer.Option("--status", help="open, provisional, settled, …")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only the jobs of --from.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 20,
    api: ApiOpt = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Jobs, newest first."""
    with _client(api, sender, home, signs=mine) as client:
        requester = client.signer.address if client.signer is not None else None
        items = _all_jobs(client, limit=limit, status=status, requester=requester)
        if not items:
            typer.echo("no jobs")
        for j in items:
            typer.echo(
                f"{j['job_id']}  {j['status']:<11} k={j['redundancy']} q={j['quorum']}  "
                f"{j['min_price']}–{j['max_price']} AGR  {j['requester']}"
            )


@app.command()
@c.reports_errors
def explain(job: JobArg, api: ApiOpt = None, home: HomeOpt = None) -> None:
    """Why a job is where it is (no lock yet, slashed, unresolved), in words."""
    with _client(api, home=home) as client:
        answer = client.get(f"/v1/jobs/{_job_id(client, job)}/explain")
        typer.echo(answer.get("summary", ""))
        for reason in answer.get("reasons", []):
            typer.echo(f"  - {reason}")
        if answer.get("next"):
            typer.echo(f"next: {answer['next']}")


@app.command()
@c.reports_errors
def quote(
    program: Annotated[str, typer.Argument(help="A store CID, or a .wasm file (uploaded: its CID is printed).")],
    redundancy: Annotated[int, typer.Option("--redundancy", "-k", min=1, max=32)] = 3,
    quorum: Annotated[int | None, typer.Option("--quorum", "-q", min=1)] = None,
    max_price: Annotated[str, typer.Option("--max-price")] = "10",
    min_price: Annotated[str, typer.Option("--min-price")] = "1",
    regions: Annotated[str | None, typer.Option("--regions")] = None,
    fuel: Annotated[int, typer.Option("--fuel", min=1)] = 10**6,
    api: ApiOpt = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """What posting these terms would meet, before posting.

    Eligible workers, why the others would decline, when the ask reaches enough of them, and
    recent prices for the program (a program is known by its manifest CID: pass the one
    `submit` printed, to see its prices)."""
    with _client(api, sender, home, signs=Path(program).is_file()) as client:
        program_cid = _program(client, program, None)  # stored anywhere: the quote says who is in the regions
        body = {
            "program_id": "0x" + digest_of(program_cid).hex(),
            "redundancy": redundancy,
            "quorum": quorum if quorum is not None else redundancy // 2 + 1,
            "min_price": str(_amount(min_price, "--min-price")),  # wei, as the API's requests
            "max_price": str(_amount(max_price, "--max-price")),
            "regions": _regions(regions) or [],
            "fuel_limit": fuel,
        }
        answer = client.post("/v1/jobs/quote", body)
        typer.echo(answer["summary"])
        for worker in answer["workers"]:
            who = worker["name"] or worker["address"]
            if worker["eligible"]:
                after = worker["lock_after"]
                typer.echo(f"  + {who}: takes it at {worker['min_price'] or 'any'} AGR" + _after(after))
            for decline in worker["declines"]:
                typer.echo(f"  - {who}: {decline['says']}")
        for note in answer["notes"]:
            typer.echo(f"note: {note}")


@app.command()
@c.reports_errors
def cancel(job: JobArg, api: ApiOpt = None, sender: FromOpt = None, home: HomeOpt = None) -> None:
    """Cancel a request the API accepted but has not posted yet.

    Burns its nonce on chain (a transaction from the requester), so it can never be posted."""
    with _client(api, home=home) as client:
        job_id = _job_id(client, job)
        found = client.job(job_id)
    if found["status"] != "accepted":
        c.fail(f"job {job_id} is {found['status']}: only a request not yet posted can be cancelled")
    from ledger import JobMarket  # web3: only this command needs it

    with c.chain(home) as handle:
        market = JobMarket(handle.w3, c.deployment(handle, home), c.transactor(handle, sender, home))
        if market.transactor is not None and market.transactor.address != found["requester"]:
            c.fail(f"job {job_id} is {found['requester']}'s, not {market.transactor.address}'s")
        market.cancel_nonce(int(found["nonce"]))
    typer.echo(f"cancelled: nonce {found['nonce']} of {found['requester']} is burnt; the request can never be posted")
