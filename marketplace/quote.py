"""`POST /v1/jobs/quote`: a would-be job's terms judged by the registered workers before anything
is posted (the outlook and its formula: marketplace/insight.py)."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from ledger import ChainClock, JobRequest, format_tokens, new_request, regions_in, regions_mask
from store import NotFound, StoreClient, StoreError, cid_from_digest

from .directory import Directory
from .insight import Judged, Outlook, Terms, clearing_prices, outlook
from .insight_models import QuoteIn
from .problems import Problem

ZERO_ADDRESS = "0x" + "00" * 20
OPTIONAL = ("ramp", "collateral", "fuel_limit", "lock_deadline", "commit_deadline", "reveal_deadline")


def would_be(body: QuoteIn, now: int) -> JobRequest:
    """The request these terms make, `ledger.new_request`'s defaults filling the rest; a 422
    problem for terms the market would refuse whatever the workers."""
    if isinstance(body.regions, list):
        try:
            mask = regions_mask(body.regions)
        except ValueError as exc:
            raise Problem(422, "unknown-region", str(exc)) from exc
    else:
        mask = body.regions or 0
    prices = {k: int(v) for k in ("min_price", "max_price") if (v := getattr(body, k)) is not None}
    terms = {k: int(v) for k in OPTIONAL if (v := getattr(body, k)) is not None}
    request = new_request(
        now,
        requester=ZERO_ADDRESS,
        program_id=bytes.fromhex(body.program_id[2:]),
        input_digest=bytes.fromhex((body.input_digest or "0x" + "00" * 32)[2:]),
        redundancy=body.redundancy,
        quorum=body.quorum,
        nonce=0,
        regions=mask,
        **prices,
        **terms,
    )
    problems = [
        (request.min_price > request.max_price, "its minimum price is above its maximum"),
        (request.quorum > request.redundancy, f"its quorum {request.quorum} is above its {request.redundancy} slots"),
        (request.lock_deadline <= now, f"its lock deadline {request.lock_deadline} is not after now ({now})"),
        (request.commit_deadline <= request.lock_deadline, "its commit deadline is not after its lock deadline"),
        (request.reveal_deadline <= request.commit_deadline, "its reveal deadline is not after its commit deadline"),
    ]
    refused = [why for wrong, why in problems if wrong]
    if refused:
        raise Problem(422, "invalid-terms", "; ".join(refused))
    return request


def _sizes(store: StoreClient | None, request: JobRequest, given_input: bool, notes: list[str]) -> dict[str, int]:
    """The program's (and the input's, when named) size from their store manifests."""
    sizes: dict[str, int] = {}
    if store is None:
        return sizes
    blobs = [("program", request.program_id)] + ([("input", request.input_digest)] if given_input else [])
    for what, digest in blobs:
        cid = cid_from_digest(digest)
        try:
            sizes[what] = store.manifest(cid).size
        except NotFound:
            notes.append(f"its {what} {cid} is on no store node this API knows: workers skip what they cannot fetch")
        except StoreError as exc:
            notes.append(f"its {what} could not be looked up in the store ({exc})")
    return sizes


def _worker(j: Judged) -> dict[str, Any]:
    p = j.profile
    return {
        "address": p.address,
        "name": p.name,
        "eligible": j.eligible,
        "min_price": None if j.min_price is None else format_tokens(j.min_price),
        "lock_after": j.lock_after,
        "busy": j.busy,
        "terms_published": p.terms.published,
        "declines": [{"kind": d.kind, "says": d.says} for d in j.declines],
    }


def _summary(view: Outlook, quorum_after: int | None, in_time: bool) -> str:
    registered, eligible, q = len(view.judged), len(view.eligible), view.terms.quorum
    if not registered:
        return "No worker is registered: nobody would take it yet."
    if not eligible:
        return f"None of the {registered} registered workers would take it."
    if quorum_after is None:
        return f"{eligible} of {registered} registered workers would take it, fewer than its quorum of {q}."
    when = "at once" if quorum_after == 0 else f"{quorum_after:,} s after posting"
    late = "" if in_time else ", after its lock deadline"
    return f"{eligible} of {registered} registered workers would take it; the ask reaches {q} of them {when}{late}."


def quote(
    body: QuoteIn, *, engine: Engine, directory: Directory, clock: ChainClock, store: StoreClient | None
) -> dict[str, Any]:
    """The quote for ``body`` (see `QuoteOut`)."""
    now = clock.now()
    request = would_be(body, now)
    notes: list[str] = []
    sizes = _sizes(store, request, body.input_digest is not None, notes)
    terms = Terms(
        program_id="0x" + request.program_id.hex(),
        **{f: int(getattr(request, f)) for f in Terms.__dataclass_fields__ if f != "program_id"},
    )
    view = outlook(directory, terms, sizes=sizes)
    first, quorum, full = view.after(1), view.after(terms.quorum), view.after(terms.redundancy)
    in_time = quorum is not None and now + quorum <= terms.lock_deadline
    prices = clearing_prices(engine, terms.program_id)
    return {
        "summary": _summary(view, quorum, in_time),
        "reasons": view.reasons(),
        "notes": notes,
        "terms": {
            "min_price": format_tokens(terms.min_price),
            "max_price": format_tokens(terms.max_price),
            "ramp": terms.ramp,
            "collateral": format_tokens(terms.collateral),
            "redundancy": terms.redundancy,
            "quorum": terms.quorum,
            "fuel_limit": terms.fuel_limit if terms.fuel_limit < 2**53 else str(terms.fuel_limit),
            "regions": regions_in(terms.regions) if terms.regions else [],
            "lock_deadline": terms.lock_deadline,
            "commit_deadline": terms.commit_deadline,
            "reveal_deadline": terms.reveal_deadline,
        },
        "now": now,
        "staked": view.staked,
        "registered": len(view.judged),
        "eligible": len(view.eligible),
        "declines": dict(Counter(kind for j in view.judged for kind in {d.kind for d in j.declines})),
        "workers": [_worker(j) for j in view.eligible] + [_worker(j) for j in view.judged if not j.eligible],
        "seconds_to_first": first,
        "seconds_to_quorum": quorum,
        "seconds_to_full": full,
        "quorum_before_lock_deadline": in_time,
        "clearing_prices": [{"job_id": job, "price": format_tokens(wei), "block": block} for job, wei, block in prices],
        "median_clearing_price": format_tokens(statistics.median_low(w for _, w, _ in prices)) if prices else None,
    }
