"""RFC 9457 problem details: every error the API answers is `application/problem+json`.

A problem has a `type` (a URI naming the kind of error, under ``/problems/``), a `title` (the same
for every problem of that type), the HTTP `status`, a `detail` for this occurrence, and, when a
contract reverted, the error's name and arguments (`error`, `args`) as `ledger` decodes them.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger import ChainUnavailable, ContractRevert

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    402: "Deposit too small",
    409: "Conflict",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    411: "Length required",
    413: "Request too large",
    416: "Range not satisfiable",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
    507: "Quota exceeded",
}


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "error": {"type": "string", "description": "the contract error's name, when a contract reverted"},
        "args": {"type": "object", "description": "its arguments"},
        "errors": {
            "type": "array",
            "description": "each field that does not match the schema",
            "items": {"type": "object"},
        },
    },
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses: each a problem."""
    return {
        status: {"description": TITLES.get(status, "Error"), "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}
        for status in statuses
    }


class Strict(BaseModel):
    """The base of the API's request and answer models: no field beyond those declared."""

    model_config = ConfigDict(extra="forbid")


class Problem(Exception):
    """An error answered as a problem: ``kind`` names its type (``/problems/{kind}``); ``extra``
    goes into the body, ``headers`` into the answer's headers."""

    def __init__(
        self, status: int, kind: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.extra, self.headers = status, kind, detail, extra, headers


def _big(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53


def problem(
    status: int, kind: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{kind}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    if isinstance(args := body.get("args"), dict):  # a contract error's: integers a browser reads exactly
        body["args"] = {k: str(v) if _big(v) else v for k, v in args.items()}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Answers every error of ``app`` as a problem."""

    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        wait = exc.extra.get("retry_after")
        headers = dict(exc.headers or {})
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        return problem(exc.status, exc.kind, exc.detail, headers=headers or None, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, kind, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = [
            {
                "loc": [str(part) for part in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        where = ", ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:3])
        return problem(422, "invalid-request", where or "the request does not match its schema", errors=errors)

    @app.exception_handler(ContractRevert)
    async def _revert(_request: Request, exc: ContractRevert) -> JSONResponse:
        return problem(400, "contract-revert", f"the contract reverted with {exc}", **exc.to_json())

    @app.exception_handler(ChainUnavailable)
    async def _chain(_request: Request, exc: ChainUnavailable) -> JSONResponse:
        return problem(503, "chain-unavailable", f"the chain is unreachable: {exc}", headers={"Retry-After": "5"})


async def json_body(request: Request, limit: int) -> Any:
    """A request's body as JSON: refused (413) past ``limit`` bytes before more of it is read,
    parsed with a nesting limit (orjson's 1,024; 400 when it is not JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isascii() or not declared.isdigit() or int(declared) > limit):
        raise Problem(413, "too-large", f"a request body may have at most {limit:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "too-large", f"a request body may have at most {limit:,} bytes")
    try:
        return orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise Problem(400, "malformed-json", f"the body is not JSON (or nested deeper than 1,024): {exc}") from exc
