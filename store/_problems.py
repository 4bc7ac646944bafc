"""A node's answers to errors: one table from the store's errors to problem+json (RFC 9457)."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import auth
from .backends import DiskFull
from .errors import (
    BadName,
    BadUpload,
    LengthRequired,
    NodeBusy,
    NotFound,
    QuotaExceeded,
    StoreError,
    TooLarge,
    TooManyFailures,
    Unauthenticated,
    UploadStalled,
    WriterRefused,
    WritersUnavailable,
)

STATUS: list[tuple[type[StoreError], int, str]] = [
    (BadName, 422, "bad name"),
    (NotFound, 404, "not found"),
    (LengthRequired, 411, "length required"),
    (TooLarge, 413, "too large"),
    (BadUpload, 400, "bad upload"),
    (UploadStalled, 408, "upload stalled"),
    (Unauthenticated, 401, "unauthenticated"),
    (WriterRefused, 403, "writer not accepted"),
    (TooManyFailures, 429, "too many failed uploads"),
    (NodeBusy, 503, "busy"),
    (WritersUnavailable, 503, "writers cannot be checked"),
    (QuotaExceeded, 507, "quota exceeded"),
    (DiskFull, 507, "insufficient storage"),
]


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"title": title, "status": status, "detail": detail},
        status,
        headers=headers,
        media_type="application/problem+json",
    )


def answer(request: Request, exc: Exception) -> Response:
    """The problem+json answer for a store error (registered as the app's exception handler)."""
    status, title = next(((s, t) for cls, s, t in STATUS if isinstance(exc, cls)), (400, "refused"))
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = auth.SCHEME
    if status == 503:
        headers["Retry-After"] = "1" if isinstance(exc, NodeBusy) else "5"
    if isinstance(exc, TooManyFailures):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if request.method == "PUT":
        headers["Connection"] = "close"  # the body may be unread: do not parse it as a request
    return problem(status, title, str(exc), headers)


def not_a_name(kind: str, name: str) -> BadName:
    shown = name[:80] + ("…" if len(name) > 80 else "")
    what = "the lower-case hex of its sha256" if kind == "shard" else "its canonical CIDv1 (base32, raw, sha2-256)"
    return BadName(f"{shown!r} is not a {kind} name: a {kind} is named by {what}")
