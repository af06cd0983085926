from __future__ import annotations

from pathlib import Path

import can
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.decode import Decoder
from gateway.profile import load_profile
from pitstop.codec import Sample
from tests.conftest import DEMO_PROFILE
from tests.gateway.demo_log import load_can_database

J1939_PGN_MASK = 0x03FFFF00  # J1939: match the PGN, ignore priority and source address

DEMO = load_profile(DEMO_PROFILE)
DEMO_DB = load_can_database(DEMO_PROFILE.parent / "demo_ev.dbc")


def _frame(name: str, values: dict[str, float], ts: float = 100.0) -> can.Message:
    message = DEMO_DB.get_message_by_name(name)
    return can.Message(
        timestamp=ts,
        arbitration_id=message.frame_id,
        data=message.encode(values),
        is_extended_id=False,
    )


def test_scale_offset_and_raw_value_tables() -> None:
    decoder = Decoder(DEMO)
    samples = decoder.decode(
        _frame("DCDC_12V", {"LvBatteryVoltage": 12.5, "LvBatteryCurrent": -3.2, "DcdcState": 2})
    )
    by_name = {s.signal: s for s in samples}
    voltage = by_name["Vehicle.LowVoltageBattery.CurrentVoltage"]
    assert isinstance(voltage, Sample)
    assert voltage.ts == 100.0
    assert voltage.value == pytest.approx(12.5)
    assert by_name["Vehicle.Powertrain.DCDC.State"].value == 2  # raw, not "Derated"
    assert set(by_name) == {
        "Vehicle.LowVoltageBattery.CurrentVoltage",
        "Vehicle.LowVoltageBattery.CurrentCurrent",
        "Vehicle.Powertrain.DCDC.State",
    }


def test_multiplexed_frames_give_the_signals_present() -> None:
    decoder = Decoder(DEMO)
    volts = decoder.decode(
        _frame(
            "BMS_CellStats",
            {
                "CellStatsMux": 0,
                "CellVoltageMin": 3712,
                "CellVoltageMax": 3801,
                "CellVoltageMinIndex": 1,
                "CellVoltageMaxIndex": 2,
            },
        )
    )
    assert {s.signal: s.value for s in volts} == {
        "Vehicle.Powertrain.TractionBattery.CellVoltage.Min": pytest.approx(3.712),
        "Vehicle.Powertrain.TractionBattery.CellVoltage.Max": pytest.approx(3.801),
    }
    temps = decoder.decode(
        _frame("BMS_CellStats", {"CellStatsMux": 1, "CellTempMin": 21, "CellTempMax": 29})
    )
    assert {s.signal: s.value for s in temps} == {
        "Vehicle.Powertrain.TractionBattery.Temperature.Min": 21,
        "Vehicle.Powertrain.TractionBattery.Temperature.Max": 29,
    }


def test_unknown_short_and_undecodable_frames_are_counted() -> None:
    decoder = Decoder(DEMO)
    assert (
        decoder.decode(
            can.Message(arbitration_id=0x7DF, data=b"\x02\x01\x0d", is_extended_id=False)
        )
        == []
    )
    assert (
        decoder.decode(can.Message(arbitration_id=0x100, data=b"\x00\x01", is_extended_id=False))
        == []
    )
    # Multiplexer value 9 does not exist in BMS_CellStats.
    assert (
        decoder.decode(
            can.Message(
                arbitration_id=0x210, data=bytes([9, 0, 0, 0, 0, 0, 0, 0]), is_extended_id=False
            )
        )
        == []
    )
    # Same id as VCU_Status but extended: a different frame.
    assert decoder.decode(can.Message(arbitration_id=0x100, data=bytes(8))) == []
    assert decoder.counters.as_dict() == {
        "decoded": 0,
        "unknown_id": 2,
        "bad_frame": 2,
        "not_due": 0,
        "unmapped": 0,
    }


def test_padded_frames_decode() -> None:
    decoder = Decoder(DEMO)
    frame = _frame(
        "TMS_Temps", {"MotorTemp": 80, "CoolantTemp": 40, "InverterTemp": 50, "CoolantLevelLow": 0}
    )
    frame.data = frame.data + b"\xff\xff\xff\xff"
    frame.dlc = 8
    assert len(decoder.decode(frame)) == 4


