"""marketplace.client's HTTP over real sockets: one kept connection for a client's requests, a
kept connection the API has closed replaced (a file upload then sent whole from its start), an
event stream left early not blocking the next request, a request made while a stream is read
served on a connection of its own, bytes nobody asked for never taken as an answer, and an answer
the API gives before it has read an upload reported as it is."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import orjson
import pytest

from ledger import dev_account
from marketplace.client import ApiClient, ApiError, blob_cid

from ..conftest import http_server

JOB = "0x" + "ab" * 32


class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: list[int]
    hang_up: bool
    streams_open: threading.Event
    mode: str
    posts: list[int]

    def setup(self) -> None:
        super().setup()
        self.connections.append(self.client_address[1])

    def log_message(self, *_: object) -> None:
        pass

    def _json(self, body: object) -> None:
        data = orjson.dumps(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        # Like a server whose idle timeout ran out just after answering: it says nothing of it.
        self.close_connection = self.hang_up

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.mode == "unasked" and self.path != "/v1/blobs":
            self._json({"job_id": JOB, "status": "open", "path": self.path})
            time.sleep(0.05)  # then an answer to nothing, on the same connection
            self._json({"job_id": JOB, "status": "settled", "path": "unasked"})
            return
        if self.path == "/v1/blobs":
            self._json({"id": "0x" + "00" * 32})
        elif self.path == f"/v1/jobs/{JOB}/events":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for n in range(3):
                event = f'id: {n}\nevent: JobPosted\ndata: {{"n": {n}}}\n\n'.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
                time.sleep(0.05)
            if self.mode == "finite":
                self.wfile.write(b"0\r\n\r\n")  # the job is final: the stream ends
                return
            self.streams_open.wait(30)  # the stream stays open, as a live one does
            self.close_connection = True
        else:
            self._json({"job_id": JOB, "status": "open", "path": self.path})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.posts.append(int(self.headers["Content-Length"]))
        if self.mode == "early":  # refused from its headers, as a proxy's body limit does
            problem = b'{"type": "/problems/too-large", "status": 413, "detail": "an upload may have 1 MiB"}'
            self.send_response(413)
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(problem)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(problem)
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self._json({"cid": blob_cid(body)})


@contextmanager
def api(*, hang_up: bool = False, mode: str = "") -> Iterator[tuple[str, list[int], list[int]]]:
    """The server's URL, the client ports of the connections it took, and the sizes of the POSTs
    it was sent."""
    release = threading.Event()
    handler: Callable[..., _Api] = type(
        "Api", (_Api,), {"connections": [], "hang_up": hang_up, "streams_open": release, "mode": mode, "posts": []}
    )  # type: ignore[assignment]
    with http_server(handler) as url:  # type: ignore[arg-type]
        try:
            yield url, handler.connections, handler.posts  # type: ignore[attr-defined]
        finally:
            release.set()  # open streams end before the server stops


def test_a_client_keeps_one_connection_for_its_requests() -> None:
    with api() as (url, connections, _), ApiClient(url) as client:
        answers = [client.job(JOB) for _ in range(5)]
    assert [a["path"] for a in answers] == [f"/v1/jobs/{JOB}"] * 5
    assert len(connections) == 1


def test_a_kept_connection_the_api_closed_is_replaced_and_a_file_is_sent_whole(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(bytes(range(256)) * 40_000)  # ~10 MiB: more than a socket's buffers take
    with api(hang_up=True) as (url, connections, _), ApiClient(url, signer=dev_account(1)) as client:
        first = client.job(JOB)
        sent: list[int] = []
        cid = client.upload(blob, progress=sent.append)
        again = client.job(JOB)
    assert first["status"] == again["status"] == "open"
    assert cid == blob_cid(blob)  # what the API received is the file, whole, from its first byte
    assert len(connections) >= 3  # every request after the first found its connection closed


def test_an_event_stream_left_early_does_not_hold_up_the_next_request() -> None:
    with api() as (url, connections, _), ApiClient(url) as client:
        for event in client.events(JOB):
            assert event.name == "JobPosted" and event.data == {"n": 0}
            break
        answer = client.job(JOB)
    assert answer["path"] == f"/v1/jobs/{JOB}"
    assert len(connections) == 2  # the stream's connection was given up, not waited on


def test_a_request_made_while_a_stream_is_read_has_a_connection_of_its_own() -> None:
    with api(mode="finite") as (url, connections, _), ApiClient(url) as client:
        seen = []
        for event in client.events(JOB):
            seen.append(event.data["n"])
            assert client.job(JOB)["path"] == f"/v1/jobs/{JOB}"
    assert seen == [0, 1, 2]  # the stream was read to its end, every event of it
    assert len(connections) == 2


def test_bytes_nobody_asked_for_are_never_taken_as_an_answer() -> None:
    with api(mode="unasked") as (url, connections, _), ApiClient(url) as client:
        first = client.job(JOB)
        time.sleep(0.2)  # the unasked answer has arrived on the kept connection
        second = client.job(JOB)
    assert first["path"] == second["path"] == f"/v1/jobs/{JOB}"
    assert first["status"] == second["status"] == "open"
    assert len(connections) == 2  # the connection that carried it was given up


def test_an_answer_given_before_the_upload_was_read_is_reported_and_the_upload_sent_once(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"x" * (8 << 20))
    with api(mode="early") as (url, _, posts), ApiClient(url, signer=dev_account(1)) as client:
        with pytest.raises(ApiError) as refused:
            client.upload(blob)
    assert refused.value.status == 413 and refused.value.kind == "too-large", refused.value
    assert posts == [8 << 20]  # sent once: the answer was read, not taken for a dropped connection
