"""The wire codec, used by the gateway and the cloud alike.

Every payload is a JSON object with a schema version ``v``. Telemetry is large and paid for by
the byte, so it is zlib-compressed; small control messages (status, ack, event) are plain JSON.
A reader tells them apart by the first byte: ``{`` is plain JSON, anything else is zlib.

Telemetry, schema 1 (``pitstop/v1/{vin}/telemetry``), after ``zlib.decompress``::

    {"v": 1, "vin": "WPITSTOPDEMO00001", "seq": 42, "profile": "3f9a1c2b7d4e",
     "t0": 1764201600123,
     "s": {"Vehicle.Speed": [[0, 100, 100], [52.5, 52.7, 52.9]],
           "Vehicle.LowVoltageBattery.CurrentVoltage": [[40], [12.61]]}}

- ``seq``: per-vehicle sequence number, strictly increasing across gateway restarts.
- ``profile``: hash of the vehicle profile (DBC files and mapping) that decoded the samples.
- ``t0``: milliseconds since the Unix epoch (UTC).
- ``s``: canonical signal name -> ``[time deltas, values]``. The first delta is from ``t0``,
  each next one from the previous sample of the same signal, in milliseconds. Values are
  numbers (value-table signals carry their raw value); NaN and infinity are not allowed.
- Samples of one signal that share a millisecond (a delta of 0; a 100 Hz bus does that) are
  each a sample of their own, in the order sent: nothing merges them. At most
  ``MAX_SAMPLES_PER_MS`` (1000) samples of one signal share a millisecond. A gateway keeps all
  the samples of one signal in one millisecond in the same batch, so that the k-th of them is
  the k-th in every copy of the batch (stores key it as ``ms * 1000 + k``).

Reading it in a few lines of Python::

    doc = json.loads(zlib.decompress(payload))
    for name, (deltas, values) in doc["s"].items():
        t = doc["t0"]
        for dt, value in zip(deltas, values):
            t += dt
            print(name, t / 1000, value)

Ack (cloud -> car, ``pitstop/v1/{vin}/ack``): ``{"v": 1, "vin": ..., "seqs": [41, 42],
"rejected": {"43": "VIN ... differs from ... in the topic"}}``. ``seqs`` are durably stored;
``rejected`` (optional, absent when empty; keys are decimal sequence numbers) maps each refused
sequence number to the reason, sent once the message is durably in the dead-letter store. The
car deletes both from its spool: a refused message is not sent again. An ack without
``rejected`` (the first form of schema 1) still decodes, with nothing refused.
Status (retained, ``pitstop/v1/{vin}/status``): ``{"v": 1, "vin": ..., "state": "online" |
"offline", "version": ..., "profile": ..., "ts": <ms>}`` plus optional counters.
Event (``pitstop/v1/{vin}/event``): ``{"v": 1, "vin": ..., "type": ..., "ts": <ms>, "data": {}}``.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate, islice
from typing import Any, NamedTuple

from pitstop.errors import CodecError, TopicError
from pitstop.topics import validate_vin

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024  # decompressed; guards against zip bombs
_MIN_MS, _MAX_MS = 0, 2**53  # timestamps a float holds exactly; policy limits are ingest's
MAX_SAMPLES_PER_MS = 1000  # of one signal: the k-th is stored at ms * 1000 + k microseconds


class Sample(NamedTuple):
    """One decoded value of one canonical signal at one moment (seconds since the epoch)."""

    signal: str
    ts: float
    value: float


@dataclass(frozen=True, slots=True)
class TelemetryBatch:
    """A batch of samples from one vehicle, the unit of delivery and acknowledgement."""

    vin: str
    seq: int
    profile: str
    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class Series:
    """One signal of a batch, column-wise: integer ms timestamps and float values, in the
    order sent; equal timestamps are distinct samples."""

    ts_ms: list[int]
    values: list[float]


@dataclass(frozen=True, slots=True)
class TelemetryColumns:
    """A decoded batch kept column-wise per signal: what a store writes from directly.

    ``decode_telemetry_columns`` builds it without a Python object per sample; ``samples()``
    turns it into the row form of ``TelemetryBatch`` when that is wanted.
    """

    vin: str
    seq: int
    profile: str
    series: Mapping[str, Series]

    @property
    def sample_count(self) -> int:
        return sum(len(s.ts_ms) for s in self.series.values())

    def batch(self) -> TelemetryBatch:
        samples = [
            Sample(name, ms / 1000, value)
            for name, s in self.series.items()
            for ms, value in zip(s.ts_ms, s.values, strict=True)
        ]
        return TelemetryBatch(self.vin, self.seq, self.profile, tuple(samples))

    @classmethod
    def from_batch(cls, batch: TelemetryBatch) -> TelemetryColumns:
        series: dict[str, Series] = {}
        for sample in batch.samples:
            column = series.get(sample.signal)
            if column is None:
                column = series[sample.signal] = Series([], [])
            column.ts_ms.append(round(sample.ts * 1000))
            column.values.append(sample.value)
        return cls(batch.vin, batch.seq, batch.profile, series)


@dataclass(frozen=True, slots=True)
class Ack:
    """The cloud's word on these sequence numbers of one vehicle: ``seqs`` are durably stored,
    ``rejected`` (seq -> reason) are durably dead-lettered; either way they are answered."""

    vin: str
    seqs: tuple[int, ...]
    rejected: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Status:
    """A gateway's retained presence message."""

    vin: str
    state: str  # "online" | "offline"
    version: str = ""
    profile: str = ""
    ts_ms: int = 0
    counters: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    """Something a gateway reports that is not a sample: a trigger window, a spool overflow."""

    vin: str
    type: str
    ts_ms: int
    data: Mapping[str, Any] = field(default_factory=dict)


