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
- ``inst`` (optional): the spool instance id, 1 to 32 characters of ``[0-9A-Za-z_-]``, made at
  random when the gateway's spool file is created. A reinstalled gateway starts its ``seq``
  at 1 again under a new instance, so (VIN, ``inst``, ``seq``) names a message for good.
  Absent (``""`` once decoded): the legacy instance, of gateways from before the field.
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

Control messages (ack, status, event) are in ``pitstop.messages``; the framing every payload
shares (plain JSON or zlib, the schema version, field checks) in ``pitstop.wire``.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate, islice
from typing import NamedTuple

from pitstop.errors import CodecError
from pitstop.wire import (
    SCHEMA_VERSION,
    check_instance,
    dumps,
    inflate,
    loads,
    read_instance,
    read_int,
    read_str,
    read_vin,
)

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
    instance: str = ""  # the spool instance id ('' for the legacy instance)


@dataclass(frozen=True, slots=True)
class Series:
    """One signal of a batch, column-wise: integer ms timestamps and float values, in the
    order sent; equal timestamps are distinct samples."""

    ts_ms: list[int]
    values: list[float]
    # True when the decoder saw the times strictly increasing (in order, no two in one
    # millisecond): a store then needs no pass of its own to order or rank them
    increasing: bool = field(default=False, compare=False)


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
    instance: str = ""  # the spool instance id ('' for the legacy instance)

    @property
    def sample_count(self) -> int:
        return sum(len(s.ts_ms) for s in self.series.values())

    def time_span(self) -> tuple[int, int] | None:
        """The oldest and newest sample times (ms), None for a batch without samples; one
        look at each end of a signal the decoder saw in order (``Series.increasing``)."""
        spans = [
            (s.ts_ms[0], s.ts_ms[-1]) if s.increasing else (min(s.ts_ms), max(s.ts_ms))
            for s in self.series.values()
            if s.ts_ms
        ]
        if not spans:
            return None
        return min(lo for lo, _hi in spans), max(hi for _lo, hi in spans)

    def batch(self) -> TelemetryBatch:
        samples = [
            Sample(name, ms / 1000, value)
            for name, s in self.series.items()
            for ms, value in zip(s.ts_ms, s.values, strict=True)
        ]
        return TelemetryBatch(self.vin, self.seq, self.profile, tuple(samples), self.instance)

    @classmethod
    def from_batch(cls, batch: TelemetryBatch) -> TelemetryColumns:
        series: dict[str, Series] = {}
        for sample in batch.samples:
            column = series.get(sample.signal)
            if column is None:
                column = series[sample.signal] = Series([], [])
            column.ts_ms.append(round(sample.ts * 1000))
            column.values.append(sample.value)
        return cls(batch.vin, batch.seq, batch.profile, series, batch.instance)


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
    doc: dict[str, object] = {
        "v": SCHEMA_VERSION,
        "vin": batch.vin,
        "seq": batch.seq,
        "profile": batch.profile,
        "t0": t0,
        "s": series,
    }
    if batch.instance:
        doc["inst"] = check_instance(batch.instance)
    return zlib.compress(dumps(doc), level)


def decode_telemetry(payload: bytes) -> TelemetryBatch:
    """Decode a telemetry payload; raise ``CodecError`` naming what is wrong."""
    return decode_telemetry_columns(payload).batch()


def decode_telemetry_columns(payload: bytes) -> TelemetryColumns:
    """Decode a telemetry payload column-wise (fast path); the same checks as
    ``decode_telemetry``, the same ``CodecError``."""
    doc = loads(payload)
    vin = read_vin(doc)
    seq = read_int(doc, "seq")
    if seq < 0:
        raise CodecError(f"seq must not be negative, got {seq}")
    profile = read_str(doc, "profile")
    t0 = read_int(doc, "t0")
    series = doc.get("s")
    if not isinstance(series, dict):
        raise CodecError("field 's' must be an object of signal -> [deltas, values]")
    columns = {n: _series(n, p, t0) for n, p in series.items()}
    return TelemetryColumns(vin, seq, profile, columns, read_instance(doc))


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
    if len(deltas) == 1:  # a 1 Hz signal in a 1 s batch: the same checks, without the passes
        return _one(name, deltas[0], values[0], t0)
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
    increasing = min(islice(deltas, 1, None)) > 0  # else a repeat is possible
    for ms in (ts_ms[0], ts_ms[-1]) if increasing else (min(ts_ms), max(ts_ms)):
        if not _MIN_MS <= ms <= _MAX_MS:
            raise CodecError(f"signal {name!r}: timestamp {ms} ms is out of range")
    if not increasing:
        _check_repeats(name, ts_ms)
    return Series(ts_ms, floats, increasing)


def _one(name: str, delta: object, value: object, t0: int) -> Series:
    if type(delta) is not int:
        raise CodecError(f"signal {name!r}: time delta {delta!r} is not an integer")
    if type(value) is float:
        number = value
    elif type(value) is int:
        try:
            number = float(value)
        except OverflowError as err:
            raise CodecError(f"signal {name!r}: a value is not a finite number ({err})") from err
    else:
        raise CodecError(f"signal {name!r}: value {value!r} is not a finite number")
    if not math.isfinite(number):
        raise CodecError(f"signal {name!r}: value {number!r} is not a finite number")
    ms = t0 + delta
    if not _MIN_MS <= ms <= _MAX_MS:
        raise CodecError(f"signal {name!r}: timestamp {ms} ms is out of range")
    return Series([ms], [number], True)


def _check_repeats(name: str, ts_ms: list[int]) -> None:
    ms, count = Counter(ts_ms).most_common(1)[0]
    if count > MAX_SAMPLES_PER_MS:
        raise CodecError(
            f"signal {name!r}: {count} samples at {ms} ms, more than {MAX_SAMPLES_PER_MS}"
        )


def peek_seq(payload: bytes) -> int | None:
    """The sequence number of a message of any kind, if it can be read at all (None if the
    payload does not decode as far as a non-negative integer ``seq``): what ingest answers a
    refused message with."""
    try:  # leniently: a batch refused for a NaN value still names its seq
        doc = json.loads(inflate(payload))
    except (CodecError, ValueError, OverflowError, RecursionError):
        return None
    if not isinstance(doc, dict) or type(doc.get("v")) is not int or doc["v"] != SCHEMA_VERSION:
        return None
    seq = doc.get("seq")
    return seq if type(seq) is int and seq >= 0 else None
