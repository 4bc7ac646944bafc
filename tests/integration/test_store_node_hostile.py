"""Hostile clients against a store node process: unsigned, forged, replayed and over-quota writes,
stalled and aborted uploads, odd names, a manifest too deep to parse, a fuzz run of every route.
The node must refuse cleanly, stay up, keep answering others, and leak nothing of itself."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import string
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import requests
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import Manifest, Segment, ShardRef, authorization, cid_of
from store.auth import SECP256K1_N

from .store_cluster import WRITER, Node, node_id, signed_put, start_node, stop_all

OTHER = Account.from_key(hashlib.sha256(b"another accepted writer").digest())
STRANGER = Account.from_key(hashlib.sha256(b"a writer nobody accepted").digest())
IDLE = 1.5


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    env = {**os.environ, "AGORA_STORE_IDLE_TIMEOUT": str(IDLE), "AGORA_STORE_MAX_UPLOADS": "4"}
    started = start_node(
        tmp_path_factory.mktemp("attacked") / "node", writers=f"{WRITER.address},{OTHER.address}", env=env
    )
    yield started
    stop_all([started])
    assert "Traceback" not in started.log(), started.log()[-3000:]


def shard(size: int) -> tuple[str, bytes]:
    data = os.urandom(size)
    return f"/shards/{hashlib.sha256(data).hexdigest()}", data


def disk_use(directory: Path) -> int:
    """Bytes of shards, manifests and staged uploads under a node's directory."""
    return sum(p.stat().st_size for kind in ("shards", "manifests", ".staging") for p in (directory / kind).iterdir())


def later(seconds: int = 600) -> int:
    return int(time.time()) + seconds


# -- who may write ---------------------------------------------------------------------------------


def test_an_unsigned_write_is_401(node: Node) -> None:
    path, data = shard(1000)
    reply = requests.put(node.url + path, data=data)
    assert reply.status_code == 401 and reply.headers["www-authenticate"] == "AgoraStore"
    assert reply.headers["content-type"] == "application/problem+json"
    assert requests.head(node.url + path).status_code == 404


def test_a_signer_the_node_does_not_accept_is_403(node: Node) -> None:
    path, data = shard(1000)
    reply = signed_put(node.url, path, data, account=STRANGER)
    assert reply.status_code == 403 and STRANGER.address in reply.json()["detail"]
    assert signed_put(node.url, path, data, account=OTHER).status_code == 201


def test_a_signature_is_bound_to_its_path_and_size(node: Node) -> None:
    path, data = shard(1000)
    other_path, _ = shard(1000)
    for header_path, size in ((other_path, len(data)), (path, len(data) + 1)):
        headers = {"Authorization": authorization(WRITER, header_path, size, later(), node=node.id)}
        reply = requests.put(node.url + path, data=data, headers=headers)
        assert reply.status_code == 401 and "is not" in reply.json()["detail"]
    assert requests.head(node.url + path).status_code == 404


def test_an_expired_signature_cannot_be_replayed(node: Node) -> None:
    path, data = shard(1000)
    expires = int(time.time()) + 1
    headers = {"Authorization": authorization(WRITER, path, len(data), expires, node=node.id)}
    assert requests.put(node.url + path, data=data, headers=headers).status_code == 201
    time.sleep(expires + 1.05 - time.time())  # a little past the second it was valid in
    reply = requests.put(node.url + path, data=data, headers=headers)
    assert reply.status_code == 401 and "expired" in reply.json()["detail"]


def test_a_signature_expiring_more_than_an_hour_ahead_is_401(node: Node) -> None:
    path, data = shard(100)
    headers = {"Authorization": authorization(WRITER, path, len(data), later(3700), node=node.id)}
    assert requests.put(node.url + path, data=data, headers=headers).status_code == 401


