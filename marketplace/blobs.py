"""Blobs through the API: uploads streamed into the store, reads streamed back (with ranges),
and a job's result with its run record.

An upload is signed like a write to a store node (store/auth.py): EIP-712 ``StorePut`` over the
API's id, the path ``/v1/blobs/{blob CID}`` (the sha256 of the content, so the signature binds the
bytes), the exact size and an expiry. The API stores it under its own key and charges the
uploader's quota, once per blob. Memory stays flat: the body goes from the socket to the erasure
coder through a small bounded pipe, a few segments at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from compute import DEFAULT_OUTPUT, MAX_RECORD, RunRecord
from ledger import REGIONS, format_tokens
from store import (
    BlobTooLarge,
    InvalidCID,
    NotEnoughNodes,
    NotFound,
    StoreClient,
    StoreError,
    TooManyShards,
    cid_from_digest,
    digest_of,
)
from store.auth import verify
from store.errors import BadUpload, Unauthenticated
from zk import commitment
from zk.jobs import BLOCK as ZK_BLOCK

from . import problems
from .models import JobRow, SlotRow, UploadRow
from .problems import Problem, Strict

FAILED = "failed:"
"""The quota book's name for an upload whose bytes were not its CID's (stored, never published)."""
MAX_UPLOADS = 8
"""Uploads in progress at once, in all (each uploader one at a time): beyond, 503."""
UPLOAD_IDLE = 10.0
"""Seconds an upload's body may stall before it is cut off."""
UPLOAD_MIN_RATE = 256 * 1024
"""Bytes a second an upload must average (after `UPLOAD_IDLE` seconds of grace)."""
BOND_PER_BYTE = 10**18 // (100 * 2**20)
"""Deposit (wei) an uploader needs per byte it stores through the API: 1 AGR per 100 MiB."""
MIN_BOND = 10**17
"""The least deposit that lets an address upload at all: 0.1 AGR."""
DEFAULT_QUOTA = 1 << 30
"""Bytes each uploader may store through the API (`--blob-quota`)."""
DEFAULT_MAX_BLOB = 1 << 30
"""The largest blob one upload may be (`--max-blob`)."""
PIPE_CHUNKS = 16
"""Request chunks (~64 KiB each) buffered between the socket and the coder: the upload's memory."""
MAX_CHECKED_SHARDS = 1024
"""Shards one look at a result's storage fetches at most, per blob: a 16 MiB output in 64 KiB
segments at 2 + 1 is 768; a manifest of a few bytes a segment names far more."""
_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})", re.ASCII)


class UploadTerms(Strict):
    id: str = Field(description="the API's id: the `node` of an upload's StorePut signature")
    path: str = Field(description="the signed path: this with the blob's CID in place of {cid}")
    max_size: int = Field(description="bytes one upload may be")
    quota: int = Field(description="bytes each uploader may store through the API")
    regions: list[str] = Field(description="regions an upload may be limited to")


class Uploaded(Strict):
    cid: str = Field(description="the manifest CID: what a request names (its digest) and GET /v1/blobs/{cid} reads")
    blob_cid: str = Field(description="the content's own CID (sha256)")
    size: int
    uploader: str
    quota_used: int = Field(description="bytes the uploader has stored through the API, this one included")


class BlobPipe:
    """A file-like object the store client reads (on a thread) while the event loop writes the
    request's chunks into it; at most `PIPE_CHUNKS` chunks wait, so memory stays flat."""

    def __init__(self) -> None:
        self._chunks: queue.Queue[bytes | None] = queue.Queue(PIPE_CHUNKS)
        self._buffer = bytearray()
        self._ended = False
        self.abandoned = threading.Event()

    def feed(self, chunk: bytes | None) -> None:
        """Blocks while the pipe is full; None ends it. Raises once the reader has gone."""
        while not self.abandoned.is_set():
            try:
                self._chunks.put(chunk, timeout=0.25)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("the store stopped reading")

    def read(self, size: int = -1) -> bytes:
        while not self._ended and (size < 0 or len(self._buffer) < size):
            try:
                chunk = self._chunks.get(timeout=0.25)
            except queue.Empty:
                if self.abandoned.is_set():
                    raise BrokenPipeError("the upload stopped") from None
                continue
            if chunk is None:
                self._ended = True
            else:
                self._buffer += chunk
        n = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, stop) of a single `Range: bytes=…` (None: the whole blob, including for a range
    this server does not serve, as RFC 9110 allows); an unsatisfiable one is a 416."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        start, stop = max(0, size - int(last)), size
    else:
        start = int(first)
        stop = size if last == "" else min(size, int(last) + 1)
        if last != "" and int(last) < start:
            return None
    if start >= size or start >= stop:
        raise Problem(
            416, "range-not-satisfiable", f"the blob has {size} bytes", headers={"Content-Range": f"bytes */{size}"}
        )
    return start, stop


