from __future__ import annotations

from pathlib import Path

import can
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.diag.passive import IsoTpMessage, PassiveIsoTp
from tests.gateway.diag.dbc import decode, decoder


def frame(can_id: int, data: bytes, ts: float = 0.0) -> can.Message:
    return can.Message(arbitration_id=can_id, data=data, is_extended_id=False, timestamp=ts)


def soc_values(shared_data: Path, log: str, dbc: str, can_id: int, signal: str) -> list[float]:
    spec = decoder(shared_data / "dbc/css" / dbc, can_id)
    reassembler = PassiveIsoTp()
    values = []
    for msg in can.LogReader(str(shared_data / "logs/css" / log)):
        iso = reassembler.feed(msg)
        if iso is None or iso.arbitration_id != can_id:
            continue
        decoded = decode(spec, iso.css_layout())
        if signal in decoded:
            values.append(decoded[signal])
    return values


def test_kona_ev_state_of_charge_is_about_50_percent(shared_data: Path) -> None:
    values = soc_values(
        shared_data,
        "kona_ev_uds_soc.log",
        "kona_ev_uds.dbc",
        0x7EC,
        "M_SID_0x220101_StateOfChargeBMS",
    )
    assert len(values) > 50
    assert all(45 <= v <= 55 for v in values)


def test_leaf_state_of_charge_is_about_89_percent(shared_data: Path) -> None:
    values = soc_values(shared_data, "leaf_uds_soc.log", "leaf_uds.dbc", 0x7BB, "SoC")
    assert len(values) > 10
    assert all(88 <= v <= 90 for v in values)


def test_multi_frame_message_with_padding() -> None:
    payload = bytes(range(20))
    frames = [
        frame(0x7E8, bytes([0x10, 20]) + payload[:6]),
        frame(0x7E8, bytes([0x21]) + payload[6:13]),
        frame(0x7E8, bytes([0x22]) + payload[13:20] + b""),
    ]
    r = PassiveIsoTp()
    out = [m for f in frames if (m := r.feed(f))]
    assert out == [IsoTpMessage(0x7E8, False, payload, 0.0, 20)]


def test_single_frame_and_flow_control_and_non_diagnostic_ids() -> None:
    r = PassiveIsoTp()
    assert r.feed(frame(0x7E0, bytes([0x30, 0, 0]))) is None  # flow control
    assert r.feed(frame(0x123, bytes([0x02, 0x41, 0x00]))) is None  # not a diagnostic id
    single = r.feed(frame(0x7E8, bytes([0x03, 0x43, 0x00, 0xAA, 0xAA])))
    assert single is not None
    assert single.data == bytes([0x43, 0x00, 0xAA])


@pytest.mark.parametrize(
    ("frames", "counter"),
    [
        (
            [bytes([0x10, 20, 1, 2, 3, 4, 5, 6]), bytes([0x22, 1, 2, 3, 4, 5, 6, 7])],
            "sequence_errors",
        ),
        ([bytes([0x21, 1, 2, 3])], "orphan_frames"),
        ([bytes([0x05, 1, 2])], "malformed"),
        ([bytes([0x10, 3, 1, 2, 3, 4, 5, 6])], "malformed"),
        ([bytes([0x10, 20, 1, 2, 3, 4, 5, 6]), bytes([0x10, 20, 1, 2, 3, 4, 5, 6])], "interrupted"),
    ],
)
def test_bad_input_is_counted_never_a_message(frames: list[bytes], counter: str) -> None:
    r = PassiveIsoTp()
    assert [m for i, f in enumerate(frames) if (m := r.feed(frame(0x7E8, f, i * 0.01)))] == []
    assert r.stats[counter] == 1


def test_timeout_between_consecutive_frames() -> None:
    r = PassiveIsoTp()
    r.feed(frame(0x7E8, bytes([0x10, 10, 1, 2, 3, 4, 5, 6]), 0.0))
    assert r.feed(frame(0x7E8, bytes([0x21, 7, 8, 9, 10]), 1.5)) is None
    assert r.stats["timeouts"] == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0x7E8, 0x7E9]), st.binary(max_size=8)), max_size=40))
def test_random_frames_never_raise(frames: list[tuple[int, bytes]]) -> None:
    r = PassiveIsoTp()
    for i, (can_id, data) in enumerate(frames):
        out = r.feed(frame(can_id, data, i * 0.01))
        assert out is None or 0 < len(out.data) <= 4095
