from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import pytest

from sim.frames import frames, load_db, plan_messages
from sim.vehicle import SimVehicle

T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def db() -> Any:
    return load_db()


def test_every_cyclic_message_appears_at_its_cycle_time(db: Any) -> None:
    vehicle = SimVehicle("PITSTOPTEST000001", 1)
    counts = Counter(m.arbitration_id for m in frames(vehicle, db, 0.0, 60.0, T0))
    expected = {m.frame_id: 60_000 // m.cycle_time for m in db.messages}
    assert counts == expected
    assert expected[0x100] == 600
    assert expected[0x400] == 12


def test_frames_are_in_timestamp_order_and_spaced_by_the_cycle(db: Any) -> None:
    vehicle = SimVehicle("PITSTOPTEST000001", 1)
    msgs = list(frames(vehicle, db, 10.0, 70.0, T0))
    stamps = [m.timestamp for m in msgs]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert stamps[0] == pytest.approx(T0 + 10.0)
    for message in db.messages:
        own = [m.timestamp for m in msgs if m.arbitration_id == message.frame_id]
        gaps = {round(b - a, 6) for a, b in itertools.pairwise(own)}
        assert gaps == {message.cycle_time / 1000.0}


def test_frames_decode_back_to_the_values(db: Any) -> None:
    vehicle = SimVehicle("PITSTOPTEST000001", 3)
    plans = {p.message.frame_id: p for p in plan_messages(db)}
    checked = 0
    for msg in frames(vehicle, db, 0.0, 300.0, T0):
        message = db.get_message_by_frame_id(msg.arbitration_id)
        decoded = message.decode(msg.data, decode_choices=False)
        t = (msg.timestamp - plans[msg.arbitration_id].offset_s) - T0
        values = vehicle.values(round(t, 3))
        for name, got in decoded.items():
            if name in ("VCU_Counter", "CellStatsMux"):
                continue
            sig = message.get_signal_by_name(name)
            want = min(sig.maximum, max(sig.minimum, values[name]))
            assert got == pytest.approx(want, abs=sig.scale / 2 + 1e-6), (name, t)
            checked += 1
    assert checked > 30_000


def test_counter_increments_and_mux_alternates(db: Any) -> None:
    vehicle = SimVehicle("PITSTOPTEST000001", 1)
    msgs = list(frames(vehicle, db, 0.0, 5.0, T0))
    counter = [
        db.decode_message(m.arbitration_id, m.data)["VCU_Counter"]
        for m in msgs
        if m.arbitration_id == 0x100
    ]
    assert counter[:18] == [*range(16), 0, 1]
    cells = [db.decode_message(0x210, m.data) for m in msgs if m.arbitration_id == 0x210]
    assert [c["CellStatsMux"] for c in cells] == [0, 1] * 12 + [0]
    assert "CellVoltageMin" in cells[0]
    assert "CellTempMax" in cells[1]


def test_a_window_matches_the_same_window_of_a_longer_run(db: Any) -> None:
    vehicle = SimVehicle("PITSTOPTEST000001", 9)
    whole = [(m.timestamp, m.arbitration_id, bytes(m.data)) for m in frames(vehicle, db, 0, 30, T0)]
    again = SimVehicle("PITSTOPTEST000001", 9)
    part = [
        (m.timestamp, m.arbitration_id, bytes(m.data)) for m in frames(again, db, 12.35, 30, T0)
    ]
    assert part == [f for f in whole if f[0] >= T0 + 12.4 - 1e-9]


def test_endless_stream_is_lazy(db: Any) -> None:
    stream = frames(SimVehicle("PITSTOPTEST000001", 1), db, 0.0, math.inf, T0)
    first = [next(stream) for _ in range(1000)]
    assert first[-1].timestamp < T0 + 60.0
