"""Pages of workers (`GET /v1/workers`) and programs (`GET /v1/programs`), and a name's records
(`GET /v1/names/{name}`)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session
from web3 import Web3

from ledger import TERMS_KEYS, ContractRevert, Deployment, NameNotFound, Names, format_tokens, namehash, region_code
from store import cid_from_digest

from .directory import CALL_GAS, Directory, Profile, Standing
from .models import JobRow, SlotRow
from .problems import Problem

TEXT_KEYS: tuple[str, ...] = (
    *("store", "ray", "region", "capacity", *TERMS_KEYS, "url", "description"),
    *("zk.program", "zk.vk", "zk.pk"),  # a ZK program's manifest and keys (duties.zkjobs)
)
"""The text records `GET /v1/names/{name}` shows (a resolver cannot list a name's keys)."""
_CURSOR = re.compile(r"([0-9]{1,12}):(0x[0-9a-fA-F]{40}|0x[0-9a-f]{64})")


def encode_cursor(block: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{block}:{key}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        found = None
    if found is None:
        raise Problem(400, "bad-cursor", "the cursor is not one this API gave out")
    return int(found.group(1)), found.group(2)


def _big(value: int | None) -> int | str | None:
    return str(value) if value is not None and value >= 2**53 else value


def _worker(p: Profile, standing: Standing, since: int) -> dict[str, Any]:
    t = p.terms
    return {
        "address": p.address,
        "name": p.name,
        "registered": p.registered,
        "region": None if p.region is None else region_code(p.region),
        "stake_free": format_tokens(p.free),
        "stake_locked": format_tokens(p.locked),
        "stake_unbonding": format_tokens(p.unbonding),
        "terms": {
            "min_price": None if t.min_price is None else format_tokens(t.min_price),
            "max_fuel": _big(t.max_fuel),
            "max_blob": _big(t.max_blob),
            "capacity": t.capacity,
            "regions": None if t.regions is None else list(t.regions),
        },
        "jobs": standing.jobs,
        "paid_jobs": standing.paid,
        "earned": format_tokens(standing.earned),
        "slashes": standing.slashes,
        "reputation": standing.reputation,
        "first_staked_block": since,
    }


def worker_page(directory: Directory, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """Accounts that staked, newest first, each with what the chain says of it and its record."""
    rows = directory.stakers(limit=limit + 1, before=decode_cursor(cursor) if cursor else None)
    more, rows = len(rows) > limit, rows[:limit]
    standing = directory.standing(a for a, _ in rows)
    items = [_worker(directory.profile(a), standing[a], since) for a, since in rows]
    return {"items": items, "next": encode_cursor(rows[-1][1], rows[-1][0]) if more else None}


def program_page(engine: Engine, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """Programs of indexed jobs, most recently posted first, with their latest clearing price."""
    used = (
        select(
            JobRow.program_id.label("program_id"),
            func.count().label("jobs"),
            func.max(JobRow.posted_block).label("last"),
        )
        .group_by(JobRow.program_id)
        .subquery()
    )
    query = select(used.c.program_id, used.c.jobs, used.c.last)
    if cursor is not None:
        block, key = decode_cursor(cursor)
        query = query.where(or_(used.c.last < block, and_(used.c.last == block, used.c.program_id < key)))
    query = query.order_by(used.c.last.desc(), used.c.program_id.desc()).limit(limit + 1)
    with Session(engine) as s:
        found = list(s.execute(query))
        more, found = len(found) > limit, found[:limit]
        items = []
        for program, jobs, last in found:
            price = s.scalar(
                select(SlotRow.price)
                .join(JobRow, JobRow.job_id == SlotRow.job_id)
                .where(JobRow.program_id == program, SlotRow.auditor.is_(False))
                .order_by(SlotRow.locked_block.desc(), SlotRow.job_id.desc())
                .limit(1)
            )
            items.append(
                {
                    "program_id": program,
                    "cid": cid_from_digest(bytes.fromhex(program[2:])),
                    "jobs": int(jobs),
                    "last_posted_block": int(last),
                    "last_clearing_price": None if price is None else format_tokens(int(price)),
                }
            )
    return {"items": items, "next": encode_cursor(found[-1][2], found[-1][0]) if more else None}


def name_record(w3: Web3, deployment: Deployment, name: str) -> dict[str, Any]:
    """``name``'s owner, address record, well-known text records and contenthash, every read of
    its resolver capped at `CALL_GAS`."""
    full = name if "." in name else f"{name}.agora"
    names = Names(w3, deployment, call_gas=CALL_GAS)
    owner = names.owner(full)
    if owner is None:
        raise Problem(404, "name-not-found", f"{full} is not registered")
    address: str | None = None
    try:
        address = names.resolve(full)
    except NameNotFound:
        pass
    except ContractRevert:  # a resolver that fails (or spends more than a read may) is asked nothing more
        return _record(full, owner, None, b"", {})
    try:
        content = names.contenthash(full)
    except ContractRevert:
        return _record(full, owner, address, b"", {})
    texts = names.records(full, TEXT_KEYS)
    return _record(full, owner, address, content, texts)


def _record(full: str, owner: str, address: str | None, content: bytes, texts: dict[str, str | None]) -> dict[str, Any]:
    return {
        "name": full,
        "node": "0x" + namehash(full).hex(),
        "owner": owner,
        "address": address,
        "text": {k: v for k, v in texts.items() if v},
        "contenthash": "0x" + content.hex() if content else None,
    }