def blob_routes(
    engine: Engine,
    store: StoreClient | None,
    *,
    api_id: bytes | None,
    quota: int = DEFAULT_QUOTA,
    max_size: int = DEFAULT_MAX_BLOB,
    may_upload: Callable[[str, int], str | None] | None = None,
    limit: Callable[[str], float] | None = None,
    upload_idle: float = UPLOAD_IDLE,
) -> APIRouter:
    """`/v1/blobs` and a job's `/result`. ``may_upload(uploader, bytes it would then store)`` says
    why an address may not upload (None: it may; the API asks for a market deposit that covers
    it); ``limit(client)`` is the per-client rate limit (seconds to wait, 0: go)."""
    router = APIRouter()
    busy: set[str] = set()  # uploaders with an upload in progress: one at a time each, so quota holds
    busy_lock = threading.Lock()
    pool = ThreadPoolExecutor(MAX_UPLOADS, thread_name_prefix="upload")  # the coders: never the loop's own

    def _store() -> StoreClient:
        if store is None:
            raise Problem(503, "no-store", "this API runs without store nodes")
        return store

    @router.get("/v1/blobs", response_model=UploadTerms, tags=["blobs"])
    def upload_terms() -> dict[str, Any]:
        """What an upload must sign, and its limits."""
        _store()
        if api_id is None:
            raise Problem(503, "no-uploads", "this API takes no uploads")
        return {
            "id": "0x" + api_id.hex(),
            "path": "/v1/blobs/{cid}",
            "max_size": max_size,
            "quota": quota,
            "regions": list(REGIONS),
        }

    @router.post(
        "/v1/blobs",
        status_code=201,
        response_model=Uploaded,
        tags=["blobs"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        responses=problems.documented(401, 402, 408, 409, 411, 507),
    )
    async def upload(
        request: Request,
        cid: Annotated[str, Query(max_length=100, description="the content's CID (sha256, as `store.cid_of`)")],
        regions: Annotated[
            str | None, Query(max_length=200, description="store it only on nodes in these regions: eu,ch")
        ] = None,
        authorization: Annotated[
            str | None, Header(max_length=300, description="AgoraStore signer=…,expires=…,signature=…")
        ] = None,
    ) -> dict[str, Any]:
        """Stream a blob into the store; answers its manifest CID. Signed by the uploader (the
        `StorePut` of store/auth.py for `/v1/blobs/{cid}`, this API's id and the exact size) and
        counted against its quota; the content must be the blob `cid` names."""
        client = _store()
        if api_id is None:
            raise Problem(503, "no-uploads", "this API takes no uploads")
        peer = request.client.host if request.client else "?"
        if limit is not None and (wait := limit(peer)) > 0:
            raise Problem(429, "rate-limited", f"too many requests from {peer}", retry_after=round(wait, 3))
        try:
            canonical = cid_from_digest(digest_of(cid))
        except InvalidCID as exc:
            raise Problem(422, "invalid-cid", f"{cid[:100]!r} is not a blob CID: {exc}") from exc
        if cid != canonical:  # one spelling per blob: what the quota counts and the store names
            raise Problem(422, "invalid-cid", f"{cid[:100]!r} is not the canonical spelling of its CID: {canonical}")
        wanted = _regions(regions)
        declared = request.headers.get("content-length")
        if declared is None or not declared.isascii() or not declared.isdigit():
            raise Problem(411, "length-required", "an upload needs its Content-Length (it is signed)")
        size = int(declared)
        if size > max_size:
            raise Problem(413, "too-large", f"an upload may have at most {max_size:,} bytes, not {size:,}")
        try:
            uploader = verify(authorization, path=f"/v1/blobs/{cid}", size=size, node=api_id)
        except Unauthenticated as exc:
            raise Problem(401, "invalid-signature", str(exc)) from exc
        with busy_lock:
            if uploader in busy:
                raise Problem(409, "upload-in-progress", f"{uploader} has an upload in progress: one at a time")
            if len(busy) >= MAX_UPLOADS:
                raise Problem(503, "busy", f"{MAX_UPLOADS} uploads are in progress: try again", retry_after=5)
            busy.add(uploader)
        try:
            used = await run_in_threadpool(_used, uploader, cid)
            if used + size > quota:
                raise Problem(
                    507,
                    "quota-exceeded",
                    f"{uploader} has stored {used:,} bytes through this API; {size:,} more is over its {quota:,}",
                )
            if may_upload is not None and (why := await run_in_threadpool(may_upload, uploader, used + size)):
                raise Problem(402, "no-deposit", why)
            try:
                manifest_cid = await _pipe_into(
                    client, request, pool, size=size, cid=cid, regions=wanted, idle=upload_idle
                )
            except Problem as exc:
                if exc.kind == "content-mismatch":  # its shards were stored: charged, each time
                    await run_in_threadpool(_record, uploader, FAILED + os.urandom(8).hex(), "", size)
                raise
            used = await run_in_threadpool(_record, uploader, cid, manifest_cid, size)
        finally:
            with busy_lock:
                busy.discard(uploader)
        return {"cid": manifest_cid, "blob_cid": cid, "size": size, "uploader": uploader, "quota_used": used}

    def _used(uploader: str, cid: str) -> int:
        with Session(engine) as s:
            total = s.scalar(select(func.coalesce(func.sum(UploadRow.size), 0)).where(UploadRow.uploader == uploader))
            again = s.scalar(select(UploadRow.size).where(UploadRow.uploader == uploader, UploadRow.blob_cid == cid))
            return int(total or 0) - int(again or 0)  # the same blob again is not charged twice

    def _record(uploader: str, cid: str, manifest_cid: str, size: int) -> int:
        with Session(engine) as s, s.begin():
            row = s.get(UploadRow, (uploader, cid))
            if row is None:
                s.add(
                    UploadRow(
                        uploader=uploader, blob_cid=cid, manifest_cid=manifest_cid, size=size, uploaded_at=time.time()
                    )
                )
            elif manifest_cid:  # a failed upload of a blob stored before changes nothing
                row.manifest_cid, row.uploaded_at = manifest_cid, time.time()
        with Session(engine) as s:
            return int(s.scalar(select(func.sum(UploadRow.size)).where(UploadRow.uploader == uploader)) or 0)

    @router.get(
        "/v1/blobs/{cid}",
        tags=["blobs"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "the blob, streamed from the store and verified segment by segment",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            206: {"description": "the range asked for"},
            **problems.documented(416),
        },
    )
    def get_blob(
        cid: Annotated[str, Path(max_length=100, description="a manifest CID")],
        range_: Annotated[str | None, Header(alias="range", max_length=100)] = None,
    ) -> StreamingResponse:
        """A stored blob (by its manifest CID) with its length; one `Range: bytes=a-b` is served."""
        client = _store()
        try:
            digest_of(cid)
        except InvalidCID as exc:
            raise Problem(422, "invalid-cid", f"{cid[:100]!r} is not a CID: {exc}") from exc
        try:
            manifest = client.readable(cid)
        except NotFound as exc:
            raise Problem(404, "blob-not-found", f"no store node has {cid}") from exc
        except StoreError as exc:
            raise Problem(503, "store-unavailable", f"cannot read {cid}: {exc}") from exc
        span = _byte_range(range_, manifest.size)
        start, stop = span or (0, manifest.size)
        headers = {
            "Content-Length": str(stop - start),
            "Accept-Ranges": "bytes",
            "X-Agora-Blob-Cid": manifest.cid,
        }
        if span is not None:
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{manifest.size}"
        chunks = client.get_stream(cid, manifest=manifest, start=start, stop=stop)
        return StreamingResponse(
            chunks, status_code=206 if span else 200, media_type="application/octet-stream", headers=headers
        )

    @router.get(
        "/v1/jobs/{job_id}/result",
        tags=["jobs"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "the output the job settled on, streamed from the store and checked against its CID",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            **problems.documented(409),
        },
    )
    def job_result(job_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]) -> StreamingResponse:
        """The output of a job whose outcome is known (provisional or settled), with how the run
        ended: `X-Agora-Run-Status` (ok, out_of_fuel, trap, …), `X-Agora-Exit-Code`,
        `X-Agora-Fuel-Used`, from the run record a slot revealed with the agreed digest (checked
        against that digest); `X-Agora-Output-Cid`, `X-Agora-Result-Digest`."""
        client = _store()
        key = job_id.lower()
        named, digest, zk_job = _agreed(key)
        if zk_job:
            return _zk_result(client, key, named, digest)
        found, failures = None, []
        for named_cid in named:  # each slot that revealed the agreed digest, until one checks out whole
            if named_cid is None or int(named_cid, 16) == 0:
                continue
            try:
                found = _checked_result(client, cid_from_digest(bytes.fromhex(named_cid[2:])), digest)
                break
            except (StoreError, ValueError) as exc:
                failures.append(str(exc)[:300])
        if found is None:
            why = f"no slot of job {key} named a run record and output that check out: {failures}"
            raise Problem(404, "result-not-stored", why)
        record, revealed, output = found
        headers = {
            "Content-Length": str(_size(output)),
            "X-Agora-Run-Status": record.status.value,
            "X-Agora-Exit-Code": str(record.exit_code),
            "X-Agora-Fuel-Used": str(record.fuel_used),
            "X-Agora-Output-Cid": record.output,
            "X-Agora-Result-Digest": digest,
            "X-Agora-Result-Cid": revealed,  # the run record's CID, as the slot revealed it
        }
        return StreamingResponse(_spooled(output), media_type="application/octet-stream", headers=headers)

    @router.get("/v1/jobs/{job_id}/result/shards", tags=["jobs"], responses=problems.documented(409))
    def result_shards(request: Request, job_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]) -> ResultShards:
        """Where a job's agreed result is stored, and whether it can be read: for its run record
        and its output (a ZK job: its result block), every shard fetched from its node and
        checked against the manifest, as `agora store stat` does. The run record is the first a
        slot that revealed the agreed result named that reads as that result's; an output larger
        than a run may write, or of more than `MAX_CHECKED_SHARDS` shards, is named, not fetched."""
        client = _store()
        peer = request.client.host if request.client else "?"
        if limit is not None and (wait := limit(peer)) > 0:
            raise Problem(429, "rate-limited", f"too many requests from {peer}", retry_after=round(wait, 3))
        key = job_id.lower()
        named, digest, zk_job = _agreed(key)
        stored = [cid_from_digest(bytes.fromhex(n[2:])) for n in named if n and int(n, 16) != 0]
        if not stored:
            raise Problem(404, "result-not-stored", f"no slot of job {key} named a stored result")
        if zk_job:
            return ResultShards(job_id=key, blobs=[_shards(client, "result block", stored[0], ZK_BLOCK)])
        blobs: list[BlobShards] = []
        for revealed in stored:  # each slot's record until one is the agreed result's
            try:
                record = RunRecord.from_bytes(client.get(revealed, max_size=MAX_RECORD))
            except (StoreError, ValueError):
                continue
            if "0x" + record.digest.hex() == digest:
                blobs = [_shards(client, "run record", revealed, MAX_RECORD)]
                blobs.append(_shards(client, "output", record.output, DEFAULT_OUTPUT))
                break
        if not blobs:  # none reads: where the first is, and why it cannot be read
            blobs = [_shards(client, "run record", stored[0], MAX_RECORD)]
        return ResultShards(job_id=key, blobs=blobs)

    def _agreed(key: str) -> tuple[list[str | None], str, bool]:
        """The run record CIDs the slots that revealed the job's agreed result named, that
        digest, and whether it is a ZK job; 404 or 409 when there is no such result."""
        with Session(engine) as s:
            row = s.get(JobRow, key)
            if row is None:
                raise Problem(404, "job-not-found", f"no job {key} has been indexed")
            if row.result_digest is None:
                raise Problem(409, "no-result-yet", f"job {key} is {row.status}: no result has been agreed")
            named = list(
                s.scalars(
                    select(SlotRow.result_cid)
                    .where(SlotRow.job_id == key, SlotRow.digest == row.result_digest, SlotRow.result_cid.is_not(None))
                    .order_by(SlotRow.slot)
                )
            )
            return named, row.result_digest, row.mode == "zk"

    return router


