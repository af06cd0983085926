"""The rules worker's reading of a telemetry message: only what some rule reads (pure).

The worker sees only what ingest accepted and stored (``pitstop/cloud/v1/...``), each payload
checked there in full by ``pitstop.codec.decode_telemetry_columns``. Checking it again here
was a fifth of the worker's time, so this reads the documented wire form (pitstop/codec.py)
directly: the columns of the series some rule reads, in seconds, and of every other series
only its newest sample (when the vehicle was last heard from). Columns with the same deltas
share one list of times (read-only downstream). A payload that is not of that
form still raises ``CodecError`` (counted as undecodable), never anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate, islice

from pitstop.errors import CodecError
from pitstop.wire import loads
from rules.quiet import Column


@dataclass(frozen=True, slots=True)
class Batch:
    seq: int
    profile: str
    columns: dict[str, Column]  # signal -> (times in seconds, values)
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
        newest: float | None = None
        count = 0
        shared: tuple[list[int], list[float]] = ([], [])  # the last deltas read, their times
        for name, (deltas, values) in series.items():
            if not deltas:
                continue
            count += len(deltas)
            if len(deltas) == 1:
                column: Column = ([(t0 + deltas[0]) / 1000], [float(values[0])])
            elif name in wanted:
                if deltas != shared[0]:  # a fleet's signals share their times: made once
                    times = [ms / 1000 for ms in islice(accumulate(deltas, initial=t0), 1, None)]
                    shared = (deltas, times)
                column = (shared[1], list(map(float, values)))
            else:
                times = list(islice(accumulate(deltas, initial=t0), 1, None))
                at = max(range(len(times)), key=times.__getitem__)
                column = ([times[at] / 1000], [float(values[at])])
            columns[name] = column
            last = max(column[0])
            newest = last if newest is None or last > newest else newest
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise CodecError(f"not a telemetry batch: {err!r}") from err
    return Batch(seq, profile, columns, newest, count)
