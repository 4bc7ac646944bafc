"""A node's last line of defence and its identity, without a process: an error no route expected
is a bare problem+json 500 and one log line; a node's id is made once and kept."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from store import DirectoryBackend, StoreError, create_app, node_identity


class Broken(DirectoryBackend):
    def open(self, key: str) -> Any:
        raise RuntimeError(f"secret state in {self.root}")


def call(app: Any, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request to an ASGI app, in process: (status, headers, body)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"node")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 7001),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_an_unexpected_error_is_a_bare_problem_500_and_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Broken(tmp_path / "node"))
    with caplog.at_level(logging.ERROR, logger="store.node"):
        status, headers, body = call(app, "GET", "/shards/" + "a" * 64)
    assert status == 500 and headers["content-type"] == "application/problem+json"
    problem = orjson.loads(body)
    assert problem["title"] == "internal error" and "secret" not in body.decode() and str(tmp_path) not in body.decode()
    (record,) = caplog.records
    assert "RuntimeError" in record.getMessage() and record.exc_info is None  # one line, no traceback


def test_a_store_error_keeps_its_own_answer(tmp_path: Path) -> None:
    status, headers, _ = call(create_app(DirectoryBackend(tmp_path / "node")), "GET", "/shards/" + "a" * 64)
    assert status == 404 and headers["content-type"] == "application/problem+json"


def test_a_node_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = node_identity(tmp_path / "node")
    assert len(first) == 32 and node_identity(tmp_path / "node") == first
    assert (tmp_path / "node" / "node-id").read_text().strip() == first.hex()
    assert node_identity(tmp_path / "other") != first
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "node-id").write_text("not an id\n")
    with pytest.raises(StoreError, match="does not hold a node id"):
        node_identity(tmp_path / "bad")