class ShardState(Strict):
    segment: int
    index: int = Field(description="the shard's place in its segment: below k a data shard, else a parity shard")
    node: str
    region: str
    ok: bool = Field(description="fetched from its node and matching the manifest")
    reason: str = Field(description="why not, when not")


class BlobShards(Strict):
    what: str = Field(description="run record, output or result block")
    cid: str = Field(description="the blob's manifest CID")
    size: int | None = Field(description="bytes; none when no manifest could be read")
    k: int | None
    m: int | None
    readable: bool = Field(description="every segment has at least k good shards")
    checked: bool = Field(description="false when the blob is too large to be fetched for this (or has no manifest)")
    detail: str = Field(description="what went wrong, when something did")
    shards: list[ShardState]


class ResultShards(Strict):
    job_id: str
    blobs: list[BlobShards]


def _shards(client: StoreClient, what: str, cid: str, limit: int) -> BlobShards:
    """One blob's shards, each fetched and checked (`StoreClient.stat`), at most ``limit`` bytes."""
    blank: dict[str, Any] = {"what": what, "cid": cid, "size": None, "k": None, "m": None, "shards": []}
    try:
        report = client.stat(cid, max_size=limit, max_shards=MAX_CHECKED_SHARDS)
    except BlobTooLarge as exc:
        why = f"{exc.size:,} bytes: more than {limit:,}, not fetched"
        return BlobShards(**blank | {"size": exc.size}, readable=False, checked=False, detail=why)
    except TooManyShards as exc:
        why = f"{exc.shards:,} shards: more than {exc.limit:,}, not fetched"
        return BlobShards(**blank | {"size": exc.size}, readable=False, checked=False, detail=why)
    except StoreError as exc:
        return BlobShards(**blank, readable=False, checked=False, detail=str(exc)[:300])
    mf = report.manifest
    shards = [
        ShardState(
            segment=h.segment,
            index=h.index,
            node=h.node,
            region=mf.segments[h.segment].shards[h.index].region,
            ok=h.ok,
            reason=h.reason[:200],
        )
        for h in report.shards
    ]
    return BlobShards(
        **blank | {"size": mf.size, "k": mf.k, "m": mf.m, "shards": shards},
        readable=report.readable,
        checked=True,
        detail="" if report.readable else "fewer than k good shards in some segment",
    )