# --- telemetry ---------------------------------------------------------------------------


def encode_telemetry(batch: TelemetryBatch, level: int = 6) -> bytes:
    """Encode a batch into its compact wire form (see the module docstring)."""
    by_signal: dict[str, list[Sample]] = defaultdict(list)
    for sample in batch.samples:
        by_signal[sample.signal].append(sample)
    t0 = min((round(s.ts * 1000) for s in batch.samples), default=0)
    series: dict[str, list[list[float]]] = {}
    for name, samples in by_signal.items():
        samples.sort(key=lambda s: s.ts)
        deltas: list[float] = []
        values: list[float] = []
        previous = t0
        for s in samples:
            ms = round(s.ts * 1000)
            deltas.append(ms - previous)
            previous = ms
            values.append(s.value)
        series[name] = [deltas, values]
    doc = {
        "v": SCHEMA_VERSION,
        "vin": batch.vin,
        "seq": batch.seq,
        "profile": batch.profile,
        "t0": t0,
        "s": series,
    }
    return zlib.compress(_dumps(doc), level)


def decode_telemetry(payload: bytes) -> TelemetryBatch:
    """Decode a telemetry payload; raise ``CodecError`` naming what is wrong."""
    return decode_telemetry_columns(payload).batch()


def decode_telemetry_columns(payload: bytes) -> TelemetryColumns:
    """Decode a telemetry payload column-wise (fast path); the same checks as
    ``decode_telemetry``, the same ``CodecError``."""
    doc = _loads(payload)
    vin = _vin(doc)
    seq = _int(doc, "seq")
    if seq < 0:
        raise CodecError(f"seq must not be negative, got {seq}")
    profile = _str(doc, "profile")
    t0 = _int(doc, "t0")
    series = doc.get("s")
    if not isinstance(series, dict):
        raise CodecError("field 's' must be an object of signal -> [deltas, values]")
    return TelemetryColumns(vin, seq, profile, {n: _series(n, p, t0) for n, p in series.items()})


_INT_ONLY = frozenset({int})
_NUMBERS = frozenset({int, float})


def _series(name: str, pair: object, t0: int) -> Series:
    """One signal's [deltas, values], checked with C-speed passes rather than per sample."""
    if not name or not isinstance(pair, list) or len(pair) != 2:
        raise CodecError(f"signal {name!r}: expected [deltas, values]")
    deltas, values = pair
    if not isinstance(deltas, list) or not isinstance(values, list):
        raise CodecError(f"signal {name!r}: deltas and values must be arrays")
    if len(deltas) != len(values):
        raise CodecError(f"signal {name!r}: {len(deltas)} deltas but {len(values)} values")
    if not deltas:
        return Series([], [])
    if not set(map(type, deltas)) <= _INT_ONLY:
        bad = next(d for d in deltas if type(d) is not int)
        raise CodecError(f"signal {name!r}: time delta {bad!r} is not an integer")
    if not set(map(type, values)) <= _NUMBERS:
        bad = next(v for v in values if type(v) not in _NUMBERS)
        raise CodecError(f"signal {name!r}: value {bad!r} is not a finite number")
    try:
        floats = list(map(float, values))
    except OverflowError as err:
        raise CodecError(f"signal {name!r}: a value is not a finite number ({err})") from err
    if not all(map(math.isfinite, floats)):
        bad = next(v for v in floats if not math.isfinite(v))
        raise CodecError(f"signal {name!r}: value {bad!r} is not a finite number")
    ts_ms = list(accumulate(deltas, initial=t0))[1:]
    for ms in (min(ts_ms), max(ts_ms)):
        if not _MIN_MS <= ms <= _MAX_MS:
            raise CodecError(f"signal {name!r}: timestamp {ms} ms is out of range")
    if len(deltas) > 1 and min(islice(deltas, 1, None)) <= 0:  # a repeat is possible
        _check_repeats(name, ts_ms)
    return Series(ts_ms, floats)


def _check_repeats(name: str, ts_ms: list[int]) -> None:
    ms, count = Counter(ts_ms).most_common(1)[0]
    if count > MAX_SAMPLES_PER_MS:
        raise CodecError(
            f"signal {name!r}: {count} samples at {ms} ms, more than {MAX_SAMPLES_PER_MS}"
        )


