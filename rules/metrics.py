"""The rules worker's Prometheus metrics, read from its live figures at each scrape: messages,
samples and rules evaluated, jobs opened, errors, the backlog (inbox, messages waiting for the
next checkpoint, vehicles in memory) and the staleness of what it evaluates (wall time at
evaluation minus the newest sample's time, a histogram). ``pitstop.metrics.serve`` exposes them
on a port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.registry import Collector

from pitstop.metrics import families
from rules.core import CoreStats

STALENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0)


class RulesCollector(Collector):
    def __init__(self, stats: CoreStats, backlog: Callable[[], dict[str, float]]) -> None:
        self.stats = stats
        self.backlog = backlog

    def collect(self) -> Iterator[Any]:
        values = {f.name: getattr(self.stats, f.name) for f in fields(self.stats)}
        counts = {name: float(v) for name, v in values.items() if isinstance(v, int)}
        yield from families("rules", counts, self.backlog())


def staleness(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "pitstop_rules_staleness_seconds",
        "wall time at evaluation minus the newest sample time of each telemetry batch",
        buckets=STALENESS_BUCKETS,
        registry=registry,
    )
