"""DiagnosticsService against the ECU simulator on python-can's virtual bus."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import can
import pytest

from gateway.diag.client import EcuTarget
from gateway.diag.service import DiagnosticsService, DiagSchedule
from pitstop.dtc import DtcReport, DtcStatus, decode_dtc_report, encode_dtc_report
from sim.ecu import EcuSimulator
from sim.ecu_services import PENDING, TEST_FAILED, SimFault
from tests.waiting import wait_until

VIN = "WPITSTOPDEMO00001"


@dataclass
class Inbox:
    reports: list[DtcReport] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, report: DtcReport) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("spool full")
        with self.lock:  # through the wire format, as ingest will see it
            self.reports.append(decode_dtc_report(encode_dtc_report(report)))

    def last(self) -> DtcReport:
        with self.lock:
            return self.reports[-1]

    def codes(self) -> dict[str, set[DtcStatus]]:
        return {f"{d.protocol}:{d.code}": set(d.status) for d in self.last().codes}


@pytest.fixture
def running() -> Iterator[tuple[EcuSimulator, DiagnosticsService, Inbox]]:
    channel = f"diag-{uuid.uuid4().hex}"
    ecu = EcuSimulator(channel, dm1_period=0.1)
    ecu.start()
    bus = can.Bus(interface="virtual", channel=channel)
    inbox = Inbox()
    schedule = DiagSchedule(
        targets=(EcuTarget(protocols=("obd", "uds")),),
        interval=0.3,
        heartbeat=1.0,
        request_timeout=0.5,
        tick=0.05,
        dm_timeout=1.0,
    )
    service = DiagnosticsService(bus, VIN, inbox.publish, schedule)
    service.start()
    yield ecu, service, inbox
    service.stop()
    bus.shutdown()
    ecu.stop()


def test_publishes_changes_pending_then_confirmed_then_cleared(
    running: tuple[EcuSimulator, DiagnosticsService, Inbox],
) -> None:
    ecu, service, inbox = running
    wait_until(lambda: inbox.reports, 5, "a first report")
    assert inbox.last().codes == ()
    ecu.set_fault(SimFault("P0301", status=PENDING | TEST_FAILED))
    wait_until(lambda: "obd:P0301" in inbox.codes(), 5, "the pending code")
    assert inbox.codes()["obd:P0301"] == {DtcStatus.PENDING}
    first_seen = inbox.last().codes[0].first_seen
    ecu.set_fault(SimFault("P0301"))
    wait_until(
        lambda: inbox.codes().get("obd:P0301") == {DtcStatus.CONFIRMED}, 5, "the confirmed code"
    )
    assert inbox.last().reason == "changed"
    assert inbox.last().lamps["mil"] is True
    uds = next(d for d in inbox.last().codes if d.protocol == "uds")
    assert uds.uds_status == 0x09
    assert uds.first_seen == first_seen  # the same fault, seen since the pending read
    ecu.clear_fault("P0301")
    wait_until(lambda: inbox.last().codes == (), 5, "the cleared code")
    assert service.stats["obd_failures"] == 0


def test_dm1_codes_join_the_report(
    running: tuple[EcuSimulator, DiagnosticsService, Inbox],
) -> None:
    ecu, _, inbox = running
    ecu.set_j1939_fault(110, 0)
    ecu.set_j1939_fault(168, 1)
    wait_until(lambda: inbox.reports and len(inbox.last().codes) == 2, 5, "two DM1 codes")
    assert set(inbox.codes()) == {"j1939:SPN110-FMI0", "j1939:SPN168-FMI1"}
    assert inbox.last().lamps["amber_warning"] is True
    ecu.broadcast_dm1 = False  # the ECU goes quiet: its codes must not linger
    wait_until(lambda: not any(d.protocol == "j1939" for d in inbox.last().codes), 5, "DM1 gone")


def test_on_demand_read_heartbeat_and_unknown_command(
    running: tuple[EcuSimulator, DiagnosticsService, Inbox],
) -> None:
    _, service, inbox = running
    wait_until(lambda: inbox.reports, 5, "a first report")
    service.request({"type": "read_dtcs"})
    wait_until(lambda: any(r.reason == "request" for r in inbox.reports), 5, "an on-demand read")
    wait_until(lambda: any(r.reason == "heartbeat" for r in inbox.reports), 5, "a heartbeat")
    service.request({"type": "write_frames"})
    assert service.stats["unknown_commands"] == 1


def test_a_failing_publish_is_retried(
    running: tuple[EcuSimulator, DiagnosticsService, Inbox],
) -> None:
    ecu, service, inbox = running
    inbox.fail_next = 3
    ecu.set_fault(SimFault("P0562"))
    wait_until(
        lambda: inbox.reports and "obd:P0562" in inbox.codes(), 5, "the report after failures"
    )
    assert service.stats["publish_failures"] == 3


def test_an_ecu_that_never_answers_gives_no_code_and_counts() -> None:
    channel = f"diag-{uuid.uuid4().hex}"
    ecu = EcuSimulator(channel)
    ecu.silent = True
    ecu.broadcast_dm1 = False
    ecu.set_fault(SimFault("P0562"))
    bus = can.Bus(interface="virtual", channel=channel)
    inbox = Inbox()
    schedule = DiagSchedule(interval=10, request_timeout=0.2, tick=0.05)
    try:
        with ecu, DiagnosticsService(bus, VIN, inbox.publish, schedule) as service:
            check_silent_then_answering(ecu, service, inbox)
    finally:
        bus.shutdown()


def check_silent_then_answering(
    ecu: EcuSimulator, service: DiagnosticsService, inbox: Inbox
) -> None:
    wait_until(lambda: service.stats["unreachable_reads"] >= 1, 10, "a failed scheduled read")
    service.request({"type": "read_dtcs"})
    wait_until(lambda: service.stats["unreachable_reads"] >= 2, 10, "a failed on-demand read")
    assert service.stats["obd_failures"] >= 8
    assert inbox.reports == []  # nothing known: no report, and never a made-up code
    ecu.silent = False
    service.request({"type": "read_dtcs"})
    wait_until(lambda: inbox.reports, 5, "a report once the ECU answers")
    assert {d.code for d in inbox.last().codes} == {"P0562"}
