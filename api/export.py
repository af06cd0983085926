"""Chosen signals of one vehicle over a range, as CSV or Parquet, streamed page by page.

The rows are in **long format**, one per stored sample (``time, ts, signal, value``), in time
order across the signals. Not one column per signal: signals are sampled at their own times and
rates (1 Hz speed, a 12 V reading a minute, a state on change), so a wide table would either
leave most cells empty or fill them by resampling, inventing values the car never sent, and two
samples of one signal in the same millisecond (a real CAN log has them) would have to merge.
Long format keeps every stored sample exactly once, and pandas, Polars or DuckDB pivot it in
one line. ``time`` is ISO 8601 UTC with milliseconds, ``ts`` the same instant in epoch seconds.

The size is bounded before anything is sent (a count per signal from the store's buckets), so a
refusal is a clear 422, never a download cut off halfway; memory stays at one store page per
signal, whatever the range.
"""

from __future__ import annotations

import heapq
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from api.errors import InvalidInputError
from api.timerange import TimeRange
from ingest.store import TelemetryStore

PAGE = 10_000
MAX_POINTS = 2_000_000
FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
HEADER = ("time", "ts", "signal", "value")

Row = tuple[float, str, float]  # ts, signal, value


def count_points(
    telemetry: TelemetryStore, vin: str, signals: Iterable[str], span: TimeRange
) -> int:
    """How many samples the signals hold over ``span`` (one bucket each: the store counts)."""
    return sum(
        b.count for s in signals for b in telemetry.downsample(vin, s, span.start, span.end, 1)
    )


def check_size(
    telemetry: TelemetryStore,
    vin: str,
    signals: list[str],
    span: TimeRange,
    limit: int | None = None,
) -> int:
    """The number of rows, or ``InvalidInputError`` (422) when it is more than ``limit``
    (by default ``MAX_POINTS``)."""
    limit = MAX_POINTS if limit is None else limit
    found = count_points(telemetry, vin, signals, span)
    if found > limit:
        message = (
            f"the range holds {found:,} samples of the chosen signals; an export holds at most "
            f"{limit:,}: choose a shorter range or fewer signals"
        )
        raise InvalidInputError(("query", "from"), message, found)
    return found


def rows(telemetry: TelemetryStore, vin: str, signals: list[str], span: TimeRange) -> Iterator[Row]:
    """Every sample of ``signals`` over ``span``, oldest first, merged across signals (at one
    instant, by signal name; one signal's samples at one instant in the store's order)."""
    pages = (_signal_rows(telemetry, vin, s, span) for s in signals)
    return heapq.merge(*pages, key=lambda row: (row[0], row[1]))


def _signal_rows(
    telemetry: TelemetryStore, vin: str, signal: str, span: TimeRange
) -> Iterator[Row]:
    cursor: str | None = None
    while True:
        page = telemetry.query_page(vin, signal, span.start, span.end, limit=PAGE, cursor=cursor)
        for point in page.points:
            yield point.ts, signal, point.value
        cursor = page.cursor
        if cursor is None:
            return


def iso_ms(ts: float) -> str:
    """``2025-11-27T00:00:00.000Z``."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def csv_chunks(found: Iterable[Row]) -> Iterator[str]:
    """The CSV text, a page of rows at a time. A signal name is quoted when it needs to be."""
    yield ",".join(HEADER) + "\n"
    batch: list[str] = []
    for ts, signal, value in found:
        batch.append(f"{iso_ms(ts)},{ts:.3f},{_csv_field(signal)},{value!r}\n")
        if len(batch) >= PAGE:
            yield "".join(batch)
            batch = []
    yield "".join(batch)


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\n\r') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


class _Sink(io.RawIOBase):
    """A write-only file that hands over what was written since the last ``take``."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._size

    def take(self) -> bytes:
        chunk, self._parts = b"".join(self._parts), []
        return chunk


def parquet_chunks(found: Iterable[Row]) -> Iterator[bytes]:
    """A Parquet file, one row group per page of rows, sent as each group is written."""
    import pyarrow as pa  # type: ignore[import-untyped]  # only when Parquet is asked for
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    schema = pa.schema(
        [
            ("time", pa.timestamp("ms", tz="UTC")),
            ("ts", pa.float64()),
            ("signal", pa.dictionary(pa.int32(), pa.string())),
            ("value", pa.float64()),
        ]
    )
    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for page in _pages(found):
            ts = [r[0] for r in page]
            columns = [
                pa.array([round(t * 1000) for t in ts], pa.int64()).cast(schema.field("time").type),
                pa.array(ts, pa.float64()),
                pa.array([r[1] for r in page], pa.string()).dictionary_encode(),
                pa.array([r[2] for r in page], pa.float64()),
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            yield sink.take()
    yield sink.take()


def _pages(found: Iterable[Row]) -> Iterator[list[Row]]:
    page: list[Row] = []
    for row in found:
        page.append(row)
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page
