"""Open a telemetry store by URL; the backend is looked up in ``BACKENDS``, imported on demand.

- ``sqlite:///path/to/telemetry.db`` (embedded default), ``sqlite://`` for an in-memory store;
- ``influxdb://host:8086/db?...`` or ``influxdbs://`` (production; see ``ingest.influx_url``).
"""

from __future__ import annotations

import importlib
from typing import cast

from ingest.store import DeadLetterLimits, TelemetryStore
from pitstop.errors import ConfigError

#: URL scheme -> (module, class); the class has ``open(url)``.
BACKENDS: dict[str, tuple[str, str]] = {
    "sqlite": ("ingest.sqlite", "SqliteStore"),
    "influxdb": ("ingest.influx", "InfluxStore"),
    "influxdbs": ("ingest.influx", "InfluxStore"),
}


def open_store(url: str, dead_limits: DeadLetterLimits | None = None) -> TelemetryStore:
    """Open the telemetry store a URL names (``dead_limits``: the bounds of its dead letters,
    ``ingest.dead_model``; defaults when None)."""
    scheme = url.partition(":")[0].lower()
    if scheme not in BACKENDS:
        raise ConfigError(f"telemetry store URL {url!r}: expected sqlite:///path or influxdb://...")
    module, name = BACKENDS[scheme]
    backend = getattr(importlib.import_module(module), name)
    return cast(TelemetryStore, backend.open(url, dead_limits=dead_limits))
