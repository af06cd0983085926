"""The ECU simulator against the gateway's diagnostics client, on python-can's virtual bus."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import can
import pytest

from gateway.diag.client import DiagClient, EcuTarget
from gateway.diag.errors import NegativeResponseError, NoResponseError
from gateway.diag.j1939dm import DmReader, DmUpdate
from gateway.diag.reads import merge, read_obd, read_pids, read_uds
from pitstop.dtc import DtcStatus
from sim.ecu import IDS_11BIT, IDS_29BIT, EcuIds, EcuSimulator
from sim.ecu_services import CONFIRMED, PENDING, TEST_FAILED, SimFault
from tests.waiting import wait_until

TARGET = EcuTarget(protocols=("obd", "uds"))
TARGET_29 = EcuTarget(0x18DA10F1, 0x18DAF110, extended=True, protocols=("obd", "uds"))


class GatewaySide:
    """The gateway's side: its own bus instance, a notifier and a client."""

    def __init__(self, channel: str) -> None:
        self.bus = can.Bus(interface="virtual", channel=channel)
        self.reader = DmReader()
        self.dms: list[DmUpdate] = []
        self.notifier = can.Notifier(self.bus, [self._on_frame], timeout=0.05)
        self.client = DiagClient(self.bus, self.notifier, timeout=0.5)
        self.stats: Counter[str] = Counter()

    def _on_frame(self, msg: can.Message) -> None:
        update = self.reader.feed(msg)
        if update is not None:
            self.dms.append(update)

    def close(self) -> None:
        self.client.close()
        self.notifier.stop()
        self.bus.shutdown()


def start(ids: EcuIds = IDS_11BIT) -> tuple[EcuSimulator, GatewaySide]:
    channel = f"ecu-{uuid.uuid4().hex}"
    ecu = EcuSimulator(channel, ids=ids, dm1_period=0.1)
    ecu.start()
    return ecu, GatewaySide(channel)


@pytest.fixture
def rig() -> Iterator[tuple[EcuSimulator, GatewaySide]]:
    ecu, tester = start()
    yield ecu, tester
    tester.close()
    ecu.stop()


def obd_codes(tester: GatewaySide, target: EcuTarget = TARGET) -> dict[str, set[DtcStatus]]:
    codes, _ = read_obd(tester.client, target, 1.0, tester.stats)
    assert codes is not None
    return {d.code: set(d.status) for d in merge(codes)}


def test_obd_zero_one_and_many_codes(rig: tuple[EcuSimulator, GatewaySide]) -> None:
    ecu, tester = rig
    assert obd_codes(tester) == {}
    ecu.set_fault(SimFault("P0562"))
    assert obd_codes(tester) == {"P0562": {DtcStatus.CONFIRMED}}
    for n in range(1, 7):
        ecu.set_fault(SimFault(f"P030{n}", permanent=n == 1))
    codes = obd_codes(tester)  # 7 codes: 16 bytes, a multi-frame response
    assert sorted(codes) == ["P0301", "P0302", "P0303", "P0304", "P0305", "P0306", "P0562"]
    assert codes["P0301"] == {DtcStatus.CONFIRMED, DtcStatus.PERMANENT}
    _, mil = read_obd(tester.client, TARGET, 1.0, tester.stats)
    assert mil is True
    assert sum(tester.stats.values()) == 0


def test_pending_then_confirmed_then_cleared(rig: tuple[EcuSimulator, GatewaySide]) -> None:
    ecu, tester = rig
    ecu.set_fault(SimFault("P0117", status=PENDING | TEST_FAILED))
    assert obd_codes(tester) == {"P0117": {DtcStatus.PENDING}}
    (uds_code,) = read_uds(tester.client, TARGET, 1.0, tester.stats) or []
    assert uds_code.status == {DtcStatus.PENDING, DtcStatus.ACTIVE}
    ecu.set_fault(SimFault("P0117", status=CONFIRMED | TEST_FAILED))
    assert obd_codes(tester) == {"P0117": {DtcStatus.CONFIRMED}}
    ecu.clear_fault("P0117")
    assert obd_codes(tester) == {}
    assert read_uds(tester.client, TARGET, 1.0, tester.stats) == []


