"""Presence on InfluxDB: the gateways' status and events (see ``ingest.presence_model``).

- ``pitstop_status``: tag ``vin``; fields ``state``, ``since`` (received time of the state's
  start), ``version``, ``profile``, ``counters`` (JSON), ``status_ts_ms``; one point per status
  received, at the time it was received (ms).
- ``pitstop_events``: tags ``vin`` and ``type``; fields ``data`` (JSON), ``digest`` and
  ``received_at``; the time is the event's ``ts`` in ms plus, as nanoseconds, a number drawn
  from the digest of its data: a redelivered event lands on its own point again (idempotent by
  nature) while two different events of one type in one millisecond do not overwrite each
  other. Events received more than ``retention_days`` ago are deleted now and then
  (every ``PRUNE_EVERY`` writes); the count per vehicle is left to the retention policy.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from typing import Any

from ingest import influx_proto as proto
from ingest.errors import StoreError
from ingest.influx_http import InfluxHttp
from ingest.presence_model import (
    PresenceLimits,
    StoredEvent,
    VehicleStatus,
    encode_data,
    event_key,
)
from pitstop.messages import Event, Status

STATUS = "pitstop_status"
EVENTS = "pitstop_events"
PRUNE_EVERY = 100
_DAY_MS = 86_400_000


class InfluxPresence:
    """The presence half of ``TelemetryStore`` on InfluxDB, mixed into ``InfluxStore``."""

    _http: InfluxHttp
    presence_limits = PresenceLimits()
    _event_writes = 0
    _prune_lock = threading.Lock()

    def write_status(self, status: Status, received_at: float, *, retained: bool = False) -> None:
        where = f"WHERE vin = {proto.literal(status.vin)}"
        last = _first(self._http, f"SELECT state, since FROM {STATUS} {where} {_NEWEST}")
        if retained and last is not None and last[1] == status.state:
            return
        same = last is not None and last[1] == status.state
        fields: list[tuple[str, object]] = [
            ("state", status.state),
            ("since", float(last[2]) if same and last is not None else float(received_at)),
            ("version", status.version),
            ("profile", status.profile),
            ("counters", json.dumps(dict(status.counters), sort_keys=True)),
            ("status_ts_ms", status.ts_ms),
        ]
        line = proto.fields_line(f"{STATUS},vin={proto.key(status.vin)}", fields, _ms(received_at))
        self._http.write([line])

    def write_event(self, event: Event, received_at: float) -> bool:
        digest = event_key(event).rsplit(":", 1)[1]
        ns = event.ts_ms * 1_000_000 + int(digest[:8], 16) % 1_000_000
        prefix = f"{EVENTS},vin={proto.key(event.vin)},type={proto.key(event.type)}"
        where = f"WHERE vin = {proto.literal(event.vin)} AND time = {ns}"
        if _first(self._http, f"SELECT digest FROM {EVENTS} {where}") is not None:
            return False
        fields: list[tuple[str, object]] = [
            ("data", encode_data(event.data).decode()),
            ("digest", digest),
            ("received_at", float(received_at)),
        ]
        self._http.write([proto.fields_line(prefix, fields, ns)], precision="ns")
        self._maybe_prune(received_at)
        return True

    def vehicle_status(self, vin: str) -> VehicleStatus | None:
        where = f"WHERE vin = {proto.literal(vin)}"
        latest, online, event = self._http.query(
            [
                f"SELECT state, since, version, profile FROM {STATUS} {where} {_NEWEST}",
                f"SELECT counters FROM {STATUS} {where} AND state = 'online' {_NEWEST}",
                f"SELECT received_at FROM {EVENTS} {where} {_NEWEST}",
            ]
        )
        status, seen, heard = _row(latest), _row(online), _row(event)
        if status is None and heard is None:
            return None
        last_seen = max(seen[0] / 1000 if seen else 0.0, float(heard[1]) if heard else 0.0)
        counters = json.loads(seen[1]) if seen else {}
        if status is None:
            return VehicleStatus(vin, "unknown", last_seen, last_seen)
        _t, state, since, version, profile = status
        return VehicleStatus(vin, state, float(since), last_seen, version, profile, counters)

    def events(
        self,
        vin: str,
        since: float,
        until: float,
        types: Sequence[str] | None = None,
        limit: int = 1_000,
    ) -> list[StoredEvent]:
        clauses = [f"vin = {proto.literal(vin)}"]
        clauses += [f"time >= {b}ms" for b in [_bound(since)] if b is not None]
        clauses += [f"time < {b}ms" for b in [_bound(until)] if b is not None]
        if types:
            clauses.append("(" + " OR ".join(f'"type" = {proto.literal(t)}' for t in types) + ")")
        sql = (
            f'SELECT "type", data, received_at FROM {EVENTS} WHERE {" AND ".join(clauses)} '
            f"ORDER BY time DESC LIMIT {max(int(limit), 1)}"
        )
        rows = [row for _t, _c, rows in self._http.query([sql])[0] for row in rows]
        try:
            return [StoredEvent(vin, t, ms / 1000, rx, json.loads(d)) for ms, t, d, rx in rows]
        except ValueError as err:
            raise StoreError(f"a stored event does not decode: {err}") from err

    def _maybe_prune(self, now: float) -> None:
        with self._prune_lock:
            self._event_writes += 1
            due = self._event_writes % PRUNE_EVERY == 1
        if due:
            cutoff = _ms(now) - round(self.presence_limits.retention_days * _DAY_MS)
            self._http.admin(f"DELETE FROM {EVENTS} WHERE time < {cutoff}ms")


_NEWEST = "ORDER BY time DESC LIMIT 1"


def _first(http: InfluxHttp, sql: str) -> list[Any] | None:
    return _row(http.query([sql])[0])


def _row(series: list[tuple[dict[str, str], list[str], list[list[Any]]]]) -> list[Any] | None:
    for _tags, _columns, rows in series:
        if rows:
            return rows[0]
    return None


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _bound(seconds: float) -> int | None:
    if math.isinf(seconds):
        return None
    return math.ceil(round(seconds * 1000, 6))
