"""The engine's state: alerts per (vin, rule), sample windows and bucket series per (vin, series),
DTC tracks, service marks and when each vehicle last sent data. JSON-ready, one document per
vehicle, so a worker can persist it (``rules.checkpoint.StateStore``, saved and restored by
rules/core.py) and a restart neither re-fires nor forgets what was pending.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jobs.model import Severity
from rules.conditions import Buckets, bucket_specs
from rules.model import Rule
from rules.series import BucketSeries
from rules.window import SampleWindow

DEFAULT_WINDOW_CAP = 10_000
"""Most samples kept per (vin, signal) for evidence, whatever the time horizon."""


class AlertState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class Alert:
    __slots__ = ("clear_since", "last_ts", "severity", "since", "state")

    def __init__(self) -> None:
        self.state = AlertState.INACTIVE
        self.since = 0.0
        self.clear_since: float | None = None
        self.last_ts = -math.inf
        self.severity: Severity | None = None  # raised by escalation while firing

    def to_json(self) -> list[Any]:
        last = None if self.last_ts == -math.inf else self.last_ts
        sev = None if self.severity is None else self.severity.value
        return [self.state.value, self.since, self.clear_since, last, sev]

    @classmethod
    def from_json(cls, doc: list[Any]) -> Alert:
        alert = cls()
        state, since, clear_since, last, sev = doc
        alert.state = AlertState(state)
        alert.since = float(since)
        alert.clear_since = None if clear_since is None else float(clear_since)
        alert.last_ts = -math.inf if last is None else float(last)
        alert.severity = None if sev is None else Severity(sev)
        return alert


@dataclass(slots=True)
class DtcTrack:
    matching: bool = False
    edges: int = 0


@dataclass(slots=True)
class ServiceMark:
    """Where a maintenance interval counts from: data time, odometer and running hours."""

    at: float
    km: float | None = None
    hours: float = 0.0
    serviced: bool = False  # from a service (a job, the service book); else first seen


class EngineState:
    """Everything the engine remembers, owned by one caller and updated in place."""

    def __init__(self, window_cap: int = DEFAULT_WINDOW_CAP) -> None:
        self.window_cap = window_cap
        self.alerts: dict[tuple[str, str], Alert] = {}
        self.windows: dict[tuple[str, str], SampleWindow] = {}
        self.buckets: dict[tuple[str, str], BucketSeries] = {}
        self.dtc: dict[tuple[str, str], DtcTrack] = {}
        self.services: dict[tuple[str, str], ServiceMark] = {}
        self.running_hours: dict[str, tuple[float, float]] = {}  # vin -> (last ts, hours)
        self.last_seen: dict[str, float] = {}
        self.late_samples = 0
        self.future_samples = 0
        self.index_cache: Any = None
        self.quiet_cache: Any = None  # rules.quiet.QuietPlan of the catalogue

    def alert(self, vin: str, rule_id: str) -> Alert:
        key = (vin, rule_id)
        alert = self.alerts.get(key)
        if alert is None:
            alert = self.alerts[key] = Alert()
        return alert

    def alert_state(self, vin: str, rule_id: str) -> AlertState:
        alert = self.alerts.get((vin, rule_id))
        return alert.state if alert else AlertState.INACTIVE

    def window(self, vin: str, signal: str, horizon_s: float) -> SampleWindow:
        key = (vin, signal)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = SampleWindow(horizon_s, self.window_cap)
        return window

    def bucket_series(self, vin: str, spec: Buckets) -> BucketSeries:
        key = (vin, spec.key)
        series = self.buckets.get(key)
        if series is None:
            series = self.buckets[key] = BucketSeries(spec.resolution_s, spec.window_s)
        return series

    def vins(self) -> set[str]:
        return set(self.last_seen)

    # --- persistence: one JSON document per vehicle ------------------------------------

    def vehicle_to_json(self, vin: str, window_s: float) -> dict[str, Any]:
        """This vehicle's state; windows keep only their last ``window_s`` seconds."""
        return self.vehicles_to_json([vin], window_s, hot={vin})[vin]

    def vehicles_to_json(
        self, vins: Iterable[str], window_s: float, hot: Collection[str]
    ) -> dict[str, dict[str, Any]]:
        """The documents of ``vins`` in one pass over the state (not one per vehicle).

        A ``hot`` vehicle (an alert pending or firing, a window after a firing to attach)
        keeps every alert and the last ``window_s`` seconds of each window: the evidence its
        job will carry. Any other keeps its alerts that are not inactive and the newest point
        of each window (what derived series, buckets and odometers read); its windows refill
        from live data after a restart.
        """
        docs: dict[str, dict[str, Any]] = {
            vin: {
                "last_seen": self.last_seen.get(vin),
                "alerts": {},
                "windows": {},
                "buckets": {},
                "dtc": {},
                "services": {},
                "running_hours": (
                    list(self.running_hours[vin]) if vin in self.running_hours else None
                ),
            }
            for vin in vins
        }
        for (v, r), alert in self.alerts.items():
            doc = docs.get(v)
            if doc is not None and (v in hot or alert.state is not AlertState.INACTIVE):
                doc["alerts"][r] = alert.to_json()
        for (v, s), window in self.windows.items():
            doc = docs.get(v)
            if doc is None:
                continue
            if v in hot:
                start = (self.last_seen.get(v) or 0.0) - window_s
                doc["windows"][s] = [list(p) for p in window.between(start, math.inf)]
            else:
                doc["windows"][s] = [list(p) for p in window.newest()]
        for (v, k), series in self.buckets.items():
            if v in docs:
                docs[v]["buckets"][k] = series.to_json()
        for (v, r), track in self.dtc.items():
            if v in docs:
                docs[v]["dtc"][r] = [track.matching, track.edges]
        for (v, r), mark in self.services.items():
            if v in docs:
                docs[v]["services"][r] = [mark.at, mark.km, mark.hours, mark.serviced]
        return docs

    def forget(self, vins: Collection[str]) -> None:
        """Drop the memory of idle ``vins`` (their checkpoint holds it) but what the clock
        reads: when each was last seen and its alerts that are not inactive (no-data rules)."""
        for table in (self.windows, self.buckets, self.dtc, self.services):
            for key in [k for k in table if k[0] in vins]:
                del table[key]
        for key in [k for k, a in self.alerts.items() if k[0] in vins]:
            if self.alerts[key].state is AlertState.INACTIVE:
                del self.alerts[key]
        for vin in vins:
            self.running_hours.pop(vin, None)

    def load_vehicle(
        self,
        vin: str,
        doc: dict[str, Any],
        rules: tuple[Rule, ...],
        horizon_s: float | Callable[[str], float],
    ) -> None:
        """Restore what ``vehicle_to_json`` wrote; unknown rules and series are dropped.
        ``horizon_s``: how long each window holds (one figure, or one per series). An alert
        already in memory (newer than the document) is kept."""
        keep = horizon_s if callable(horizon_s) else (lambda _name: float(horizon_s))
        known = {r.id for r in rules}
        specs = {b.key: b for r in rules for b in bucket_specs(r.condition)}
        if doc.get("last_seen") is not None:
            self.last_seen[vin] = float(doc["last_seen"])
        for rule_id, alert in doc.get("alerts", {}).items():
            if rule_id in known and (vin, rule_id) not in self.alerts:
                self.alerts[(vin, rule_id)] = Alert.from_json(alert)
        for signal, points in doc.get("windows", {}).items():
            window = self.window(vin, signal, keep(signal))
            for ts, value in points:
                window.add(float(ts), float(value))
        for key, series in doc.get("buckets", {}).items():
            if key in specs:
                spec = specs[key]
                restored = BucketSeries.from_json(series, spec.resolution_s, spec.window_s)
                self.buckets[(vin, key)] = restored
        for rule_id, (matching, edges) in doc.get("dtc", {}).items():
            self.dtc[(vin, rule_id)] = DtcTrack(bool(matching), int(edges))
        for rule_id, (at, km, hours, *serviced) in doc.get("services", {}).items():
            mark = ServiceMark(float(at), km, float(hours), bool(serviced and serviced[0]))
            self.services[(vin, rule_id)] = mark
        if doc.get("running_hours"):
            last, hours = doc["running_hours"]
            self.running_hours[vin] = (float(last), float(hours))
