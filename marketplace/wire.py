"""The wire format of a signed request, shared by the API's intake and its client (which must not
load the server's FastAPI and SQLAlchemy to send one)."""

from __future__ import annotations

from typing import Any

from ledger import JobRequest, Mode


def request_json(request: JobRequest) -> dict[str, Any]:
    """The request as `RequestIn` reads it (big integers as decimal strings)."""
    out: dict[str, Any] = {}
    for name, value in vars(request).items():
        if isinstance(value, bytes):
            out[name] = "0x" + value.hex()
        elif isinstance(value, Mode):
            out[name] = value.name.lower()
        elif isinstance(value, int) and value >= 2**53:
            out[name] = str(value)
        else:
            out[name] = value
    return out