def _zk_result(client: StoreClient, key: str, named: list[str | None], digest: str) -> StreamingResponse:
    """A `ZK` job's result: the result block its proof committed to (checked against the
    commitment), or nothing when the program proves a fact and computes no result (commitment 0)."""
    block, cid = b"", ""
    if int(digest, 16) != 0:
        stored = next((n for n in named if n and int(n, 16) != 0), None)
        if stored is None:
            raise Problem(404, "result-not-stored", f"job {key}'s prover named no stored result block")
        cid = cid_from_digest(bytes.fromhex(stored[2:]))
        try:
            block = client.get(cid, max_size=ZK_BLOCK)
        except StoreError as exc:
            raise Problem(404, "result-not-stored", f"job {key}'s result block {cid}: {exc}") from exc
        if len(block) != ZK_BLOCK or "0x" + commitment(block).hex() != digest:
            raise Problem(404, "result-not-stored", f"{cid} is not the result block job {key}'s proof committed to")
    headers = {
        "Content-Length": str(len(block)),
        "X-Agora-Run-Status": "ok",
        "X-Agora-Exit-Code": "0",
        "X-Agora-Fuel-Used": "0",
        "X-Agora-Output-Cid": cid,
        "X-Agora-Result-Digest": digest,
        "X-Agora-Proof": "groth16",  # the digest is the block's Pedersen commitment (docs/zk.md)
    }
    return StreamingResponse(iter([block]), media_type="application/octet-stream", headers=headers)