# --- control messages --------------------------------------------------------------------


def encode_ack(ack: Ack) -> bytes:
    doc: dict[str, Any] = {"v": SCHEMA_VERSION, "vin": ack.vin, "seqs": list(ack.seqs)}
    if ack.rejected:
        doc["rejected"] = {str(seq): reason for seq, reason in ack.rejected.items()}
    return _dumps(doc)


def decode_ack(payload: bytes) -> Ack:
    doc = _loads(payload)
    seqs = doc.get("seqs")
    if not isinstance(seqs, list) or not all(type(s) is int for s in seqs):
        raise CodecError("field 'seqs' must be an array of integers")
    return Ack(vin=_vin(doc), seqs=tuple(seqs), rejected=_rejected(doc.get("rejected", {})))


def _rejected(found: object) -> dict[int, str]:
    if not isinstance(found, dict):
        raise CodecError("field 'rejected' must be an object of seq -> reason")
    rejected: dict[int, str] = {}
    for key, reason in found.items():
        if not (key.isascii() and key.isdigit()) or not isinstance(reason, str):
            raise CodecError(f"field 'rejected': {key!r} must be a sequence number -> a reason")
        rejected[int(key)] = reason
    return rejected


def peek_seq(payload: bytes) -> int | None:
    """The sequence number of a message of any kind, if it can be read at all (None if the
    payload does not decode as far as a non-negative integer ``seq``): what ingest answers a
    refused message with."""
    try:  # leniently: a batch refused for a NaN value still names its seq
        doc = json.loads(_inflate(payload))
    except (CodecError, ValueError, OverflowError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("v") != SCHEMA_VERSION:
        return None
    seq = doc.get("seq")
    return seq if type(seq) is int and seq >= 0 else None


def encode_status(status: Status) -> bytes:
    doc: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "vin": status.vin,
        "state": status.state,
        "version": status.version,
        "profile": status.profile,
        "ts": status.ts_ms,
    }
    if status.counters:
        doc["counters"] = dict(status.counters)
    return _dumps(doc)


def decode_status(payload: bytes) -> Status:
    doc = _loads(payload)
    state = _str(doc, "state")
    if state not in ("online", "offline"):
        raise CodecError(f"status state must be 'online' or 'offline', got {state!r}")
    counters = doc.get("counters", {})
    if not isinstance(counters, dict):
        raise CodecError("field 'counters' must be an object")
    return Status(
        vin=_vin(doc),
        state=state,
        version=str(doc.get("version", "")),
        profile=str(doc.get("profile", "")),
        ts_ms=int(doc.get("ts", 0)),
        counters={str(k): int(v) for k, v in counters.items()},
    )


def encode_event(event: Event) -> bytes:
    return _dumps(
        {
            "v": SCHEMA_VERSION,
            "vin": event.vin,
            "type": event.type,
            "ts": event.ts_ms,
            "data": dict(event.data),
        }
    )


def decode_event(payload: bytes) -> Event:
    doc = _loads(payload)
    data = doc.get("data", {})
    if not isinstance(data, dict):
        raise CodecError("field 'data' must be an object")
    return Event(vin=_vin(doc), type=_str(doc, "type"), ts_ms=_int(doc, "ts"), data=data)


# --- helpers -----------------------------------------------------------------------------


def _dumps(doc: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
    except ValueError as err:
        raise CodecError(f"cannot encode: {err}") from err


def _reject_constant(name: str) -> None:
    raise CodecError(f"{name} is not allowed")


def _inflate(payload: bytes) -> bytes:
    """The JSON text of a payload: as it is, or decompressed (bounded)."""
    if not payload:
        raise CodecError("empty payload")
    if payload[:1] == b"{":
        return payload
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(payload, MAX_PAYLOAD_BYTES)
    except zlib.error as err:
        raise CodecError(f"neither JSON nor zlib: {err}") from err
    if inflater.unconsumed_tail:
        raise CodecError(f"payload inflates beyond {MAX_PAYLOAD_BYTES} bytes")
    return text


def _loads(payload: bytes) -> dict[str, Any]:
    payload = _inflate(payload)
    try:
        doc = json.loads(payload, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, huge integers
        raise CodecError(f"invalid JSON: {err}") from err
    if not isinstance(doc, dict):
        raise CodecError("payload must be a JSON object")
    version = doc.get("v")
    if version != SCHEMA_VERSION:
        raise CodecError(f"unsupported schema version {version!r} (expected {SCHEMA_VERSION})")
    return doc


def _vin(doc: Mapping[str, Any]) -> str:
    try:
        return validate_vin(_str(doc, "vin"))
    except TopicError as err:
        raise CodecError(str(err)) from err


def _str(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise CodecError(f"field {key!r} must be a string")
    return value


def _int(doc: Mapping[str, Any], key: str) -> int:
    value = doc.get(key)
    if type(value) is not int:
        raise CodecError(f"field {key!r} must be an integer")
    return value
