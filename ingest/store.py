"""The telemetry store interface, shared by ingest (writes), rules and the API (reads).

A backend is chosen by URL in one place, ``ingest.open.open_store``:

- ``sqlite:///path/to/telemetry.db`` (embedded default), ``sqlite://`` for an in-memory store;
- ``influxdb://host:8086/db?...`` (production; see ``ingest.influx_url`` for the options).

Every store is safe to use from several threads at once.

Downsampling levels: ``raw`` samples, and the ``1m`` and ``1h`` levels. ``downsample`` picks
the coarsest level that still gives at least half the points asked for; with a ``1m`` or ``1h``
level the range is widened to whole minutes or hours. SQLite folds its packed chunks' own
aggregates (count, min, max, sum, last) for a bucket wider than a chunk, and points only for the
chunks a bucket edge cuts, with the rollups of what raw retention dropped (``ingest.sqlite_read``).
InfluxDB downsamples on the server (``GROUP BY time()``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from ingest.dead_model import DeadLetterLimits, DeadLetterTotals, Kept, describe_payload
from ingest.errors import StoreError
from ingest.ledger import Seen
from ingest.presence_model import StoredEvent, VehicleStatus
from pitstop.codec import TelemetryBatch, TelemetryColumns
from pitstop.dtc import DtcReport
from pitstop.errors import TopicError
from pitstop.messages import Event, Status
from pitstop.topics import parse_topic

__all__ = ["DeadLetterLimits", "DeadLetterTotals", "Kept"]  # re-exported with the interface


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
    """A refused message: ``vin`` from its topic ('' if the topic names none), ``code`` the
    kind of fault (``ingest.errors.ValidationError.code``); ``payload`` is whole or its first
    ``DeadLetterLimits.max_payload_bytes``: ``size`` is the true size, ``digest`` the SHA-256
    of the whole payload."""

    id: int
    received_at: float
    topic: str
    reason: str
    payload: bytes
    vin: str = ""
    code: str = ""
    size: int = -1  # -1: as long as ``payload`` (rows kept before sizes were recorded)
    digest: str = ""

    @property
    def true_size(self) -> int:
        return len(self.payload) if self.size < 0 else self.size

    @property
    def trimmed(self) -> bool:
        return self.true_size > len(self.payload)

    def preview(self) -> str:
        """The payload as indented, escaped JSON when it decodes, else a hex preview."""
        return describe_payload(self.payload)


@dataclass(frozen=True, slots=True)
class DeadLetterCount:
    """How many dead letters one vehicle has of one kind of fault, and the latest one's time."""

    vin: str
    reason: str  # the fault's code, e.g. vin_mismatch, time, undecodable
    count: int
    last_at: float


def topic_vin(topic: str) -> str:
    """The VIN a topic names, '' when it names none (what dead letters are filed under)."""
    try:
        return parse_topic(topic)[0]
    except TopicError:
        return ""


def payload_digest(payload: bytes) -> str:
    """The key (with the topic) that makes a dead letter idempotent: a SHA-256 in hex."""
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True, slots=True)
class Bucket:
    """One time bucket of a downsampled series: start (s), count, min, max, mean, last."""

    start: float
    count: int
    min: float
    max: float
    mean: float
    last: float


@dataclass(frozen=True, slots=True)
class Page:
    """A page of raw points; pass ``cursor`` back to get the next one (None: the last page)."""

    points: list[Point]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class Retention:
    """How many days each level keeps; None keeps it for ever."""

    raw_days: float | None = 30.0
    minute_days: float | None = 365.0
    hour_days: float | None = None


