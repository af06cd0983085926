"""OBD-II for any car against two simulated ECUs (engine 0x7E8, transmission 0x7E9) on the
virtual bus: discovery, the plan's schedule, PID batches and codes of both in the spool."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import can
import pytest

import dbc
from gateway.diag.client import DiagClient
from gateway.diag.plugin import diagnostics
from gateway.diag.poll import Poller
from gateway.diag.service import DiagSchedule
from gateway.profile import load_profile
from gateway.runner import GatewayConfig, run_gateway
from gateway.sources import SourceSpec
from gateway.spool import Entry, Spool
from pitstop.codec import decode_telemetry
from pitstop.dtc import decode_dtc_report
from pitstop.topics import Kind
from sim.ecu import EcuSimulator, obd_car
from sim.ecu_services import SimFault
from tests.gateway.cloud import FakeCloud
from tests.servers import Mosquitto
from tests.waiting import wait_until

VIN = "WPITSTOPOBD000001"
SPEED, ECT, ODO = (
    "Vehicle.Speed",
    "Vehicle.Powertrain.CombustionEngine.ECT",
    "Vehicle.TraveledDistance",
)
FAST = DiagSchedule(targets=(), interval=0.5, heartbeat=60, request_timeout=0.3, tick=0.05)


@pytest.fixture
def car() -> Iterator[tuple[str, EcuSimulator, EcuSimulator]]:
    channel = f"obd-{uuid.uuid4().hex}"
    with obd_car(channel) as (engine, transmission):
        yield channel, engine, transmission


def test_the_obd2_profile_discovers_both_ecus_and_asks_each_pid_once(
    car: tuple[str, EcuSimulator, EcuSimulator],
) -> None:
    channel, _, _ = car
    section = load_profile(dbc.OBD2_PROFILE).diagnostics
    assert section is not None
    with can.Bus(interface="virtual", channel=channel) as bus:
        notifier = can.Notifier(bus, [], timeout=0.05)
        client = DiagClient(bus, notifier, timeout=0.3)
        try:
            poller = Poller(section)
            samples = {s.signal: s.value for s in poller.step(client, time.monotonic())}
        finally:
            client.close()
            notifier.stop()
    assert [r.target.response_id for r in poller.responders] == [0x7E8, 0x7E9]
    engine, transmission = poller.responders
    assert {0x0C, 0x0D, 0x05, 0x42} <= engine.supported
    assert transmission.supported >= {0x0D, 0xA6}
    assert 0x0C not in transmission.supported
    assert samples[SPEED] == 50.0  # the engine's answer: the first responder wins
    assert samples[ODO] == pytest.approx(123456.7)  # only the transmission has it, at 0xA6
    assert samples["Vehicle.Powertrain.CombustionEngine.Speed"] == 3000.0
    assert samples["Vehicle.OBD.ControlModuleVoltage"] == pytest.approx(12.6)
    assert "Vehicle.Exterior.AirTemperature" not in samples  # PID 0x46: nobody supports it


def _gateway(channel: str, spool: Path, broker: str, plan: Path | None = None) -> GatewayConfig:
    return GatewayConfig(
        vin=VIN,
        profile=dbc.OBD2_PROFILE,
        source=SourceSpec.bus("virtual", channel),
        spool=spool,
        broker_url=broker,
        plan=plan,
        ack_timeout=2.0,
        passive_diagnostics=False,
    )


def _run(config: GatewayConfig, seconds: float, schedule: DiagSchedule = FAST) -> None:
    stop = threading.Event()
    service = diagnostics("virtual", config.source.channel, schedule)
    thread = threading.Thread(
        target=run_gateway, args=(config, stop), kwargs={"services": [service]}
    )
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(20)
    assert not thread.is_alive()


def _entries(path: Path) -> list[Entry]:
    with Spool(path) as spool:
        return spool.unacked(None, 10_000)


def test_pid_batches_follow_the_plan_and_codes_of_both_ecus_arrive(
    car: tuple[str, EcuSimulator, EcuSimulator], tmp_path: Path
) -> None:
    channel, engine, transmission = car
    engine.set_fault(SimFault("P0301"))
    transmission.set_fault(SimFault("P0700", permanent=True))
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: obd-test\nbatch_seconds: 0.5\nsignals:\n"
        f"  {SPEED}: {{interval: 0.25}}\n  {ECT}: {{interval: 10}}\n  {ODO}: {{interval: 60}}\n",
        encoding="utf-8",
    )
    spool = tmp_path / "spool.db"
    _run(_gateway(channel, spool, "mqtt://127.0.0.1:9", plan), 3.0)  # no broker: all stays
    entries = _entries(spool)
    batches = [decode_telemetry(e.payload) for e in entries if e.kind is Kind.TELEMETRY]
    counts = Counter(s.signal for b in batches for s in b.samples)
    assert set(counts) == {SPEED, ECT, ODO}, "the plan collects these three only"
    assert 8 <= counts[SPEED] <= 14  # every 0.25 s for about 3 s
    assert counts[ECT] == counts[ODO] == 1
    assert len(batches) >= 3, "batches of the plan's 0.5 s"
    assert [b.seq for b in batches] == sorted({e.seq for e in entries if e.kind is Kind.TELEMETRY})
    profile = load_profile(dbc.OBD2_PROFILE)
    assert {b.profile for b in batches} == {profile.hash}
    reports = [decode_dtc_report(e.payload) for e in entries if e.kind is Kind.DTC]
    assert reports
    codes = {(d.ecu, d.code, s.value) for d in reports[-1].codes for s in d.status}
    assert (0x7E8, "P0301", "confirmed") in codes
    assert (0x7E9, "P0700", "confirmed") in codes
    assert (0x7E9, "P0700", "permanent") in codes  # mode 0A of the second responder


@pytest.mark.integration
def test_polled_batches_are_published_and_acked(
    car: tuple[str, EcuSimulator, EcuSimulator], tmp_path: Path, mosquitto: Mosquitto
) -> None:
    channel, _, _ = car
    spool = tmp_path / "spool.db"
    with FakeCloud(mosquitto.url, VIN) as cloud:
        stop = threading.Event()
        service = diagnostics("virtual", channel, FAST)
        config = _gateway(channel, spool, mosquitto.url)
        thread = threading.Thread(
            target=run_gateway, args=(config, stop), kwargs={"services": [service]}
        )
        thread.start()
        try:
            wait_until(lambda: len(cloud.values(SPEED)) >= 3, 20, "three speed samples")
            assert cloud.values(SPEED)[0] == 50.0
            assert cloud.values("Vehicle.OBD.EngineLoad")[0] == pytest.approx(40.0)
            seen = set(cloud.batches)
            wait_until(
                lambda: not {e.seq for e in _entries(spool) if e.kind is Kind.TELEMETRY} & seen,
                20,
                "the acknowledged batches to leave the spool",
            )
        finally:
            stop.set()
            thread.join(20)
