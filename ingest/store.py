"""The telemetry store interface, shared by ingest (writes), rules and the API (reads).

A backend is chosen by URL in one place, ``open_store``:

- ``sqlite:///path/to/telemetry.db`` (embedded default), ``sqlite://`` for an in-memory store;
- ``influxdb://...`` (production; see issue 5).

Every store is safe to use from several threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

from pitstop.codec import TelemetryBatch
from pitstop.errors import ConfigError, PitstopError


class StoreError(PitstopError):
    """The store could not do what was asked (unreachable, corrupt, refused)."""


class Point(NamedTuple):
    """One stored value of one signal: seconds since the epoch, value."""

    ts: float
    value: float


@dataclass(frozen=True, slots=True)
class VehicleSummary:
    vin: str
    profile: str  # hash of the profile that decoded its latest batch
    first_seen: float  # earliest sample time
    last_seen: float  # latest sample time


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    received_at: float
    topic: str
    reason: str
    payload: bytes


class TelemetryStore(Protocol):
    def write_batch(self, batch: TelemetryBatch) -> bool:
        """Store a batch durably (committed when this returns).

        Idempotent: returns False and changes nothing if (VIN, seq) was stored before; a sample
        already stored for the same (VIN, signal, timestamp) is kept, not duplicated.
        """
        ...

    def write_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float
    ) -> None:
        """Keep a payload that failed validation, whole, with the reason."""
        ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent dead letters, newest first."""
        ...

    def vehicles(self) -> list[VehicleSummary]:
        """Every vehicle with stored samples, ordered by VIN."""
        ...

    def signals(self, vin: str) -> list[str]:
        """The canonical signal names stored for a vehicle, sorted."""
        ...

    def latest(self, vin: str) -> dict[str, Point]:
        """The latest value of each signal of a vehicle."""
        ...

    def query(
        self, vin: str, signal: str, start: float, end: float, limit: int = 10_000
    ) -> list[Point]:
        """Raw samples with ``start <= ts < end``, oldest first, at most ``limit``."""
        ...

    def count(self, vin: str | None = None) -> int:
        """How many samples are stored (for one vehicle, or all)."""
        ...

    def close(self) -> None: ...


def open_store(url: str) -> TelemetryStore:
    """Open the telemetry store a URL names."""
    if url.startswith("sqlite:"):
        from ingest.sqlite import SqliteStore

        return SqliteStore.open(url)
    raise ConfigError(f"telemetry store URL {url!r}: expected sqlite:///path")
