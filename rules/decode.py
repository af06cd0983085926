"""The rules worker's reading of a telemetry message: only what some rule reads (pure).

The worker sees only what ingest accepted and stored (``pitstop/cloud/v1/...``), each payload
checked there in full by ``pitstop.codec.decode_telemetry_columns``. Checking it again here
was a fifth of the worker's time, so this reads the documented wire form (pitstop/codec.py)
directly: the columns of the series some rule reads, in seconds, and of every other series
only the time of its newest sample (when the vehicle was last heard from), no value. Columns
with the same deltas (a fleet's signals share them) share one list of times, made once
(read-only downstream). A payload that is not of that
form still raises ``CodecError`` (counted as undecodable), never anything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate, islice

from pitstop.errors import CodecError
from pitstop.wire import loads
from rules.quiet import Column


@dataclass(frozen=True, slots=True)
class Batch:
    seq: int
    profile: str
    columns: dict[str, Column]  # signal -> (times in seconds, values), of the wanted signals
    others: list[float]  # the newest sample time of each other series (distinct times)
    newest: float | None  # the newest sample time of any series (what staleness reads)
    count: int  # samples in the message


def read_batch(payload: bytes, wanted: frozenset[str]) -> Batch:
    """The columns of ``payload`` that the rules want (see the module docstring)."""
    doc = loads(payload)
    try:
        seq, profile, t0, series = doc["seq"], doc["profile"], doc["t0"], doc["s"]
        if type(t0) is not int or type(seq) is not int or not isinstance(profile, str):
            raise TypeError("seq, profile or t0")
        columns: dict[str, Column] = {}
        others: set[float] = set()
        newest = -math.inf
        count = 0
        # the last deltas read, their times and newest time: a fleet's signals share them
        deltas_read: list[int] = []
        times: list[float] = []
        last = 0.0
        for name, (deltas, values) in series.items():
            if not deltas:
                continue
            count += len(deltas)
            if deltas != deltas_read:
                deltas_read, (times, last) = deltas, _times(deltas, t0)
                newest = max(newest, last)
            if name in wanted:
                if len(values) != len(times):
                    raise ValueError(f"{name}: {len(deltas)} deltas, {len(values)} values")
                columns[name] = (times, list(map(float, values)))
            else:
                others.add(last)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise CodecError(f"not a telemetry batch: {err!r}") from err
    heard = None if newest == -math.inf else newest
    return Batch(seq, profile, columns, sorted(others), heard, count)


def _times(deltas: list[int], t0: int) -> tuple[list[float], float]:
    """The times of a series in seconds, and the newest of them."""
    if len(deltas) == 1:
        at = (t0 + deltas[0]) / 1000
        return [at], at
    times = [ms / 1000 for ms in islice(accumulate(deltas, initial=t0), 1, None)]
    return times, max(times)
