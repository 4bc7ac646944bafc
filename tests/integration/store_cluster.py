"""Store node processes for tests: start, kill, freeze, and where their shards live; the test
writer whose signature the nodes accept, and signed raw requests; a lying node for client tests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from urllib3.exceptions import InsecureRequestWarning

from store import authorization

from ..conftest import ROOT, free_port

WRITER: LocalAccount = Account.from_key(hashlib.sha256(b"agora store test writer").digest())
"""The account test nodes accept writes from (``--writers WRITER.address``) unless told otherwise."""


def node_id(url: str) -> bytes:
    """The id a node declares in its /info (what write signatures name)."""
    return bytes.fromhex(requests.get(f"{url}/info", timeout=10).json()["id"][2:])


def signed_put(
    url: str,
    path: str,
    body: bytes,
    *,
    account: LocalAccount = WRITER,
    expires: int | None = None,
    node: bytes | None = None,
    **kwargs: object,
) -> requests.Response:
    """``PUT url+path`` with a body, signed by ``account`` for the node at ``url`` (or the node
    whose id is ``node``), valid for 10 minutes unless ``expires``."""
    when = int(time.time()) + 600 if expires is None else expires
    headers = {"Authorization": authorization(account, path, len(body), when, node=node or node_id(url))}
    return requests.put(url + path, data=body, headers=headers, **kwargs)  # type: ignore[arg-type]


@dataclass
class Node:
    url: str
    dir: Path | None
    region: str
    proc: subprocess.Popen[bytes]
    args: list[str]
    env: dict[str, str] | None = None
    log_path: Path | None = None

    @property
    def id(self) -> bytes:
        """The id it declares in /info."""
        return node_id(self.url)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self) -> None:
        """Starts the node again on the same port and directory."""
        self.proc = _spawn(self.args, self.env, self.log_path)
        self.wait_up()

    def wait_up(self) -> None:
        """Returns once the node answers /info (raises when it exits or does not within 30 s)."""
        _wait_up(self.url, self.proc, self.log_path)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def shard_path(self, digest: str) -> Path:
        assert self.dir is not None
        return self.dir / "shards" / digest

    def log(self) -> str:
        """What the node has logged (its stderr)."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def _spawn(args: list[str], env: dict[str, str] | None, log_path: Path | None) -> subprocess.Popen[bytes]:
    # To a file, not a pipe: a pipe nobody reads fills up and stops a node that logs a lot.
    with open(log_path or os.devnull, "ab") as log:
        return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env=env or os.environ.copy())


def start_node(
    directory: Path | None,
    *,
    region: str = "",
    extra: list[str] | None = None,
    writers: str | None = None,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    scheme: str = "http",
    wait: bool = True,
) -> Node:
    """`agora store serve` on a free port; writes accepted from ``writers`` (default: `WRITER`);
    stderr to ``log_path`` (default: beside ``directory``). ``wait=False`` returns at once (call
    `Node.wait_up`)."""
    port = free_port()
    args = [sys.executable, "-m", "cli", "store", "serve", "--port", str(port), "--region", region]
    if directory is not None:
        args += ["--dir", str(directory)]
        directory.parent.mkdir(parents=True, exist_ok=True)
        log_path = log_path or directory.with_name(f"{directory.name}.log")
    args += ["--writers", writers or WRITER.address, *(extra or [])]
    proc = _spawn(args, env, log_path)
    node = Node(f"{scheme}://127.0.0.1:{port}", directory, region, proc, args, env, log_path)
    if wait:
        node.wait_up()
    return node


def _wait_up(url: str, proc: subprocess.Popen[bytes], log_path: Path | None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise RuntimeError(f"store node exited with {proc.returncode}: {said}")
        try:
            with warnings.catch_warnings():  # an https test node's certificate is its test's own
                warnings.simplefilter("ignore", InsecureRequestWarning)
                if requests.get(f"{url}/info", timeout=1, verify=False).ok:
                    return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"store node at {url} did not start")


