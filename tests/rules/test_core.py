"""The job package through ``RulesCore`` and a real job store: escalation, firing again, the
window after the trigger, odometer and profile, and maintenance counted from the last service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.model import JobAction, Outcome
from jobs.seed import ensure_demo_workshops
from jobs.sql.store import SqlJobStore
from pitstop.codec import Sample
from pitstop.dtc import Dtc, DtcReport, DtcStatus, describe
from pitstop.dtc import Protocol as DtcProtocol
from rules.core import RulesCore
from rules.jobsink import JobSink
from rules.loader import parse_catalog

VIN = "PITSTOPDEMO000003"
V = "Vehicle.LowVoltageBattery.CurrentVoltage"
ODO = "Vehicle.TraveledDistance"
T0 = 1_767_225_600.0
DAY = 86400.0
CATALOG = f"""
- id: lv
  title: 12 V low
  kind: threshold
  signal: {V}
  below: 11.8
  for: 10s
  clear: 12.2
  severity: warning
  escalate: [{{below: 11.5, severity: critical}}]
  evidence: {{before: 5s, after: 20s, signals: [{ODO}]}}
  diagnosis: {{summary: weak battery, skills: [electrical]}}
- id: service
  title: Service due
  kind: maintenance
  every: {{time: 30d}}
  severity: info
  diagnosis: {{summary: service, skills: [electrical]}}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlJobStore]:
    jobs = SqlJobStore.open(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_demo_workshops(jobs)
    yield jobs
    jobs.close()


def feed(core: RulesCore, now: list[float], volts: list[float], start: float) -> None:
    for i, v in enumerate(volts):
        now[0] = start + i
        core.telemetry(VIN, [Sample(V, start + i, v), Sample(ODO, start + i, 5000 + i)], "abc123")


def test_escalation_refiring_and_the_window_after(store: SqlJobStore) -> None:
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    feed(core, now, [12.6] * 5 + [11.7] * 20 + [11.4] * 30 + [12.6] * 10 + [11.7] * 20, T0)
    (job,) = store.list_jobs(vin=VIN)
    assert job.fired_at == T0 + 15
    assert job.evidence["odometer_km"] == 5015
    assert job.evidence["profile_hash"] == "abc123"
    assert job.severity == "critical"  # raised by the escalation at 11.4 V
    (escalation,) = job.evidence["escalations"]
    assert escalation["trigger"]["severity"] == "critical"
    (after,) = job.evidence["after"][:1]
    assert [p[0] - T0 for p in after["window"][ODO]] == list(range(16, 36))
    (again,) = job.evidence["refirings"]  # resolved at 55 s, fired again at 75 s
    assert again["trigger"]["fired_at"] == T0 + 75
    assert again["trigger"]["severity"] == "warning"
    assert job.severity == "critical"  # never lowered


def test_maintenance_counts_from_the_last_completed_service(store: SqlJobStore) -> None:
    now = [T0]
    rules = parse_catalog(CATALOG)
    core = RulesCore(rules, JobSink(store), clock=lambda: now[0])
    feed(core, now, [12.6], T0)
    now[0] = T0 + 31 * DAY
    core.telemetry(VIN, [Sample(ODO, now[0], 6000.0)])
    (job,) = store.list_jobs(vin=VIN)
    assert job.rule_id == "service"
    for action in (JobAction.CONFIRM, JobAction.ACCEPT, JobAction.START):
        store.act(job.id, action, now[0])
    store.act(job.id, JobAction.COMPLETE, now[0] + 3600, outcome=Outcome.FIXED)
    now[0] += 2 * 3600
    core.tick()  # sees the completed service: the interval counts from its completion
    core.telemetry(VIN, [Sample(ODO, now[0], 6001.0)])
    now[0] += 29 * DAY
    core.telemetry(VIN, [Sample(ODO, now[0], 7000.0)])
    assert len(store.list_jobs(vin=VIN)) == 1
    now[0] += 2 * DAY
    core.telemetry(VIN, [Sample(ODO, now[0], 7100.0)])
    assert len(store.list_jobs(vin=VIN)) == 2
    # a fresh core (a new worker without saved state) also counts from that service
    fresh = RulesCore(rules, JobSink(store), clock=lambda: now[0])
    fresh.telemetry("PITSTOPDEMO000009", [Sample(ODO, now[0], 100.0)])
    fresh.telemetry(VIN, [Sample(ODO, now[0], 7100.0)])
    assert fresh.engine.services[(VIN, "service")].at == pytest.approx(T0 + 31 * DAY + 3600)


def test_a_job_carries_the_trouble_codes_the_car_reports_when_it_fires(
    store: SqlJobStore,
) -> None:
    now = [T0]
    core = RulesCore(parse_catalog(CATALOG), JobSink(store), clock=lambda: now[0])
    code = Dtc(
        "P0562",
        DtcProtocol.UDS,
        0x7E8,
        frozenset({DtcStatus.CONFIRMED}),
        snapshot={"voltage": 11.6},
    )
    core.dtc(DtcReport(VIN, T0, (code,)))
    feed(core, now, [12.6] * 5 + [11.7] * 20, T0 + 1)

    (job,) = store.list_jobs(vin=VIN)
    (carried,) = job.evidence["dtcs"]
    assert carried["code"] == "P0562"
    assert carried["description"] == describe("P0562")
    assert carried["status"] == ["confirmed"]
    assert carried["freeze_frame"] == {"voltage": 11.6}