KNOWN_IDS = sorted({DEMO_DB.get_message_by_name(m.message).frame_id for m in DEMO.signals})


@settings(max_examples=400, deadline=None)
@given(
    arbitration_id=st.one_of(st.sampled_from(KNOWN_IDS), st.integers(0, 0x1FFFFFFF)),
    extended=st.booleans(),
    data=st.binary(max_size=64),
    remote=st.booleans(),
)
def test_nothing_a_bus_sends_raises(
    arbitration_id: int, extended: bool, data: bytes, remote: bool
) -> None:
    decoder = Decoder(DEMO)
    msg = can.Message(
        arbitration_id=arbitration_id,
        is_extended_id=extended,
        data=data,
        is_remote_frame=remote,
        check=False,
    )
    samples = decoder.decode(msg)
    counters = decoder.counters
    assert counters.decoded + counters.unknown_id + counters.bad_frame == 1
    assert all(isinstance(s.value, (int, float)) for s in samples)


J1939_SIGNALS = {
    "Vehicle.Powertrain.CombustionEngine.Speed": ("EEC1", "EngineSpeed", 1.0),
    "Vehicle.Speed": ("CCVS1", "WheelBasedVehicleSpeed", 1.0),
    "Vehicle.SpeedMetersPerSecond": ("CCVS1", "WheelBasedVehicleSpeed", 1 / 3.6),
}


def _j1939_profile(tmp_path: Path, shared_data: Path, mask: int | None) -> Path:
    dbc = shared_data / "dbc" / "css" / "j1939_demo.dbc"
    lines = ["name: truck", "buses:", "  - name: can1", f"    dbc: [{dbc}]"]
    if mask is not None:
        lines.append(f"    frame_id_mask: {mask:#x}")
    lines.append("signals:")
    for canonical, (message, signal, scale) in J1939_SIGNALS.items():
        lines.append(f"  {canonical}: {{message: {message}, signal: {signal}, scale: {scale!r}}}")
    path = tmp_path / "truck.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_j1939_truck_log_matches_cantools(tmp_path: Path, shared_data: Path) -> None:
    """The real truck log, decoded by the gateway and by cantools directly, frame by frame.

    The log's ids carry the sending ECU's source address (0x0CF00400, 0x18FEF100), the DBC's
    carry 0xFE (0x0CF004FE, 0x18FEF1FE): both sides match by PGN with frame_id_mask.
    """
    decoder = Decoder(load_profile(_j1939_profile(tmp_path, shared_data, J1939_PGN_MASK)))
    reference = load_can_database(
        shared_data / "dbc" / "css" / "j1939_demo.dbc", frame_id_mask=J1939_PGN_MASK
    )
    seen = dict.fromkeys(J1939_SIGNALS, 0)
    frames = 0
    for msg in can.LogReader(shared_data / "logs" / "css" / "j1939_truck.log"):
        frames += 1
        got = {s.signal: s for s in decoder.decode(msg)}
        try:
            message = reference.get_message_by_frame_id(msg.arbitration_id)
        except KeyError:
            assert got == {}
            continue
        expected = message.decode(bytes(msg.data), decode_choices=False)
        assert isinstance(expected, dict)
        for canonical, (message_name, signal, scale) in J1939_SIGNALS.items():
            if message_name != message.name:
                continue
            assert got[canonical].ts == msg.timestamp
            reference_value = expected[signal]
            assert isinstance(reference_value, (int, float))
            assert got[canonical].value == pytest.approx(reference_value * scale)
            seen[canonical] += 1
    assert frames == 150_411
    assert seen["Vehicle.Powertrain.CombustionEngine.Speed"] > 3000
    assert seen["Vehicle.Speed"] > 3000
    assert (
        decoder.counters.decoded
        == seen["Vehicle.Speed"] + seen["Vehicle.Powertrain.CombustionEngine.Speed"]
    )
    assert decoder.counters.unknown_id == frames - decoder.counters.decoded


def test_j1939_without_a_mask_matches_nothing(tmp_path: Path, shared_data: Path) -> None:
    decoder = Decoder(load_profile(_j1939_profile(tmp_path, shared_data, None)))
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    for count, msg in enumerate(can.LogReader(log)):
        decoder.decode(msg)
        if count == 5000:
            break
    assert decoder.counters.decoded == 0
