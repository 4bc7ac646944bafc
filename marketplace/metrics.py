"""`GET /metrics`: the API's requests and latencies, the relay backlog and the indexer's lag, in
Prometheus' text format (version 0.0.4), written by hand.

Requests are counted by method, route template (`/v1/jobs/{job_id}`, never the path a client
sent, so clients cannot grow the label set) and status; latency is the time until the answer's
status line (for an event stream: until it starts).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the latency histogram's buckets."""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Key = tuple[str, str, str]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())


class RequestMetrics:
    """Counts and latency histograms of the requests answered, by method, route and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[Key, list[int]] = {}
        self._sums: dict[Key, float] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method if method in METHODS else "other", route, str(status))
        with self._lock:
            counts = self._buckets.setdefault(key, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._sums[key] = self._sums.get(key, 0.0) + seconds

    def render(self, gauges: Iterable[tuple[str, str, float | None]] = ()) -> str:
        """The text format: the request series, then each gauge (name, help, value; None: left out)."""
        with self._lock:
            snapshot = sorted((k, list(v), self._sums[k]) for k, v in self._buckets.items())
        lines = [
            "# HELP agora_http_requests_total HTTP requests answered, by method, route template and status.",
            "# TYPE agora_http_requests_total counter",
        ]
        for (method, route, status), counts, _ in snapshot:
            lines.append(
                f"agora_http_requests_total{{{_labels(method=method, route=route, status=status)}}} {counts[-1]}"
            )
        lines += [
            "# HELP agora_http_request_duration_seconds Seconds until the answer's status line, by route and status.",
            "# TYPE agora_http_request_duration_seconds histogram",
        ]
        for (method, route, status), counts, total in snapshot:
            base = _labels(method=method, route=route, status=status)
            for bound, count in zip((*map(repr, BUCKETS), "+Inf"), counts, strict=True):
                lines.append(f'agora_http_request_duration_seconds_bucket{{{base},le="{bound}"}} {count}')
            lines.append(f"agora_http_request_duration_seconds_sum{{{base}}} {total:.6f}")
            lines.append(f"agora_http_request_duration_seconds_count{{{base}}} {counts[-1]}")
        for name, help_text, value in gauges:
            if value is None:
                continue
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """Observes every HTTP request of the app it wraps into ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered: dict[str, Any] = {"status": 500, "after": None}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"], answered["after"] = message["status"], time.perf_counter() - started
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            seconds = answered["after"] if answered["after"] is not None else time.perf_counter() - started
            self.metrics.observe(str(scope.get("method", "")), route, int(answered["status"]), seconds)
