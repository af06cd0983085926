"""The API's Prometheus metrics: requests by method, route template and status class, and
their latency, counted by a small ASGI middleware into the app's own registry (never the
process-global one, so two apps in one process, as in the tests and the demo, stay apart)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "pitstop_api_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pitstop_api_request_seconds",
            "time to answer a request",
            ["route"],
            registry=self.registry,
        )


class MetricsMiddleware:
    """Counts every HTTP request under its route template (``/jobs/{job_id}``, not the id: a
    bounded set of labels) and its status class (``2xx``)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = _template(scope)
            code = f"{status[0] // 100}xx" if status else "5xx"
            self.metrics.requests.labels(scope["method"], route, code).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)


def _template(scope: dict[str, Any] | Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
