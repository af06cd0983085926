"""The real recorded logs replayed through the gateway's reader: UDS state of charge (Hyundai
Kona EV, Nissan Leaf) decoded passively with the log's timestamps, J1939 DM1 into the spool."""

from __future__ import annotations

import threading
from pathlib import Path
from statistics import median

import can
import cantools
import pytest
import yaml

import dbc
from gateway.decode import Decoder
from gateway.diag.passive_decode import DiagDecoder
from gateway.profile import Profile, load_profile
from gateway.reader import BatchPolicy, Reader
from gateway.runner import _spool_report
from gateway.sources import SourceSpec, open_source
from gateway.spool import Spool
from pitstop.codec import Sample, decode_telemetry
from pitstop.dtc import DtcReport, decode_dtc_report
from pitstop.topics import Kind

VIN = "WPITSTOPTEST00042"
SOC_DISPLAYED = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed"
SOC_CURRENT = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


def replay(
    profile: Profile, log: Path, spool_path: Path
) -> tuple[list[Sample], list[DtcReport], DiagDecoder]:
    """Read the whole log as the gateway does; what reached the spool."""
    decoder = DiagDecoder(profile, VIN)
    with Spool(spool_path) as spool, open_source(SourceSpec.replay(log)) as source:
        decoder.on_report = _spool_report(spool)
        Reader(source, decoder, spool, BatchPolicy(VIN, profile.hash)).run(threading.Event())
        entries = spool.unacked(None, 100_000)
    samples = [s for e in entries if e.kind is Kind.TELEMETRY for s in _samples(e.payload)]
    reports = [decode_dtc_report(e.payload) for e in entries if e.kind is Kind.DTC]
    return samples, reports, decoder


def _samples(payload: bytes) -> tuple[Sample, ...]:
    return decode_telemetry(payload).samples


def _last_frames(log: Path, can_id: int, last_index: int) -> set[int]:
    """The times (ms) of the consecutive frames ``2<last_index>`` on ``can_id``: where a whole
    response ends (the log also has responses with frames missing)."""
    return {
        round(msg.timestamp * 1000)
        for msg in can.LogReader(str(log))
        if msg.arbitration_id == can_id and msg.data[0] == 0x20 | last_index
    }


def test_kona_ev_state_of_charge_from_the_real_log(shared_data: Path, tmp_path: Path) -> None:
    profile = load_profile(dbc.KONA_EV_PROFILE, [shared_data / "dbc" / "css"])
    log = shared_data / "logs" / "css" / "kona_ev_uds_soc.log"
    samples, _, decoder = replay(profile, log, tmp_path / "spool.db")
    soc = [s for s in samples if s.signal == SOC_DISPLAYED]
    assert len(soc) >= 100
    assert all(45 <= s.value <= 55 for s in soc)
    assert median(s.value for s in soc) == pytest.approx(50, abs=1)
    assert {round(s.ts * 1000) for s in soc} <= _last_frames(log, 0x7EC, 8)  # 62 bytes: 2F+8CF
    assert 1608041600 < soc[0].ts < 1608041800  # the log's own clock, December 2020
    outside = [s.value for s in samples if s.signal == "Vehicle.Exterior.AirTemperature"]
    assert outside, "the 0x7BB responses (DID 0x0100) decode too"
    assert all(-10 < t < 20 for t in outside)
    assert decoder.diag_stats["malformed"] == 0


def test_nissan_leaf_state_of_charge_from_the_real_log(shared_data: Path, tmp_path: Path) -> None:
    profile = load_profile(dbc.LEAF_PROFILE, [shared_data / "dbc" / "css"])
    log = shared_data / "logs" / "css" / "leaf_uds_soc.log"
    samples, _, decoder = replay(profile, log, tmp_path / "spool.db")
    soc = [s for s in samples if s.signal == SOC_CURRENT]
    assert len(soc) >= 10
    assert all(88 <= s.value <= 90.5 for s in soc)
    assert soc[0].ts == pytest.approx(1641469562.0645, abs=1e-3)  # its last frame's time
    assert decoder.diag_stats["unmatched_responses"] > 0  # 61 04 (temperatures): not mapped


def test_a_profile_built_in_tmp_path_with_a_byte_field(shared_data: Path, tmp_path: Path) -> None:
    """Scale/offset on the data record instead of a DBC: the Kona's SoC is record byte 4."""
    doc = {
        "name": "kona-bytes",
        "buses": [],
        "diagnostics": {
            "uds": [
                {
                    "name": "bms",
                    "request_id": 0x7E4,
                    "response_id": 0x7EC,
                    "reads": [
                        {"did": 0x0101, "signals": {SOC_DISPLAYED: {"byte": 4, "scale": 0.5}}}
                    ],
                }
            ]
        },
    }
    path = tmp_path / "kona-bytes.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    log = shared_data / "logs" / "css" / "kona_ev_uds_soc.log"
    samples, _, _ = replay(load_profile(path), log, tmp_path / "spool.db")
    assert {s.value for s in samples} <= {49.5, 50.0, 50.5}
    assert len(samples) >= 100


def truck_profile(shared_data: Path, tmp_path: Path) -> Profile:
    demo = shared_data / "dbc" / "css" / "j1939_demo.dbc"
    doc = {
        "name": "truck",
        "buses": [{"name": "can0", "dbc": [str(demo)], "j1939": True}],
        "signals": {
            "Vehicle.Powertrain.CombustionEngine.Speed": {
                "message": "EEC1",
                "signal": "EngineSpeed",
            }
        },
    }
    path = tmp_path / "truck.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_profile(path)


def test_dm1_of_the_real_truck_log_reaches_the_spool(shared_data: Path, tmp_path: Path) -> None:
    profile = truck_profile(shared_data, tmp_path)
    log = shared_data / "logs" / "css" / "j1939_truck.log"
    samples, reports, _ = replay(profile, log, tmp_path / "spool.db")
    assert samples, "the ordinary decoding goes on"
    assert reports, "the DM1 broadcasts became a trouble-code report"
    first = reports[0]
    assert first.codes == ()  # no active fault in that log
    assert first.source == "j1939:0x2F"
    assert first.lamps == {"amber_warning": False}
    assert first.ts == pytest.approx(1701364101.85635, abs=1e-3)  # the frame's own time
    assert first.seq is not None
    assert len(reports) <= 3, "a report on change and as a heartbeat, not one per DM1"


def test_multi_packet_transport_decodes_as_without_diagnostics(
    shared_data: Path, tmp_path: Path
) -> None:
    tp_dbc = shared_data / "dbc" / "css" / "j1939_tp.dbc"
    db = cantools.database.load_file(str(tp_dbc), strict=False)
    assert isinstance(db, cantools.database.can.Database)
    message = next(m for m in db.messages if m.length > 8)
    doc = {
        "name": "tp",
        "buses": [{"name": "can0", "dbc": [str(tp_dbc)], "j1939": True}],
        "signals": {
            f"Test.S{i}": {"message": message.name, "signal": s.name}
            for i, s in enumerate(message.signals[:3])
        },
    }
    path = tmp_path / "tp.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    profile = load_profile(path)
    log = shared_data / "logs" / "css" / "j1939_tp.log"
    frames = list(can.LogReader(str(log)))
    plain, passive = Decoder(profile), DiagDecoder(profile, VIN)
    expected = [s for f in frames for s in plain.decode(f)]
    assert expected
    assert [s for f in frames for s in passive.decode(f)] == expected
