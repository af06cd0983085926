"""The car's evidence from real stores: SQLite telemetry filled with samples and a trouble
code, the rules engine's checkpoint store with a firing alert, the job store with an open job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assist.assistant import Assistant
from assist.evidence import CarEvidence, Sources, read_car
from assist.explain import explain
from ingest.open import open_store
from ingest.store import TelemetryStore
from jobs.model import JobDraft, Severity
from jobs.open import open_job_store, open_state_store
from jobs.sql.rulestate import SqlStateStore
from jobs.store import JobStore
from pitstop.codec import Sample, TelemetryBatch
from pitstop.dtc import Dtc, DtcReport, DtcStatus, Protocol
from rules.state import AlertState

NOW = 1_764_201_600.0
DAY = 86400.0
VIN = "WPITSTOPASSIST901"
OTHER = "WPITSTOPASSIST902"
LV = "Vehicle.LowVoltageBattery.CurrentVoltage"
CHARGING = "Vehicle.OBD.ControlModuleVoltage"
LOW_VOLTAGE = Dtc(
    "P0562", Protocol.OBD, 0x7E8, frozenset({DtcStatus.CONFIRMED}), "System Voltage Low"
)
AMBIGUOUS = "the car would not start this morning and the lights were dim"
Trio = tuple[TelemetryStore, JobStore, SqlStateStore]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Trio]:
    telemetry = open_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    jobs = open_job_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    state = open_state_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield telemetry, jobs, state
    state.close()
    jobs.close()
    telemetry.close()


def weak_battery(telemetry: TelemetryStore) -> None:
    """Nine days of the 12 V battery falling from 12.6 V to 12.1 V, and P0562 stored."""
    steps = 9 * 8
    samples = tuple(
        Sample(LV, NOW - 9 * DAY + i * DAY / 8, 12.6 - 0.5 * i / steps) for i in range(steps + 1)
    )
    telemetry.write_batch(TelemetryBatch(VIN, 1, "test", samples))
    telemetry.write_dtc_report(DtcReport(VIN, NOW - DAY, (LOW_VOLTAGE,), source="obd"), NOW)


def weak_alternator(telemetry: TelemetryStore) -> None:
    samples = tuple(Sample(CHARGING, NOW - DAY + i * 600, 12.9) for i in range(100))
    telemetry.write_batch(TelemetryBatch(OTHER, 1, "test", samples))


def _read(stores: Trio, assistant: Assistant, vin: str) -> CarEvidence:
    telemetry, jobs, state = stores
    return read_car(vin, assistant.rules, Sources(telemetry, jobs, state), NOW)


def test_the_answer_says_why_in_plain_words(stores: Trio, assistant: Assistant) -> None:
    weak_battery(stores[0])
    car = _read(stores, assistant, VIN)
    assert [c.code for c in car.codes] == ["P0562"]
    answer = assistant.ask("it struggles to start in the morning", car)
    first = answer.candidates[0]
    assert first.key == "lv-battery-low"
    assert first.why == (
        "your 12 V battery voltage has fallen from 12.6 V to 12.1 V in 9 days, close to the "
        "limit of 11.8 V; P0562 is stored (System Voltage Low)"
    )
    assert {r.kind for r in first.reasons} == {"near_limit", "code"}
    assert first.score > first.text_score  # the car backs it
    zh = assistant.ask("早上车很难发动", car).candidates[0]
    assert zh.key == "lv-battery-low"
    assert "您的12V蓄电池电压在9天内从12.6 V降到12.1 V" in zh.why
    assert "已存储故障码 P0562" in zh.why


def test_the_cars_evidence_decides_between_close_answers(
    stores: Trio, assistant: Assistant
) -> None:
    text_only = [c.key for c in assistant.ask(AMBIGUOUS).candidates]
    assert {"lv-battery-low", "charging-voltage-low"} <= set(text_only)
    weak_battery(stores[0])
    weak_alternator(stores[0])
    battery = assistant.ask(AMBIGUOUS, _read(stores, assistant, VIN)).candidates[0]
    alternator = assistant.ask(AMBIGUOUS, _read(stores, assistant, OTHER)).candidates[0]
    assert battery.key == "lv-battery-low"
    assert alternator.key == "charging-voltage-low"
    assert "charging voltage is 12.9 V, past the limit of 13.2 V" in alternator.why


def test_firing_rules_and_open_jobs_are_evidence_and_the_open_job_is_shown(
    stores: Trio, assistant: Assistant
) -> None:
    _, jobs, state = stores
    alert = ["firing", NOW - 3600, None, NOW - 60, None]
    state.save(f"0/1:{VIN}", {"alerts": {"brake-pads-worn-rear-right": alert}}, NOW)
    job, _ = jobs.open_job(
        JobDraft(
            VIN,
            "brake-pads-worn-rear-right",
            "Brake pads worn, rear right",
            Severity.WARNING,
            NOW - 3600,
        ),
        None,
        NOW - 3600,
    )
    car = _read(stores, assistant, VIN)
    assert [(s.rule_id, s.state) for s in car.states] == [
        ("brake-pads-worn-rear-right", AlertState.FIRING)
    ]
    first = assistant.ask("a squeal when I brake", car).candidates[0]
    assert first.rule_id == "brake-pads-worn-rear-right"  # the wheel the car names
    assert first.title == "Brake pads worn, rear right"
    assert first.open_job is not None
    assert first.open_job.job_id == job.id
    assert {r.kind for r in first.reasons} == {"firing", "open_job"}
    assert f"a job is already open for it: #{job.id} (proposed)" in explain(first.reasons, "en")


def test_a_healthy_car_changes_nothing(stores: Trio, assistant: Assistant) -> None:
    telemetry = stores[0]
    samples = tuple(Sample(LV, NOW - DAY + i * 3600, 12.7) for i in range(24))
    telemetry.write_batch(TelemetryBatch(VIN, 1, "test", samples))
    car = _read(stores, assistant, VIN)
    assert car.codes == ()
    assert car.states == ()
    assert car.jobs == ()
    with_car = assistant.ask("a squeal when I brake", car)
    alone = assistant.ask("a squeal when I brake")
    assert [c.key for c in with_car.candidates] == [c.key for c in alone.candidates]
    assert all(c.reasons == () and c.why == "" for c in with_car.candidates)
