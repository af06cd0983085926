"""The decoder's per-channel counters and ``gateway.profilecheck`` on the real truck log."""

from __future__ import annotations

from pathlib import Path

import can

import dbc
from gateway.decode import Decoder
from gateway.profile import load_profile
from gateway.profilecheck import check_profile

TRUCK = dbc.DIR / "j1939_truck.yaml"
FRAMES = {"can1": 139_136, "can9": 11_275}  # the log's channels
EEC1 = CCVS1 = 3_993  # frames of the two messages j1939_demo.dbc knows


def _speed_only(tmp_path: Path) -> Path:
    """The truck profile without its engine speed: EEC1 is known to the DBC, not mapped."""
    text = TRUCK.read_text().split("  Vehicle.Powertrain.CombustionEngine.Speed:")[0]
    path = tmp_path / "truck.yaml"
    path.write_text(text)
    return path


def test_counters_per_channel_tell_known_from_unknown_ids(
    tmp_path: Path, shared_data: Path
) -> None:
    profile = load_profile(_speed_only(tmp_path), [shared_data / "dbc" / "css"])
    decoder = Decoder(profile)
    for msg in can.LogReader(shared_data / "logs" / "css" / "j1939_truck.log"):
        decoder.decode(msg)
    by_bus = decoder.bus_counters()
    assert set(by_bus) == set(FRAMES)
    assert by_bus["can1"]["decoded"] == CCVS1
    assert by_bus["can1"]["unmapped"] == EEC1  # known to the DBC, no mapped signal
    assert by_bus["can1"]["unknown_id"] == FRAMES["can1"] - CCVS1 - EEC1  # no DBC knows them
    assert by_bus["can9"] == {
        "decoded": 0,
        "unknown_id": FRAMES["can9"],
        "bad_frame": 0,
        "not_due": 0,
        "unmapped": 0,
    }
    total = decoder.counters
    assert total.unknown_id == sum(c["unknown_id"] for c in by_bus.values())
    assert total.decoded + total.unmapped + total.unknown_id == sum(FRAMES.values())


def test_check_of_the_truck_log(shared_data: Path) -> None:
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    report = check_profile(TRUCK, [shared_data / "dbc" / "css"], log)
    assert report.problems == ()
    assert report.log is not None
    assert report.log.frames == FRAMES
    assert report.log.counters["can1"]["decoded"] == EEC1 + CCVS1
    assert report.log.never_seen == ()
    assert report.log.signals["Vehicle.Speed"].samples == CCVS1
    unknown = report.log.unknown_ids
    assert sum(unknown.values()) == sum(FRAMES.values()) - EEC1 - CCVS1
    assert "can1 0xCF00300" in unknown  # EEC2: the demo DBC lacks it
    assert not any(key.endswith(("0xCF00400", "0x18FEF100")) for key in unknown)


def test_a_signal_the_log_never_carries_is_a_problem(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "truck.yaml"
    path.write_text(TRUCK.read_text().replace("source_address: 0", "source_address: 3"))
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    report = check_profile(path, [shared_data / "dbc" / "css"], log)
    assert report.problems == (
        "signal 'Vehicle.Powertrain.CombustionEngine.Speed': never seen in the log",
    )