def _checked_result(client: StoreClient, revealed: str, digest: str) -> tuple[RunRecord, str, BinaryIO]:
    """A slot's whole result, checked before a byte of it is served: its run record (the agreed
    digest), the output's manifest (the record's output digest, at most what a run may write),
    and the output's bytes (hashed as they are read into a spool: ValueError when they differ)."""
    record = RunRecord.from_bytes(client.get(revealed, max_size=MAX_RECORD))
    if "0x" + record.digest.hex() != digest:
        raise ValueError(f"{revealed}: a run record that does not match the agreed digest")
    manifest = client.readable(record.output)
    if manifest.cid != cid_from_digest(record.output_digest):
        raise ValueError(f"{record.output} is not the output the run made")
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - handed to the response
    hashed = hashlib.sha256()
    try:
        for chunk in client.get_stream(record.output, manifest=manifest, max_size=DEFAULT_OUTPUT):
            hashed.update(chunk)
            spool.write(chunk)
        if hashed.digest() != record.output_digest:
            raise ValueError(f"{record.output}: its bytes are not the output the run made")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return record, revealed, spool  # type: ignore[return-value]


def _size(spool: BinaryIO) -> int:
    here = spool.tell()
    size = spool.seek(0, io.SEEK_END)
    spool.seek(here)
    return size


