"""Ingest's Prometheus metrics, read from its live counters at each scrape (nothing on the
hot path): messages, samples, duplicates, dead letters, store errors, the backlog (inbox and
groups waiting for their hand-ons) and the store lag (wall time at commit minus the newest
sample's time, a histogram). ``pitstop.metrics.serve`` exposes them on an HTTP port; the
caller stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.registry import Collector

from ingest.stats import Counters
from pitstop.metrics import families

LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0)


class IngestCollector(Collector):
    def __init__(self, counters: Counters, backlog: Callable[[], dict[str, float]]) -> None:
        self.counters = counters
        self.backlog = backlog

    def collect(self) -> Iterator[Any]:
        snapshot = self.counters.snapshot()
        counts = {f.name: float(getattr(snapshot, f.name)) for f in fields(snapshot)}
        yield from families("ingest", counts, self.backlog())


def store_lag(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "pitstop_ingest_store_lag_seconds",
        "wall time at commit minus the newest sample time of each stored live batch",
        buckets=LAG_BUCKETS,
        registry=registry,
    )
