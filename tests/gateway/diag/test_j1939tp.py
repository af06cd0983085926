from __future__ import annotations

from pathlib import Path

import can
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.j1939tp import TpMessage, TpReassembler, split_id
from tests.gateway.diag.dbc import decode, decoder


def frame(can_id: int, data: bytes, ts: float) -> can.Message:
    return can.Message(arbitration_id=can_id, data=data, is_extended_id=True, timestamp=ts)


def bam(
    source: int, pgn: int, payload: bytes, t0: float = 0.0, gap: float = 0.05
) -> list[can.Message]:
    packets = -(-len(payload) // 7)
    cm = bytes([32, len(payload) & 0xFF, len(payload) >> 8, packets, 0xFF]) + pgn.to_bytes(
        3, "little"
    )
    frames = [frame(0x1CECFF00 | source, cm, t0)]
    for i in range(packets):
        chunk = payload[i * 7 : i * 7 + 7].ljust(7, b"\xff")
        frames.append(frame(0x1CEBFF00 | source, bytes([i + 1]) + chunk, t0 + gap * (i + 1)))
    return frames


def feed_all(r: TpReassembler, frames: list[can.Message]) -> list[TpMessage]:
    return [m for f in frames if (m := r.feed(f)) is not None]


def test_real_log_reassembles_every_bam_and_decodes(shared_data: Path) -> None:
    r = TpReassembler()
    out = feed_all(r, list(can.LogReader(str(shared_data / "logs/css/j1939_tp.log"))))
    assert len(out) == 16
    assert r.stats["completed"] == 16
    assert sum(v for k, v in r.stats.items() if k not in ("started", "completed")) == 0
    first = out[0]
    assert (first.pgn, first.source_address, first.destination, len(first.data)) == (
        0xFEE3,
        0x00,
        0xFF,
        28,
    )
    spec = decoder(shared_data / "dbc/css/j1939_tp.dbc", 0x18FEE3FE)
    speed = decode(spec, first.data)["EngineSpeedAtPoint5"]
    assert 500 < speed < 3000


def test_interleaved_sources_reassemble_side_by_side() -> None:
    a = bam(0x00, 0xFECA, bytes(range(20)))
    b = bam(0x03, 0xFECB, bytes(range(100, 130)), t0=0.01)
    merged = sorted(a + b, key=lambda f: f.timestamp)
    out = feed_all(TpReassembler(), merged)
    assert {(m.source_address, m.pgn, m.data) for m in out} == {
        (0x00, 0xFECA, bytes(range(20))),
        (0x03, 0xFECB, bytes(range(100, 130))),
    }


def test_sequence_error_drops_the_session_and_counts() -> None:
    frames = bam(0x00, 0xFECA, bytes(range(20)))
    frames[2], frames[3] = frames[3], frames[2]
    frames[2].timestamp, frames[3].timestamp = frames[3].timestamp, frames[2].timestamp
    r = TpReassembler()
    assert feed_all(r, frames) == []
    assert r.stats["sequence_errors"] == 1
    assert r.open_sessions == 0


def test_timeout_between_packets_counts_and_a_new_session_still_works() -> None:
    frames = bam(0x00, 0xFECA, bytes(range(20)), gap=1.0)  # T1 is 0.75 s
    r = TpReassembler()
    assert feed_all(r, frames) == []
    assert r.stats["timeouts"] == 1
    assert len(feed_all(r, bam(0x00, 0xFECA, bytes(20), t0=10))) == 1


def test_rts_cts_session_with_a_repeated_window() -> None:
    payload = bytes(range(30))  # 5 packets
    rts = bytes([16, 30, 0, 5, 0xFF]) + (0xFEEC).to_bytes(3, "little")
    sa, da = 0x00, 0x21
    cm = 0x1CEC0000 | (da << 8) | sa
    back = 0x1CEC0000 | (sa << 8) | da
    dt = 0x1CEB0000 | (da << 8) | sa

    def data(n: int, ts: float) -> can.Message:
        return frame(dt, bytes([n]) + payload[(n - 1) * 7 : n * 7].ljust(7, b"\xff"), ts)

    frames = [
        frame(cm, rts, 0.0),
        frame(back, bytes([17, 3, 1, 0xFF, 0xFF]) + rts[5:], 0.1),
        data(1, 0.2),
        data(2, 0.3),
        data(3, 0.4),
        frame(back, bytes([17, 2, 3, 0xFF, 0xFF]) + rts[5:], 0.5),  # asks for packet 3 again
        data(3, 0.6),
        data(4, 0.7),
        frame(back, bytes([17, 1, 5, 0xFF, 0xFF]) + rts[5:], 0.8),
        data(5, 0.9),
    ]
    out = feed_all(TpReassembler(), frames)
    assert out == [TpMessage(0xFEEC, sa, da, payload, 0.9)]


def test_abort_and_malformed_control_frames_count() -> None:
    r = TpReassembler()
    r.feed(frame(0x1CECFF00, bytes([32, 5, 0, 1, 0xFF, 0, 0xFE, 0]), 0))  # size < 9
    r.feed(frame(0x1CECFF00, bytes([32, 20]), 0))  # truncated
    r.feed(bam(0x00, 0xFECA, bytes(20))[0])
    r.feed(frame(0x1CECFF00, bytes([255, 1, 0xFF, 0xFF, 0xFF, 0xCA, 0xFE, 0]), 0.1))
    assert r.stats["malformed"] == 2
    assert r.stats["aborted"] == 1
    assert r.open_sessions == 0


def test_split_id() -> None:
    assert split_id(0x18FEF100) == (6, 0xFEF1, 0xFF, 0x00)
    assert split_id(0x18EA0017) == (6, 0xEA00, 0x00, 0x17)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0x1CECFF00, 0x1CEBFF00, 0x1CEC2100, 0x1CEB2100, 0x1CEC0021]),
            st.binary(max_size=8),
        ),
        max_size=60,
    )
)
def test_random_frames_never_raise(frames: list[tuple[int, bytes]]) -> None:
    r = TpReassembler()
    for i, (can_id, data) in enumerate(frames):
        out = r.feed(frame(can_id, data, i * 0.01))
        assert out is None or len(out.data) >= 9
