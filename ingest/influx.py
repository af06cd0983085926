"""The production telemetry store on InfluxDB (see ``ingest.influx_url`` for the URL).

Layout:

- ``telemetry`` (``?measurement=``): tag ``vin``; one float field per signal, named by its
  canonical name; one point per (vehicle, sample key), the key being the sample's time in
  microseconds, ``ms * 1000 + k`` (``ingest.repeats``: the k-th sample of a signal in one
  millisecond of its batch), so two samples in one millisecond are two points, and a sample
  written again overwrites itself with the same value: idempotent on (series, key) by nature.
  (Where SQLite keeps the first value of a repeated key, InfluxDB keeps the last.) Reads give
  back the millisecond the car sent; points written in milliseconds before are keys with k 0.
- ``pitstop_batches``: tags ``vin`` and ``inst`` (the spool instance id, left out for the legacy
  instance, which is every point written before instances); the point's time is the batch's ``seq``
  in milliseconds since 1970, fields ``profile``, ``n``, ``first_ms``, ``last_ms``, ``received_at``
  and ``digest`` (``ingest.ledger``; absent in older points). It is the (VIN, instance, seq) ledger
  (a name found with another digest is a conflict): ``write_batches`` looks the sequence numbers up
  (one InfluxQL request per call), writes the new batches' samples, and only then their ledger
  points, so a crash in between leaves the batch unrecorded and its redelivery writes it again,
  idempotently. Keep the ledger in a retention policy that does not drop 1970 (the default
  ``autogen`` does not).
- ``pitstop_dtc``: the trouble-code history (see ``ingest.influx_dtc``).
- ``pitstop_status``, ``pitstop_events``: the gateways' presence (see ``ingest.influx_presence``).
- ``pitstop_dead_letters``: the refused messages (see ``ingest.influx_dead``).

Downsampling runs on the server (``GROUP BY time()``); retention deletes raw points only
(InfluxDB's own retention policies and continuous queries are the production tools).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ingest import influx_dead, influx_dtc
from ingest import influx_proto as proto
from ingest.buckets import plan
from ingest.influx_http import InfluxHttp
from ingest.influx_presence import InfluxPresence
from ingest.influx_url import InfluxConfig
from ingest.ledger import Seen, content_digest, judge
from ingest.repeats import US_PER_MS, ms_of
from ingest.store import (
    Bucket,
    DeadLetter,
    DeadLetterCount,
    DeadLetterLimits,
    DeadLetterTotals,
    Kept,
    Page,
    Point,
    Retention,
    VehicleSummary,
    decode_cursor,
    encode_cursor,
)
from pitstop.codec import TelemetryBatch, TelemetryColumns
from pitstop.dtc import DtcReport

BATCHES = "pitstop_batches"
_DAY_MS = 86_400_000


class InfluxStore(InfluxPresence):
    """A ``TelemetryStore`` on InfluxDB; open it with ``InfluxStore.open(url)``."""

    def __init__(self, config: InfluxConfig, dead_limits: DeadLetterLimits | None = None) -> None:
        self.config = config
        self.dead_limits = dead_limits or DeadLetterLimits()
        self._http = InfluxHttp(config)
        self._m = proto.ident(config.measurement)
        self._prefix = proto.measurement(config.measurement) + ",vin="
        if config.api == "v1" and config.create:
            self._http.admin(f"CREATE DATABASE {proto.ident(config.database)}")

    @classmethod
    def open(cls, url: str, dead_limits: DeadLetterLimits | None = None) -> InfluxStore:
        return cls(InfluxConfig.parse(url), dead_limits)

    # --- writes ------------------------------------------------------------------------

    def write_batch(self, batch: TelemetryBatch) -> bool:
        return self.write_batches([TelemetryColumns.from_batch(batch)])[0]

    def write_batches(
        self, batches: Sequence[TelemetryColumns], received_at: float | None = None
    ) -> list[bool]:
        return [seen is Seen.STORED for seen in self.write_batches_seen(batches, received_at)]

    def write_batches_seen(
        self, batches: Sequence[TelemetryColumns], received_at: float | None = None
    ) -> list[Seen]:
        known = self._seen(batches)
        fresh: list[tuple[TelemetryColumns, str]] = []
        outcome: list[Seen] = []
        for batch in batches:
            name, digest = (batch.vin, batch.instance, batch.seq), content_digest(batch)
            if name in known:
                outcome.append(judge(known[name], digest))
                continue
            known[name] = digest
            outcome.append(Seen.STORED)
            fresh.append((batch, digest))
        lines: list[str] = []
        for batch, _digest in fresh:
            lines += proto.telemetry_lines(self._prefix + proto.key(batch.vin), batch)
        self._http.write(lines, precision=proto.TELEMETRY_PRECISION)
        self._http.write([self._ledger_line(b, d, received_at) for b, d in fresh])
        return outcome

    def _seen(self, batches: Sequence[TelemetryColumns]) -> dict[tuple[str, str, int], str | None]:
        """The ledger's digest of each (vin, instance, seq) among these that it holds."""
        seqs: dict[str, list[int]] = defaultdict(list)
        for batch in batches:
            seqs[batch.vin].append(batch.seq)
        statements = [
            f"SELECT n, digest FROM {BATCHES} WHERE vin = {proto.literal(vin)} "
            f"AND time >= {min(s)}ms AND time <= {max(s)}ms GROUP BY inst"
            for vin, s in seqs.items()
        ]
        found: dict[tuple[str, str, int], str | None] = {}
        for vin, result in zip(
            seqs, self._http.query(statements) if statements else [], strict=True
        ):
            for tags, _cols, rows in result:
                inst = tags.get("inst") or ""
                found.update(((vin, inst, row[0]), row[2]) for row in rows)
        return found

    def _ledger_line(self, batch: TelemetryColumns, digest: str, received_at: float | None) -> str:
        filled = [s.ts_ms for s in batch.series.values() if s.ts_ms]
        fields: list[tuple[str, object]] = [
            ("profile", batch.profile),
            ("n", batch.sample_count),
            ("digest", digest),
        ]
        if filled:
            fields += [("first_ms", min(map(min, filled))), ("last_ms", max(map(max, filled)))]
        if received_at is not None:
            fields.append(("received_at", float(received_at)))
        tags = f"{BATCHES},vin={proto.key(batch.vin)}"
        if batch.instance:
            tags += f",inst={proto.key(batch.instance)}"
        return proto.fields_line(tags, fields, batch.seq)

    def write_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float, code: str = ""
    ) -> bool:
        return self.keep_dead_letter(topic, payload, reason, received_at, code).new

    def keep_dead_letter(
        self, topic: str, payload: bytes, reason: str, received_at: float, code: str = ""
    ) -> Kept:
        letter = (topic, payload, reason, received_at, code)
        return influx_dead.keep(self._http, self.dead_limits, letter)

    def purge_dead_letters(self, vin: str | None = None, before: float | None = None) -> int:
        return influx_dead.purge(self._http, vin, before)

    def dead_letter_totals(self) -> DeadLetterTotals:
        return influx_dead.totals(self._http)

    def dead_letter(self, letter_id: int) -> DeadLetter | None:
        return influx_dead.dead_letter(self._http, letter_id)

    def delete_dead_letters(self, ids: Sequence[int]) -> int:
        return influx_dead.delete_dead_letters(self._http, ids)

    def dead_letter_summary(self) -> list[DeadLetterCount]:
        return influx_dead.dead_letter_summary(self._http)

    def write_dtc_report(self, report: DtcReport, received_at: float | None = None) -> bool:
        return influx_dtc.write_dtc_report(self._http, report)

    # --- reads -------------------------------------------------------------------------

    def dtc_history(
        self, vin: str, start: float, end: float, limit: int = 1_000
    ) -> list[DtcReport]:
        return influx_dtc.dtc_history(self._http, self._where(vin, _ms(start), _ms(end)), limit)

    def dead_letters(self, limit: int = 100, vin: str | None = None) -> list[DeadLetter]:
        return influx_dead.dead_letters(self._http, limit, vin)

    def vehicles(self) -> list[VehicleSummary]:
        last, first = self._http.query(
            [
                f"SELECT max(last_ms), profile FROM {BATCHES} GROUP BY vin",
                f"SELECT min(first_ms) FROM {BATCHES} GROUP BY vin",
            ]
        )
        firsts = {tags["vin"]: rows[0][1] for tags, _c, rows in first}
        out = [
            VehicleSummary(tags["vin"], rows[0][2], firsts[tags["vin"]] / 1000, rows[0][1] / 1000)
            for tags, _c, rows in last
        ]
        return sorted(out, key=lambda v: v.vin)

    def signals(self, vin: str) -> list[str]:
        result = self._http.query(
            [f"SELECT last(*) FROM {self._m} WHERE vin = {proto.literal(vin)}"]
        )[0]
        names: list[str] = []
        for _tags, columns, rows in result:
            names += [
                c[5:]
                for c, v in zip(columns, rows[0], strict=True)
                if c.startswith("last_") and v is not None
            ]
        return sorted(names)

    def latest(self, vin: str) -> dict[str, Point]:
        names = self.signals(vin)
        if not names:
            return {}
        where = f"WHERE vin = {proto.literal(vin)}"
        results = self._http.query(
            [f"SELECT last({proto.ident(n)}) FROM {self._m} {where}" for n in names], epoch="u"
        )
        return {
            name: Point(ms_of(series[0][2][0][0]) / 1000, float(series[0][2][0][1]))
            for name, series in zip(names, results, strict=True)
            if series
        }

    def query(
        self, vin: str, signal: str, start: float, end: float, limit: int = 10_000
    ) -> list[Point]:
        return self.query_page(vin, signal, start, end, limit=limit).points

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
        if limit <= 0:
            return Page([], None)
        first = decode_cursor(cursor) if cursor else _us(start)
        where = self._where(vin, first, _us(end), unit="u")
        field = proto.ident(signal)
        sql = f"SELECT {field} FROM {self._m} {where} ORDER BY time ASC LIMIT {int(limit) + 1}"
        rows = self._rows(sql, epoch="u")
        after = encode_cursor(rows[limit - 1][0] + 1) if len(rows) > limit else None
        return Page([Point(ms_of(r[0]) / 1000, float(r[1])) for r in rows[:limit]], after)

    def downsample(
        self, vin: str, signal: str, start: float, end: float, max_points: int = 2_000
    ) -> list[Bucket]:
        p = plan(start, end, max_points, ())
        f = proto.ident(signal)
        sql = (
            f"SELECT count({f}), min({f}), max({f}), mean({f}), last({f}) FROM {self._m} "
            f"{self._where(vin, p.origin_ms, p.end_ms)} "
            f"GROUP BY time({p.width_ms}ms, {p.origin_ms % p.width_ms}ms) fill(none)"
        )
        return [
            Bucket(r[0] / 1000, r[1], float(r[2]), float(r[3]), float(r[4]), float(r[5]))
            for r in self._rows(sql)
        ]

    def apply_retention(self, retention: Retention, now: float) -> dict[str, int]:
        deleted = {"raw": 0, "1m": 0, "1h": 0}
        if retention.raw_days is not None:
            cutoff = round(now * 1000 - retention.raw_days * _DAY_MS)
            deleted["raw"] = self._count(f"WHERE time < {cutoff}ms")
            self._http.admin(f"DELETE FROM {self._m} WHERE time < {cutoff}ms")
        return deleted

    def count(self, vin: str | None = None) -> int:
        return self._count("" if vin is None else f"WHERE vin = {proto.literal(vin)}")

    def close(self) -> None:
        self._http.close()

    # --- helpers -----------------------------------------------------------------------

    def _count(self, where: str) -> int:
        result = self._http.query([f"SELECT count(*) FROM {self._m} {where}"])[0]
        return sum(int(v or 0) for _t, _c, rows in result for row in rows for v in row[1:])

    def _rows(self, sql: str, epoch: str = "ms") -> list[list[Any]]:
        result = self._http.query([sql], epoch)[0]
        return [row for _tags, _cols, rows in result for row in rows]

    def _where(self, vin: str, start: int | None, end: int | None, unit: str = "ms") -> str:
        """Bounds in ``unit`` (InfluxQL's ``ms`` or ``u``); None: unbounded."""
        clauses = [f"vin = {proto.literal(vin)}"]
        if start is not None:
            clauses.append(f"time >= {start}{unit}")
        if end is not None:
            clauses.append(f"time < {end}{unit}")
        return "WHERE " + " AND ".join(clauses)


def _ms(seconds: float) -> int | None:
    """A query bound in ms (None: unbounded)."""
    if math.isinf(seconds):
        return None
    return math.ceil(round(seconds * 1000, 6))


def _us(seconds: float) -> int | None:
    """A query bound on sample keys: its whole millisecond in µs (None: unbounded)."""
    ms = _ms(seconds)
    return None if ms is None else ms * US_PER_MS