class TelemetryStore(Protocol):
    def write_batch(self, batch: TelemetryBatch) -> bool:
        """Store a batch durably (committed when this returns).

        Idempotent: returns False and changes nothing if (VIN, instance, seq) was stored before; a
        sample already stored under the same key is kept, not duplicated. The key is (VIN, signal,
        millisecond, rank among the batch's samples of that signal in that millisecond), so two
        samples in one millisecond are two samples (``ingest.repeats``).
        """
        ...

    def write_batches(self, batches: Sequence[TelemetryColumns]) -> list[bool]:
        """Store several batches in one commit (the fast path ingest uses).

        The same idempotency as ``write_batch``; one flag per batch, True if newly stored.
        Everything is committed when this returns, or nothing is (it raises ``StoreError``).
        """
        ...

    def write_batches_seen(self, batches: Sequence[TelemetryColumns]) -> list[Seen]:
        """``write_batches``, telling for each batch not stored whether it was a duplicate
        (same (VIN, instance, seq) and content) or a conflict (same name, other content:
        ``ingest.ledger``). One commit, as ``write_batches``."""
        ...

    def write_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float, code: str = ""
    ) -> bool:
        """Keep a payload that failed validation, whole, with the reason (committed on return).

        Idempotent on (topic, ``payload_digest``): a message sent again is kept once; False
        (nothing changed) if it was kept before. Bounded as ``keep_dead_letter``.
        """
        ...

    def keep_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float, code: str = ""
    ) -> Kept:
        """``write_dead_letter`` telling what it cost: the payload cut to the size cap, the
        retention applied, the VIN's oldest dropped beyond its quota (``DeadLetterLimits``),
        in the same commit as the new row on SQLite."""
        ...

    def purge_dead_letters(self, vin: str | None = None, before: float | None = None) -> int:
        """Delete the dead letters of ``vin`` and/or received before ``before`` (both None:
        every one); how many there were."""
        ...

    def dead_letter_totals(self) -> DeadLetterTotals:
        """What the bounds have cost over the store's life."""
        ...

    def dead_letter(self, letter_id: int) -> DeadLetter | None:
        """One dead letter by its id, or None."""
        ...

    def delete_dead_letters(self, ids: Sequence[int]) -> int:
        """Delete dead letters (once re-ingested); how many there were."""
        ...

    def dead_letter_summary(self) -> list[DeadLetterCount]:
        """Dead letters counted per (VIN, code), ordered by VIN then code."""
        ...

    def write_dtc_report(self, report: DtcReport, received_at: float | None = None) -> bool:
        """Add a trouble-code report to the vehicle's DTC history (committed on return).

        Idempotent on (VIN, ``ts``, ``source``): False, and nothing changed, if stored before.
        """
        ...

    def dtc_history(
        self, vin: str, start: float, end: float, limit: int = 1_000
    ) -> list[DtcReport]:
        """The vehicle's DTC reports with ``start <= ts < end``, oldest first, at most ``limit``."""
        ...

    def dead_letters(self, limit: int = 100, vin: str | None = None) -> list[DeadLetter]:
        """The most recent dead letters (of one vehicle, or all), newest first."""
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

    def query_page(
        self,
        vin: str,
        signal: str,
        start: float,
        end: float,
        *,
        limit: int = 10_000,
        cursor: str | None = None,
    ) -> Page:
        """Like ``query``, one page at a time; ``cursor`` from the previous page continues."""
        ...

    def downsample(
        self, vin: str, signal: str, start: float, end: float, max_points: int = 2_000
    ) -> list[Bucket]:
        """At most ``max_points`` time buckets of ``start <= ts < end``, oldest first;
        buckets without samples are left out."""
        ...

    def apply_retention(self, retention: Retention, now: float) -> dict[str, int]:
        """Delete what is older than each level keeps; how many rows or points per level."""
        ...

    def count(self, vin: str | None = None) -> int:
        """How many samples are stored (for one vehicle, or all)."""
        ...

    # --- presence: the gateways' status and events (ingest.presence writes them) -------

    def write_status(self, status: Status, received_at: float, *, retained: bool = False) -> None:
        """Record a status the broker delivered (committed on return; cleaned by the caller,
        ``ingest.presence_model.clean_status``). A ``retained`` copy (a replay of the
        broker's last one, e.g. after a reconnect) changes nothing when the stored state is
        the same: the broker's order of live messages is the truth, not the gateway's clock."""
        ...

    def write_event(self, event: Event, received_at: float) -> bool:
        """Add an event (cleaned by the caller) to the vehicle's events; False if it was
        stored before: idempotent on (VIN, type, ts, hash of data). Keeps the store's
        ``PresenceLimits`` (events per vehicle, retention)."""
        ...

    def vehicle_status(self, vin: str) -> VehicleStatus | None:
        """The vehicle's presence, or None if neither a status nor an event came from it."""
        ...

    def events(
        self,
        vin: str,
        since: float,
        until: float,
        types: Sequence[str] | None = None,
        limit: int = 1_000,
    ) -> list[StoredEvent]:
        """Its events with ``since <= ts < until`` (of ``types``, if given), newest first."""
        ...

    def close(self) -> None: ...


def encode_cursor(next_key_us: int) -> str:
    """A cursor: the key (``ingest.repeats``, microseconds) the next page starts at."""
    return f"us:{next_key_us}"


def decode_cursor(cursor: str) -> int:
    """The key in microseconds; cursors of earlier versions (``ms:``) still work."""
    kind, _, value = cursor.partition(":")
    if kind not in _CURSOR_SCALE or not value.lstrip("-").isdigit():
        raise StoreError(f"not a cursor this store made: {cursor!r}")
    return int(value) * _CURSOR_SCALE[kind]


_CURSOR_SCALE = {"us": 1, "ms": 1000}