def _spooled(spool: BinaryIO) -> Iterator[bytes]:
    try:
        while piece := spool.read(1 << 20):
            yield piece
    finally:
        spool.close()


def _regions(text: str | None) -> list[str] | None:
    if text is None or text == "":
        return None
    names = [r.strip().lower() for r in text.split(",")]
    unknown = [r for r in names if r not in REGIONS]
    if unknown:
        raise Problem(422, "unknown-region", f"no region {', '.join(unknown)}; known: {', '.join(REGIONS)}")
    return names


async def _pipe_into(
    client: StoreClient,
    request: Request,
    pool: ThreadPoolExecutor,
    *,
    size: int,
    cid: str,
    regions: list[str] | None,
    idle: float = UPLOAD_IDLE,
) -> str:
    """The request's body, streamed into the store as it arrives; the manifest CID. A body that
    stalls for ``idle`` seconds, or comes slower than `UPLOAD_MIN_RATE` on the whole, is cut off
    (408)."""
    pipe = BlobPipe()
    loop = asyncio.get_running_loop()
    putting = loop.run_in_executor(pool, lambda: _put(client, pipe, cid, regions))
    putting.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved, even when abandoned
    received = 0
    deadline = loop.time() + idle + size / UPLOAD_MIN_RATE
    body = request.stream().__aiter__()
    try:
        while True:
            wait = min(idle, deadline - loop.time())
            try:
                chunk = await asyncio.wait_for(body.__anext__(), timeout=max(0.0, wait))
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise Problem(
                    408,
                    "upload-stalled",
                    f"the body stalled or came slower than {UPLOAD_MIN_RATE:,} bytes a second "
                    f"({received:,} of {size:,} received)",
                ) from None
            if not chunk:
                continue
            received += len(chunk)
            if received > size:
                raise Problem(400, "bad-upload", f"the body is longer than its Content-Length ({size})")
            if putting.done():
                break
            await run_in_threadpool(pipe.feed, chunk)
        if not putting.done():
            if received != size:
                raise Problem(400, "bad-upload", f"the body ended after {received} of {size} bytes")
            await run_in_threadpool(pipe.feed, None)
        return await putting
    except BrokenPipeError:
        return await putting  # the store stopped reading: its error says why
    finally:
        pipe.abandoned.set()
        if not putting.done():
            putting.cancel()


def _put(client: StoreClient, pipe: BlobPipe, cid: str, regions: list[str] | None) -> str:
    try:
        return client.put(pipe, regions=regions, expect=cid)  # type: ignore[arg-type]  # a readable stream
    except BadUpload as exc:
        raise Problem(400, "content-mismatch", f"the content is not the blob its CID names: {exc}") from exc
    except BlobTooLarge as exc:
        raise Problem(413, "too-large", str(exc)) from exc
    except NotEnoughNodes as exc:
        raise Problem(503, "store-unavailable", str(exc)) from exc
    except StoreError as exc:
        raise Problem(503, "store-unavailable", f"the store refused the upload: {exc}") from exc
    finally:
        pipe.abandoned.set()


def deposit_required(balance_of: Callable[[str], int]) -> Callable[[str, int], str | None]:
    """`may_upload` for an API on a market: an uploader's deposit must cover what it stores, at
    `BOND_PER_BYTE` (and `MIN_BOND` at least), so storage costs tokens held, not addresses made."""

    def check(uploader: str, stored: int) -> str | None:
        needed = max(MIN_BOND, stored * BOND_PER_BYTE)
        if (held := balance_of(uploader)) >= needed:
            return None
        return (
            f"{uploader} has {format_tokens(held)} AGR deposited; storing {stored:,} bytes through this API "
            f"takes {format_tokens(needed)} AGR (1 AGR per 100 MiB, 0.1 at least): `agora deposit` more"
        )

    return check
