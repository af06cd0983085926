"""Ingest's Prometheus metrics, read from its live counters at each scrape (nothing on the
hot path): messages, samples, duplicates, dead letters, store errors, the backlog (inbox and
groups waiting for their hand-ons) and the store lag (wall time at commit minus the newest
sample's time, a histogram). ``serve`` exposes them on an HTTP port; the caller stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ingest.stats import Counters

LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0)


class IngestCollector(Collector):
    def __init__(self, counters: Counters, backlog: Callable[[], dict[str, float]]) -> None:
        self.counters = counters
        self.backlog = backlog

    def collect(self) -> Iterator[Any]:
        snapshot = self.counters.snapshot()
        for field in fields(snapshot):
            family = CounterMetricFamily(f"pitstop_ingest_{field.name}", f"ingest: {field.name}")
            family.add_metric([], float(getattr(snapshot, field.name)))
            yield family
        for name, value in self.backlog().items():
            gauge = GaugeMetricFamily(f"pitstop_ingest_{name}", f"ingest: {name}")
            gauge.add_metric([], value)
            yield gauge


def store_lag(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "pitstop_ingest_store_lag_seconds",
        "wall time at commit minus the newest sample time of each stored live batch",
        buckets=LAG_BUCKETS,
        registry=registry,
    )


def serve(port: int, registry: CollectorRegistry) -> Callable[[], None]:
    """Serve ``registry`` on ``port`` (all interfaces); return what stops it."""
    server, thread = start_http_server(port, registry=registry)

    def stop() -> None:
        server.shutdown()
        thread.join(5)

    return stop
