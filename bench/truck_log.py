"""The real J1939 truck log (../shared/data/logs/css/j1939_truck.log) as the rules see it:
canonical samples and DM1 trouble-code reports with the log's original timestamps, decoded with
cantools and the CSS DBC directly (the truck profile is written elsewhere).

What the log and ``j1939_demo.dbc`` hold: EEC1 ``EngineSpeed`` and CCVS1
``WheelBasedVehicleSpeed`` (the DBC has no ET1 or EFL/P1, and the log carries no ET1 or EFL/P1
frames: no coolant temperature, no oil pressure), and DM1 from source 0x2F with lamp bytes
``F3FF`` (amber off; MIL, red stop and protect not available) and no active code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import can
import cantools

from gateway.diag.j1939dm import DmReader
from pitstop.codec import Sample
from pitstop.dtc import DtcReport, Protocol, source_name

VIN = "PITSTOPTRUCK00001"
CANONICAL = {
    "EngineSpeed": "Vehicle.Powertrain.CombustionEngine.Speed",
    "WheelBasedVehicleSpeed": "Vehicle.Speed",
}


def read_truck_log(log: Path, dbc: Path, vin: str = VIN) -> Iterator[list[Sample] | DtcReport]:
    """Each frame that says something to the rules: its samples, or a DM1 report."""
    db = cantools.database.load_file(dbc)
    assert isinstance(db, cantools.database.can.Database)
    by_pgn = {(m.frame_id >> 8) & 0x3FFFF: m for m in db.messages}
    dm = DmReader()
    for msg in can.LogReader(str(log)):
        update = dm.feed(msg)
        if update is not None:
            source = source_name(Protocol.J1939, update.source)
            yield DtcReport(vin, msg.timestamp, update.codes, None, "scan", source, update.lamps)
            continue
        message = by_pgn.get((msg.arbitration_id >> 8) & 0x3FFFF)
        if message is None or not msg.is_extended_id:
            continue
        decoded = message.decode(bytes(msg.data), decode_choices=False)
        assert isinstance(decoded, dict)
        samples = [
            Sample(CANONICAL[k], msg.timestamp, float(v))
            for k, v in decoded.items()
            if k in CANONICAL and isinstance(v, int | float)
        ]
        if samples:
            yield samples