def start_cluster(
    root: Path,
    regions: list[str],
    *,
    writers: str | None = None,
    env: dict[str, str] | None = None,
    extra: list[str] | None = None,
) -> list[Node]:
    """A node per region, each in ``root/node<i>`` (see `start_node`), started side by side."""
    nodes = [
        start_node(root / f"node{i}", region=r, writers=writers, env=env, extra=extra, wait=False)
        for i, r in enumerate(regions)
    ]
    try:
        for node in nodes:
            node.wait_up()
    except BaseException:
        stop_all(nodes)
        raise
    return nodes


def stop_all(nodes: list[Node]) -> None:
    for node in nodes:
        if node.proc.poll() is None:
            node.thaw()
            node.proc.terminate()
    for node in nodes:
        try:
            node.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.proc.kill()


# -- a lying node --------------------------------------------------------------------------------

Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]


class LiarNode:
    """An HTTP server on loopback, in this process, answering each path as told (honestly, or
    endlessly, slowly, with a false Content-Length...) and recording what clients did: the
    requests it saw, and when a client closed a connection before the answer was done.

    One request per connection (every answer says ``Connection: close``), so a client closing
    its side is told apart from its next request.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.default: Behaviour = answer_with(404, b"no")
        """The answer to a path without a route."""
        self.requests: list[str] = []
        self.closed: list[float] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Closes the server and every connection still being answered."""

        async def shutdown() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._answer(reader, writer)
        except (asyncio.CancelledError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()  # cancelled: the liar is stopping

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        method, path = line.split(" ")[:2]
        length = next((int(f.split(":")[1]) for f in fields if f.lower().startswith("content-length:")), 0)
        await reader.readexactly(length)
        self.requests.append(f"{method} {path}")
        answer = asyncio.ensure_future(self.routes.get(path, self.default)(writer))
        eof = asyncio.ensure_future(reader.read(1))
        done, _ = await asyncio.wait({answer, eof}, return_when=asyncio.FIRST_COMPLETED)
        if eof in done:
            self.closed.append(time.monotonic())
        for task in (answer, eof):
            task.cancel()
        with contextlib.suppress(Exception):
            writer.close()


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer_with(status: int, body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    """An honest answer (with ``headers`` besides its length)."""

    async def run(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, {"Content-Length": str(len(body)), **(headers or {})}) + body)
        await writer.drain()

    return run


def late(body: bytes, delay: float) -> Behaviour:
    """The right answer, all at once, after ``delay`` seconds of silence."""

    async def run(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay)
        writer.write(_head(200, {"Content-Length": str(len(body))}) + body)
        await writer.drain()

    return run


def endless(chunk: bytes = b"\0" * 65536) -> Behaviour:
    """A chunked body that never ends."""

    async def run(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Transfer-Encoding": "chunked"}))
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while True:
            writer.write(frame)
            await writer.drain()

    return run


def declaring(length: int) -> Behaviour:
    """A ``Content-Length`` of ``length``, then bytes for as long as the client reads."""

    async def run(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Content-Length": str(length)}))
        while True:
            writer.write(b"\0" * 65536)
            await writer.drain()

    return run


def trickling(body: bytes, every: float = 2.0, *, head_too: bool = False) -> Behaviour:
    """One byte every ``every`` seconds: of the body, or (``head_too``) of the status line on."""

    async def run(writer: asyncio.StreamWriter) -> None:
        data = _head(200, {"Content-Length": str(len(body))}) + body
        if not head_too:
            head = _head(200, {"Content-Length": str(len(body))})
            writer.write(head)
            data = body
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(every)

    return run


def in_pieces(body: bytes, pieces: list[int], every: float) -> Behaviour:
    """The head, then the body's first bytes in ``pieces`` (sizes), ``every`` seconds apart, then the rest."""

    async def run(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Content-Length": str(len(body))}))
        at = 0
        for size in pieces:
            writer.write(body[at : at + size])
            await writer.drain()
            at += size
            await asyncio.sleep(every)
        writer.write(body[at:])
        await writer.drain()

    return run
