"""A short demo-EV drive, encoded frame by frame with cantools, written as a candump log.

The expected canonical samples are worked out from the same frames with cantools directly
(``Database.decode_message``), not with the gateway's decoder, so the gateway is checked
against an independent reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import can
import cantools
from cantools.database.can import Database

from tests.conftest import DEMO_PROFILE

DEMO_DBC = DEMO_PROFILE.parent / "demo_ev.dbc"
T0 = 1_764_201_600.0
UNKNOWN_ID = 0x7DF

# canonical name -> (message, signal, scale), as in dbc/demo_ev.yaml
MAPPING = {
    "Vehicle.Speed": ("VCU_Status", "VehicleSpeed", 1.0),
    "Vehicle.Powertrain.ElectricMotor.Speed": ("VCU_Status", "MotorSpeed", 1.0),
    "Vehicle.TraveledDistance": ("VCU_Odometer", "Odometer", 1.0),
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": ("BMS_Pack", "PackSOC", 1.0),
    "Vehicle.Powertrain.TractionBattery.CellVoltage.Min": (
        "BMS_CellStats",
        "CellVoltageMin",
        0.001,
    ),
    "Vehicle.Powertrain.TractionBattery.Temperature.Max": ("BMS_CellStats", "CellTempMax", 1.0),
    "Vehicle.LowVoltageBattery.CurrentVoltage": ("DCDC_12V", "LvBatteryVoltage", 1.0),
}


@dataclass(frozen=True)
class DemoLog:
    path: Path
    frames: int
    unknown: int  # frames with an id the demo DBC lacks
    expected: dict[tuple[str, int], float]  # (canonical signal, ts in ms) -> value


def load_can_database(path: Path, frame_id_mask: int | None = None) -> Database:
    db = cantools.database.load_file(path, frame_id_mask=frame_id_mask)
    assert isinstance(db, Database)
    return db


def _signals(t: float, mux: int) -> dict[str, dict[str, float]]:
    return {
        "VCU_Status": {
            "VehicleSpeed": round(50 + 30 * math.sin(t / 5), 2),
            "GearLever": 3,
            "DriveReady": 1,
            "AccelPedal": 20.0,
            "MotorSpeed": int(4000 + 2000 * math.sin(t / 5)),
            "VCU_Counter": int(t * 10) % 16,
        },
        "VCU_Odometer": {"Odometer": round(12345.6 + t * 0.014, 1)},
        "BMS_Pack": {
            "PackSOC": round(80 - t * 0.01, 1),
            "PackVoltage": 390.0,
            "PackCurrent": -25.5,
            "PackTempMax": 30,
        },
        "BMS_CellStats": (
            {
                "CellStatsMux": 0,
                "CellVoltageMin": 3900,
                "CellVoltageMax": 3950,
                "CellVoltageMinIndex": 7,
                "CellVoltageMaxIndex": 42,
            }
            if mux == 0
            else {"CellStatsMux": 1, "CellTempMin": 25, "CellTempMax": 31}
        ),
        "DCDC_12V": {"LvBatteryVoltage": 14.1, "LvBatteryCurrent": 12.5, "DcdcState": 1},
    }


# message -> period in units of 10 ms
PERIODS = {
    "VCU_Status": 10,
    "BMS_Pack": 10,
    "BMS_CellStats": 20,
    "DCDC_12V": 50,
    "VCU_Odometer": 100,
}


def write_demo_log(path: Path, seconds: float = 20.0, t0: float = T0) -> DemoLog:
    """Write ``seconds`` of demo-EV traffic (plus an unknown id now and then) to ``path``."""
    db = load_can_database(DEMO_DBC)
    expected: dict[tuple[str, int], float] = {}
    frames = unknown = 0
    writer = can.CanutilsLogWriter(path, channel="can0")
    try:
        for tick in range(round(seconds * 100)):
            for offset, (name, period) in enumerate(PERIODS.items()):
                if tick % period:
                    continue
                t = t0 + tick / 100 + offset / 1000  # distinct timestamps per message
                message = db.get_message_by_name(name)
                values = _signals(t - t0, (tick // period) % 2)[name]
                data = message.encode(values)
                writer.on_message_received(
                    can.Message(
                        timestamp=t,
                        arbitration_id=message.frame_id,
                        data=data,
                        is_extended_id=False,
                    )
                )
                frames += 1
                _expect(
                    expected,
                    db.decode_message(message.frame_id, data, decode_choices=False),
                    name,
                    t,
                )
            if tick % 25 == 0:
                writer.on_message_received(
                    can.Message(
                        timestamp=t0 + tick / 100 + 0.009,
                        arbitration_id=UNKNOWN_ID,
                        data=b"\x02\x01\x0d",
                        is_extended_id=False,
                    )
                )
                frames += 1
                unknown += 1
    finally:
        writer.stop()
    return DemoLog(path, frames, unknown, expected)


def _expect(
    expected: dict[tuple[str, int], float], decoded: object, message: str, t: float
) -> None:
    assert isinstance(decoded, dict)
    for canonical, (msg_name, signal, scale) in MAPPING.items():
        if msg_name == message and signal in decoded:
            expected[(canonical, round(t * 1000))] = decoded[signal] * scale