def test_uds_several_codes_status_bits_snapshot_and_extended_data(
    rig: tuple[EcuSimulator, GatewaySide],
) -> None:
    ecu, tester = rig
    ecu.set_fault(SimFault("P0301", status=0x09, occurrences=4, snapshot={0xF40C: b"\x2e\xe0"}))
    ecu.set_fault(SimFault("U0100", status=0x24, ftb=0x87))
    ecu.set_fault(SimFault("C0750", status=0x08))
    codes = {d.code: d for d in read_uds(tester.client, TARGET, 1.0, tester.stats) or []}
    assert set(codes) == {"P0301", "U0100", "C0750"}
    misfire = codes["P0301"]
    assert (misfire.uds_status, misfire.occurrences) == (0x09, 4)
    assert misfire.status == {DtcStatus.ACTIVE, DtcStatus.CONFIRMED}
    assert misfire.snapshot["snapshots"] == {"1": {"0xF40C": "2ee0"}}
    assert codes["U0100"].ftb == 0x87
    assert codes["U0100"].status == {DtcStatus.PENDING, DtcStatus.PREVIOUSLY_ACTIVE}
    assert codes["C0750"].status == {DtcStatus.CONFIRMED, DtcStatus.PREVIOUSLY_ACTIVE}
    assert codes["C0750"].description == "Tyre pressure sensor front left"
    assert sum(tester.stats.values()) == 0


def test_negative_responses_and_response_pending(rig: tuple[EcuSimulator, GatewaySide]) -> None:
    ecu, tester = rig
    with pytest.raises(NegativeResponseError) as info:
        tester.client.request(TARGET, bytes([0x19, 0x0A]))
    assert info.value.nrc == 0x12
    with pytest.raises(NegativeResponseError) as info:
        tester.client.request(TARGET, bytes([0x22, 0xF1, 0x90]))
    assert info.value.nrc == 0x11
    ecu.pending_replies = 2
    ecu.set_fault(SimFault("P0562"))
    assert obd_codes(tester) == {"P0562": {DtcStatus.CONFIRMED}}


def test_an_ecu_that_never_answers_is_counted_not_invented(
    rig: tuple[EcuSimulator, GatewaySide],
) -> None:
    ecu, tester = rig
    ecu.set_fault(SimFault("P0562"))
    ecu.silent = True
    with pytest.raises(NoResponseError):
        tester.client.request(TARGET, bytes([0x03]))
    codes, mil = read_obd(tester.client, TARGET, 1.0, tester.stats)
    assert (codes, mil) == (None, None)
    assert tester.stats["obd_failures"] == 4


def test_pid_discovery_and_standard_set(rig: tuple[EcuSimulator, GatewaySide]) -> None:
    _, tester = rig
    values = read_pids(tester.client, TARGET, tester.stats)
    assert values["engine_speed"] == 3000.0
    assert values["coolant_temperature"] == 90.0
    assert values["control_module_voltage"] == pytest.approx(12.6)
    assert "engine_load" not in values  # not supported by this ECU, so not asked


def test_29_bit_addressing_physical_and_functional() -> None:
    ecu, tester = start(IDS_29BIT)
    try:
        ecu.set_fault(SimFault("P0128"))
        assert obd_codes(tester, TARGET_29) == {"P0128": {DtcStatus.CONFIRMED}}
        answers = tester.client.request_functional(0x18DB33F1, True, bytes([0x03]), [TARGET_29])
        assert answers[TARGET_29] == bytes.fromhex("43010128")
    finally:
        tester.close()
        ecu.stop()


def test_functional_11_bit_multi_frame_answer(rig: tuple[EcuSimulator, GatewaySide]) -> None:
    ecu, tester = rig
    for n in range(1, 7):
        ecu.set_fault(SimFault(f"P030{n}"))
    answers = tester.client.request_functional(0x7DF, False, bytes([0x03]), [TARGET])
    assert answers[TARGET][:2] == bytes([0x43, 6])


def test_dm1_single_frame_then_bam_with_several_codes(
    rig: tuple[EcuSimulator, GatewaySide],
) -> None:
    ecu, tester = rig
    wait_until(lambda: tester.dms, 5, "a DM1 with no code")
    assert tester.dms[-1].codes == ()
    ecu.set_j1939_fault(110, 0, occurrences=2)
    ecu.set_j1939_fault(168, 1)
    ecu.set_j1939_fault(100, 18)
    update = wait_until(
        lambda: next((u for u in reversed(tester.dms) if len(u.codes) == 3), None),
        5,
        "a DM1 with three codes (BAM)",
    )
    assert update is not None
    assert {(c.spn, c.fmi) for c in update.codes} == {(110, 0), (168, 1), (100, 18)}
    assert update.lamps["amber_warning"] is True
    assert tester.reader.tp.stats["completed"] >= 1
    ecu.clear_j1939_fault(110, 0)
    ecu.clear_j1939_fault(168, 1)
    ecu.clear_j1939_fault(100, 18)
    n = len(tester.dms)
    wait_until(lambda: len(tester.dms) > n and tester.dms[-1].codes == (), 5, "DM1 cleared")
