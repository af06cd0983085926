"""The Prometheus exposition the cloud services share (ingest, rules): counters and gauges
read from a service's live figures at each scrape, and the HTTP endpoint that serves them.
Each service names its own figures (``ingest.metrics``, ``rules.metrics``); nothing here runs
on a hot path. Needs ``prometheus-client`` (the cloud extra), so the gateway never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


def families(
    service: str, counters: Mapping[str, float], gauges: Mapping[str, float]
) -> Iterator[Metric]:
    """``pitstop_<service>_<name>`` for each counter and each gauge."""
    for name, value in counters.items():
        counter = CounterMetricFamily(f"pitstop_{service}_{name}", f"{service}: {name}")
        counter.add_metric([], value)
        yield counter
    for name, value in gauges.items():
        gauge = GaugeMetricFamily(f"pitstop_{service}_{name}", f"{service}: {name}")
        gauge.add_metric([], value)
        yield gauge


def serve(port: int, registry: CollectorRegistry) -> Callable[[], None]:
    """Serve ``registry`` on ``port`` (all interfaces); return what stops it."""
    server, thread = start_http_server(port, registry=registry)

    def stop() -> None:
        server.shutdown()
        thread.join(5)

    return stop
