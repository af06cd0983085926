"""The profiles that ship in dbc/: each loads with its DBC from ../shared/data, and decodes the
real logs (original timestamps) into the expected canonical signals with plausible values; the
opendbc cars, which have no log, decode frames cantools encodes for every mapped message."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import can
import pytest
from cantools.database.can import Signal

import dbc
from gateway.decode import Decoder
from gateway.profile import Profile, load_profile
from gateway.profilemodel import find_message

CSS = ("dbc", "css")
OPENDBC = ("dbc", "opendbc")

# profile -> (DBC folder under ../shared/data, log under logs/css or None)
SHIPPED = {
    "j1939_truck.yaml": (CSS, "j1939_truck.log"),
    "j1939_tp.yaml": (CSS, "j1939_tp.log"),
    "canmod_gps.yaml": (CSS, "canmod_gps.log"),
    "nmea2000_gnss.yaml": (CSS, "nmea2000_gnss.log"),
    "vw_mqb.yaml": (OPENDBC, None),
    "honda_civic_2016.yaml": (OPENDBC, None),
    "subaru_global_2017.yaml": (OPENDBC, None),
}
#: Profiles of cars read through the diagnostic port (tests/gateway/diag tests them).
DIAGNOSTIC = {"obd2.yaml", "kona_ev.yaml", "leaf.yaml"}

# canonical -> (min, max) every sample of the real log must lie in
PLAUSIBLE = {
    "j1939_truck.yaml": {
        "Vehicle.Speed": (0, 130),
        "Vehicle.Powertrain.CombustionEngine.Speed": (0, 3000),
    },
    "j1939_tp.yaml": {  # EC1, 40 bytes by multi-packet transport
        "Vehicle.Powertrain.CombustionEngine.Configuration.SpeedAtPoint5": (500, 3000),
    },
    "canmod_gps.yaml": {
        "Vehicle.CurrentLocation.Latitude": (-90, 90),
        "Vehicle.CurrentLocation.Longitude": (-180, 180),
        "Vehicle.CurrentLocation.Altitude": (-500, 9000),
        "Vehicle.CurrentLocation.Heading": (0, 360),
        "Vehicle.Speed": (0, 250),
        "Vehicle.Acceleration.Vertical": (-40, 40),
        "Vehicle.AngularVelocity.Yaw": (-500, 500),
    },
    "nmea2000_gnss.yaml": {
        "Vehicle.CurrentLocation.Latitude": (-90, 90),
        "Vehicle.CurrentLocation.Longitude": (-180, 180),
        "Vehicle.CurrentLocation.Altitude": (-500, 9000),
        "Vehicle.CurrentLocation.GNSSReceiver.SatelliteCount": (1, 64),
    },
}


def _load(name: str, shared_data: Path) -> Profile:
    folder, _ = SHIPPED[name]
    return load_profile(dbc.DIR / name, [shared_data.joinpath(*folder)])


def test_the_table_covers_every_shipped_profile() -> None:
    found = {p.name for p in dbc.DIR.glob("*.yaml") if not p.name.endswith(".plan.yaml")}
    assert found - {"demo_ev.yaml"} - DIAGNOSTIC == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_profile_loads(name: str, shared_data: Path) -> None:
    profile = _load(name, shared_data)
    assert profile.signals
    assert all(m.canonical.startswith("Vehicle.") for m in profile.signals)
    assert not any(b.dbc[0].is_relative_to(dbc.DIR) for b in profile.buses)  # not shipped


@pytest.mark.parametrize("name", sorted(PLAUSIBLE))
def test_the_real_log_decodes_into_plausible_values(name: str, shared_data: Path) -> None:
    profile = _load(name, shared_data)
    log = shared_data / "logs" / "css" / str(SHIPPED[name][1])
    decoder = Decoder(profile)
    values: dict[str, list[float]] = defaultdict(list)
    stamps: set[float] = set()
    for msg in can.LogReader(log):
        samples = decoder.decode(msg)
        for sample in samples:
            assert sample.ts == msg.timestamp  # the original timestamp
            values[sample.signal].append(sample.value)
        stamps.update(s.ts for s in samples)
    assert set(values) == {m.canonical for m in profile.signals}  # every mapped signal seen
    for canonical, (low, high) in PLAUSIBLE[name].items():
        assert low <= min(values[canonical]) <= max(values[canonical]) <= high, canonical
    assert min(stamps) > 1.5e9  # 2017 or later: recorded times, not times since the start


def test_nmea2000_fast_packets_give_one_position_a_second(shared_data: Path) -> None:
    """PGN 129029 comes as 7 fast-packet frames; the log holds 60 s of it."""
    decoder = Decoder(_load("nmea2000_gnss.yaml", shared_data))
    log = shared_data / "logs" / "css" / "nmea2000_gnss.log"
    lat = [
        s.value
        for msg in can.LogReader(log)
        for s in decoder.decode(msg)
        if s.signal == "Vehicle.CurrentLocation.Latitude"
    ]
    assert len(lat) == 60
    assert max(lat) - min(lat) < 0.001  # a receiver standing still: within ~100 m


@pytest.mark.parametrize("name", sorted(n for n, (_, log) in SHIPPED.items() if log is None))
def test_opendbc_cars_decode_encoded_frames(name: str, shared_data: Path) -> None:
    """Per mapped message: a frame cantools encodes from chosen raw values, decoded by the
    gateway's decoder, gives those values through the profile's scale and offset."""
    profile = _load(name, shared_data)
    decoder = Decoder(profile)
    by_message: dict[str, list[str]] = defaultdict(list)
    for mapping in profile.signals:
        by_message[mapping.message].append(mapping.canonical)
    mappings = {m.canonical: m for m in profile.signals}
    for number, (message_name, canonicals) in enumerate(sorted(by_message.items())):
        found = find_message(profile.buses, message_name)
        assert found is not None
        message = found[1]
        raw_values = {s.name: _raw_value(s) for s in message.signals}
        data = message.encode(raw_values, scaling=False, strict=False)
        frame = can.Message(
            timestamp=1_700_000_000.0 + number,
            arbitration_id=message.frame_id,
            is_extended_id=message.is_extended_frame,
            data=data,
        )
        got = {s.signal: s.value for s in decoder.decode(frame)}
        assert set(got) == set(canonicals), message_name
        expected = message.decode(data, decode_choices=False)
        assert isinstance(expected, dict)
        for canonical in canonicals:
            m = mappings[canonical]
            raw = expected[m.signal]
            assert isinstance(raw, (int, float))
            assert got[canonical] == pytest.approx(raw * m.scale + m.offset), canonical
    assert decoder.counters.decoded == len(by_message)


def _raw_value(signal: Signal) -> int:
    """A raw value inside the signal's range that is not zero: its first value-table entry, or
    a quarter of the way up."""
    if signal.choices:
        return int(next(iter(signal.choices)))
    return (1 << (signal.length - 2)) + 1 if signal.length > 2 else 1
