"""`pitstop dtc scan` and the Scanner behind it, on the real truck log and a recorded session."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import can
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from gateway.diag.client import DiagClient, EcuTarget
from gateway.diag.reads import read_obd, read_uds
from gateway.diag.scan import Scanner
from pitstop.dtc import DtcReport, decode_dtc_report
from sim.ecu import EcuSimulator
from sim.ecu_services import PENDING, SimFault
from tests.waiting import wait_until


def test_truck_dm1_reads_as_no_active_trouble_code(shared_data: Path) -> None:
    scanner = Scanner()
    reports = [
        f.report
        for f in scanner.scan(can.LogReader(str(shared_data / "logs/css/j1939_truck.log")))
        if f.report is not None
    ]
    assert len(reports) == 10
    assert all(r.codes == () and r.source == "j1939:0x2F" for r in reports)
    assert reports[0].lamps == {"amber_warning": False}
    assert scanner.stats["malformed"] == 0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A candump log of a gateway reading the simulator: OBD, UDS and a BAM DM1."""
    channel = f"scan-{uuid.uuid4().hex}"
    path = tmp_path_factory.mktemp("scan") / "session.log"
    recorder = can.Bus(interface="virtual", channel=channel)
    frames: list[can.Message] = []
    notifier = can.Notifier(recorder, [frames.append], timeout=0.05)
    with EcuSimulator(channel, dm1_period=0.1) as ecu:
        ecu.set_fault(SimFault("P0301", snapshot={0xF40C: b"\x2e\xe0"}, occurrences=2))
        ecu.set_fault(SimFault("P0128", status=PENDING))
        ecu.set_j1939_fault(110, 0)
        ecu.set_j1939_fault(168, 1)
        bus = can.Bus(interface="virtual", channel=channel)
        client_notifier = can.Notifier(bus, [], timeout=0.05)
        client = DiagClient(bus, client_notifier)
        target = EcuTarget(protocols=("obd", "uds"))
        read_obd(client, target, 0.0, Counter())
        read_uds(client, target, 0.0, Counter())
        wait_until(lambda: sum(f.arbitration_id == 0x1CEBFF00 for f in frames) >= 4, 5, "BAM")
        client.close()
        client_notifier.stop()
        bus.shutdown()
    notifier.stop()
    recorder.shutdown()
    with can.Logger(str(path)) as writer:
        for frame in frames:
            writer.on_message_received(frame)
    return path


def scan_cli(path: Path, capsys: pytest.CaptureFixture[str]) -> list[DtcReport]:
    assert main(["dtc", "scan", str(path), "--vin", "WPITSTOPDEMO00001"]) == 0
    out = capsys.readouterr().out
    return [decode_dtc_report(line.encode()) for line in out.splitlines()]


def test_scan_finds_obd_uds_and_j1939_codes(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = scan_cli(recorded, capsys)
    by_source: dict[str, list[DtcReport]] = {}
    for report in reports:
        assert report.source is not None
        by_source.setdefault(report.source, []).append(report)
    obd = {d.code for r in by_source["obd:0x7E8"] for d in r.codes}
    assert obd == {"P0301", "P0128"}
    uds = by_source["uds:0x7E8"][-1].codes
    misfire = next(d for d in uds if d.code == "P0301")
    assert misfire.occurrences == 2
    assert misfire.snapshot["snapshots"] == {"1": {"0xF40C": "2ee0"}}
    j1939 = [r for r in by_source["j1939:0x00"] if len(r.codes) == 2]
    assert {d.code for d in j1939[0].codes} == {"SPN110-FMI0", "SPN168-FMI1"}


def test_scan_with_dbc_prints_decoded_responses(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = shared_data / "logs/css/leaf_uds_soc.log"
    dbc = shared_data / "dbc/css/leaf_uds.dbc"
    assert main(["dtc", "scan", str(log), "--dbc", str(dbc), "--quiet"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    socs = [d["signals"]["SoC"] for d in lines if "SoC" in d.get("signals", {})]
    assert socs
    assert all(88 < s < 90 for s in socs)


def test_scan_errors_are_sentences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dtc", "scan", str(tmp_path / "missing.log")]) == 2
    assert "CAN log not found" in capsys.readouterr().err
    bad = tmp_path / "bad.log"
    bad.write_text("(1.0) can0 7E8#10\n(1.1) can0 7E8#2\nthis is not candump\n")
    assert main(["dtc", "scan", str(bad), "--quiet"]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0x7E8, 0x18DAF110, 0x18FECA00, 0x1CECFF00, 0x1CEBFF00]),
            st.binary(max_size=8),
        ),
        max_size=40,
    )
)
def test_random_frames_never_raise_and_never_invent_obd_codes(
    frames: list[tuple[int, bytes]],
) -> None:
    messages = [
        can.Message(arbitration_id=i, data=d, is_extended_id=i > 0x7FF, timestamp=n * 0.01)
        for n, (i, d) in enumerate(frames)
    ]
    for found in Scanner().scan(messages):
        if found.report is not None:
            assert all(d.protocol in ("obd", "uds", "j1939") for d in found.report.codes)