def test_a_high_s_signature_is_401(node: Node) -> None:
    path, data = shard(1000)
    good = authorization(WRITER, path, len(data), later(), node=node.id)
    prefix, hexsig = good.rsplit("0x", 1)
    sig = bytes.fromhex(hexsig)
    twin = sig[:32] + (SECP256K1_N - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big") + bytes([55 - sig[64]])
    reply = requests.put(node.url + path, data=data, headers={"Authorization": f"{prefix}0x{twin.hex()}"})
    assert reply.status_code == 401 and "canonical" in reply.json()["detail"]


def test_a_body_in_many_small_pieces_and_one_large_piece_is_stored_byte_for_byte(node: Node) -> None:
    """A node hands the app each body piece as the parser gave it (`_serve._Pieces`): pieces
    that pile up between two reads are joined in order. The node hashes what it received
    against the name, so a 201 (and the bytes read back) means no piece was lost, doubled or
    reordered."""
    for pieces in (2000, 1):
        path, data = shard(3 << 20)
        host, port = node.url.removeprefix("http://").split(":")
        auth = authorization(WRITER, path, len(data), later(), node=node.id)
        with socket.create_connection((host, int(port))) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            head = f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\nAuthorization: {auth}\r\n\r\n"
            sock.sendall(head.encode())
            step = -(-len(data) // pieces)
            for i in range(0, len(data), step):
                sock.sendall(data[i : i + step])
            reply = http.client.HTTPResponse(sock)
            reply.begin()
            assert reply.status == 201, reply.read()
        assert requests.get(node.url + path, timeout=10).content == data


def test_a_write_without_content_length_is_411(node: Node) -> None:
    path, data = shard(1000)
    headers = {"Authorization": authorization(WRITER, path, len(data), later(), node=node.id)}
    reply = requests.put(node.url + path, data=iter([data]), headers=headers)  # chunked
    assert reply.status_code == 411


def test_a_writer_past_its_quota_gets_507_and_nothing_is_stored(tmp_path: Path) -> None:
    small = start_node(tmp_path / "small", extra=["--quota", "1MB"])
    try:
        first, data = shard(600_000)
        assert signed_put(small.url, first, data).status_code == 201
        before = disk_use(tmp_path / "small")
        second, more = shard(600_000)
        reply = signed_put(small.url, second, more)
        assert reply.status_code == 507 and "quota of 1000000 bytes" in reply.json()["detail"]
        assert not small.shard_path(second.rsplit("/", 1)[1]).exists()
        assert list((tmp_path / "small" / ".staging").iterdir()) == []
        assert signed_put(small.url, first, data).status_code == 201  # already stored: costs nothing
        small.kill()
        small.restart()  # the quota book survives
        assert signed_put(small.url, second, more).status_code == 507
        assert disk_use(tmp_path / "small") == before  # the disk is not filled
        assert signed_put(small.url, *shard(300_000)).status_code == 201  # what is left may be used
        # Objects cost whole 4 KiB blocks and one more: of the 86,592 bytes left (1 MB less
        # 606,208 and 307,200), ten 4-byte shards take 81,920; by their bytes, 21,648 would fit.
        codes = [signed_put(small.url, *shard(4)).status_code for _ in range(11)]
        assert codes == [201] * 10 + [507]
    finally:
        stop_all([small])


# -- uploads that stall, abort, or come too many at once ---------------------------------------------


def _start_upload(url: str, size: int, sent: int) -> socket.socket:
    """A signed PUT declaring ``size`` bytes that sends ``sent`` of them and goes quiet."""
    path = f"/shards/{os.urandom(32).hex()}"
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    auth = authorization(WRITER, path, size, later(), node=node_id(url))
    sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\nAuthorization: {auth}\r\n\r\n".encode())
    chunk = b"\0" * (1 << 20)
    try:
        for _ in range(sent // len(chunk)):
            sock.sendall(chunk)
    except OSError:
        pass  # refused before the body (503): the answer is read below
    return sock


def _answer(sock: socket.socket, timeout: float) -> int:
    sock.settimeout(timeout)
    reply = http.client.HTTPResponse(sock)
    reply.begin()
    return reply.status


def test_stalled_uploads_hold_no_memory_are_capped_and_time_out(node: Node) -> None:
    """The attack found: five connections send 60 MiB of a 67 MB body each and go quiet."""
    process = psutil.Process(node.proc.pid)
    before = process.memory_info().rss
    stalled = [_start_upload(node.url, 67_000_000, 60 << 20) for _ in range(4)]
    fifth = _start_upload(node.url, 67_000_000, 60 << 20)
    try:
        assert _answer(fifth, 10) == 503  # four uploads in progress is this node's limit
        t0 = time.monotonic()
        assert requests.get(f"{node.url}/info", timeout=5).ok  # others are answered meanwhile
        assert time.monotonic() - t0 < 1.0
        growth = (process.memory_info().rss - before) / 1e6
        assert growth < 100, f"the node grew {growth:.0f} MB holding 240 MiB of stalled uploads"
        for sock in stalled:
            assert _answer(sock, IDLE + 5) == 408  # nothing for the idle timeout
        staging = node.dir / ".staging" if node.dir else None
        assert staging is not None and list(staging.iterdir()) == []
        assert signed_put(node.url, *shard(1000)).status_code == 201  # room again
    finally:
        for sock in [*stalled, fifth]:
            sock.close()
    assert "stalled after" in node.log()


def test_an_aborted_upload_is_one_log_line(node: Node) -> None:
    sock = _start_upload(node.url, 1_000_000, 0)
    sock.sendall(b"\0" * 100_000)
    time.sleep(0.2)
    sock.close()
    deadline = time.monotonic() + 5
    while "client disconnected after 100000 of 1000000 bytes" not in node.log():
        assert time.monotonic() < deadline, node.log()[-2000:]
        time.sleep(0.05)
    assert "Traceback" not in node.log()


def test_an_idle_or_slow_request_head_is_dropped(node: Node) -> None:
    """A connection that sends nothing, or a request head one header every 0.3 s, is dropped
    once the idle timeout has passed without a whole head."""
    host, port = node.url.removeprefix("http://").split(":")
    socks = {name: socket.create_connection((host, int(port))) for name in ("silent", "slow")}
    socks["slow"].sendall(b"GET /info HTTP/1.1\r\n")
    start = time.monotonic()
    dropped: dict[str, float] = {}
    try:
        while len(dropped) < 2 and time.monotonic() - start < IDLE + 5:
            for name, sock in socks.items():
                if name in dropped:
                    continue
                try:
                    if name == "slow":
                        sock.sendall(b"X-Slow: 1\r\n")
                    sock.settimeout(0.3)
                    if sock.recv(1) == b"":
                        dropped[name] = time.monotonic() - start
                except TimeoutError:
                    pass
                except OSError:  # reset by the node
                    dropped[name] = time.monotonic() - start
    finally:
        for sock in socks.values():
            sock.close()
    assert set(dropped) == {"silent", "slow"}
    assert all(IDLE - 0.5 < t < IDLE + 2 for t in dropped.values()), dropped


# -- what a node parses ----------------------------------------------------------------------------


def test_a_deeply_nested_manifest_upload_is_refused_and_the_node_stays_up(node: Node) -> None:
    body = b"[" * 100_000 + b" " * 1_600_000 + b"]" * 100_000  # sparse enough in brackets to be parsed
    reply = signed_put(node.url, f"/manifests/{cid_of(body)}", body)
    assert reply.status_code == 400 and "depth limit exceeded" in reply.json()["detail"]
    assert requests.get(f"{node.url}/info").ok


@pytest.mark.parametrize(
    "path",
    [
        "/shards/..",
        "/shards/abc%00def",
        "/shards/%2e%2e",
        "/shards/" + "a" * 5000,
        "/shards/" + "A" * 64,
        "/manifests/..",
        "/manifests/abc%00def",
        "/manifests/" + "b" * 5000,
        "/manifests/" + cid_of(b"x").upper(),
        "/manifests/zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",  # a CIDv1 in base58: not canonical
        "/audit/../0",
        "/audit/" + cid_of(b"x") + "/" + "9" * 5000,
        "/audit/" + cid_of(b"x") + "/-1",
    ],
)
def test_any_name_is_answered_404_or_422_never_500(node: Node, path: str) -> None:
    conn = http.client.HTTPConnection(node.url.removeprefix("http://"), timeout=10)
    try:
        for method in ("GET", "HEAD", "PUT"):
            conn.request(method, path, body=b"x" if method == "PUT" else None)
            reply = conn.getresponse()
            body = reply.read()
            assert reply.status in (401, 404, 405, 411, 422), (method, path, reply.status, body[:200])
            if reply.will_close:
                conn.close()
    finally:
        conn.close()


def test_parsing_a_15_mib_manifest_leaves_the_node_answering_others(node: Node) -> None:
    """The attack found: four audits of a 15 MiB manifest delayed every other request by 3 s."""
    count = 43_500  # one-byte segments: ~15 MiB of canonical JSON
    refs = tuple(ShardRef(os.urandom(32).hex(), "http://n:7001", "eu") for _ in range(3))
    manifest = Manifest(cid_of(b"many segments"), count, 1, 2, 1, (Segment(1, refs),) * count)
    body = manifest.to_bytes()
    assert 14 << 20 < len(body) < 16 << 20
    cid = manifest.manifest_cid
    results: list[int] = []

    def audit(leaf: int) -> None:
        results.append(requests.get(f"{node.url}/audit/{cid}/{leaf}", timeout=60).status_code)

    upload = threading.Thread(
        target=lambda: results.append(signed_put(node.url, f"/manifests/{cid}", body).status_code)
    )
    upload.start()
    slowest = _slowest_info(node, lambda: upload.is_alive())
    upload.join()
    audits = [threading.Thread(target=audit, args=(leaf,)) for leaf in range(4)]
    for thread in audits:
        thread.start()
    slowest = max(slowest, _slowest_info(node, lambda: any(t.is_alive() for t in audits)))
    for thread in audits:
        thread.join()
    assert results == [201, 404, 404, 404, 404]  # stored; audited (its shards are on no node)
    assert slowest < 1.0, f"/info took {slowest:.2f}s while manifests were parsed"


def _slowest_info(node: Node, busy: Callable[[], bool]) -> float:
    """The slowest of the /info requests made one after another while ``busy()``."""
    slowest = 0.0
    time.sleep(0.05)
    while busy():
        t0 = time.monotonic()
        assert requests.get(f"{node.url}/info", timeout=10).ok
        slowest = max(slowest, time.monotonic() - t0)
    return slowest


# -- a fuzz run of every route ---------------------------------------------------------------------

NAMES = st.one_of(
    st.just(""),
    st.sampled_from([cid_of(b"x"), "a" * 64, "..", ".", "%00", "%2e%2e", "%2F", "%ff", "%", "0", "-1"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~%:@!$&'()*+,;=/", max_size=80),
    st.integers(min_value=1, max_value=6000).map(lambda n: "b" * n),
)
PATHS = st.builds(
    lambda prefix, name, tail: prefix + name + tail,
    st.sampled_from(["/shards/", "/manifests/", "/audit/", "/audit/" + cid_of(b"x") + "/", "/info", "/", ""]),
    NAMES,
    st.sampled_from(["", "/", "/0", "?x=1", "#f"]),
)
HEADERS = st.dictionaries(
    st.sampled_from(["Authorization", "Content-Type", "Range", "Expect", "X-Any", "Transfer-Encoding"]),
    st.one_of(
        st.sampled_from(["AgoraStore signer=0x00,expires=1,signature=0x00", "chunked", "100-continue", "bytes=0-"]),
        st.text(alphabet=string.printable.strip(), max_size=200),
    ),
    max_size=3,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "TRACE"]),
    path=PATHS,
    headers=HEADERS,
    body=st.binary(max_size=2048),
)
def test_fuzzed_requests_never_get_a_5xx_a_traceback_or_a_path(
    node: Node, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    lines = [f"{method} {path or '/'} HTTP/1.1", "Host: fuzz", *(f"{k}: {v}" for k, v in headers.items())]
    if "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    host, port = node.url.removeprefix("http://").split(":")
    # A chunked body without its last chunk is an unfinished request: with the client's side shut,
    # the node may drop it without an answer (it never had a whole request to answer).
    chunked = headers.get("Transfer-Encoding", "").strip().lower() == "chunked"
    unfinished = chunked and not body.endswith(b"0\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        reply = http.client.HTTPResponse(sock, method=method)
        try:
            reply.begin()
        except http.client.RemoteDisconnected:
            assert unfinished, "the node closed a whole request without answering it"
            return
        answer = reply.read(1 << 20)
    assert reply.status < 500 or reply.status in (503, 507), (reply.status, answer[:300])
    text = answer.decode("utf-8", "replace")
    assert "Traceback" not in text and str(node.dir) not in text and "/tmp/" not in text
