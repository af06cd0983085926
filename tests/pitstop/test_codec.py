from __future__ import annotations

import contextlib
import json
import math
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitstop.codec import (
    MAX_SAMPLES_PER_MS,
    Sample,
    TelemetryBatch,
    decode_telemetry,
    encode_telemetry,
    peek_seq,
)
from pitstop.errors import CodecError
from pitstop.messages import (
    Ack,
    Event,
    Status,
    decode_ack,
    decode_event,
    decode_status,
    encode_ack,
    encode_event,
    encode_status,
)

VIN = "PITSTOPDEMO000001"

signals = st.sampled_from(["Vehicle.Speed", "Vehicle.LowVoltageBattery.CurrentVoltage", "A.B"])
values = st.floats(allow_nan=False, allow_infinity=False, width=64)
timestamps_ms = st.integers(min_value=1_600_000_000_000, max_value=1_900_000_000_000)


@given(st.lists(st.tuples(signals, timestamps_ms, values), max_size=200), st.integers(0, 2**40))
def test_telemetry_round_trip(rows: list[tuple[str, int, float]], seq: int) -> None:
    samples = tuple(Sample(name, ms / 1000, value) for name, ms, value in rows)
    batch = TelemetryBatch(vin=VIN, seq=seq, profile="abc123", samples=samples)

    decoded = decode_telemetry(encode_telemetry(batch))

    assert (decoded.vin, decoded.seq, decoded.profile) == (VIN, seq, "abc123")
    assert sorted(decoded.samples) == sorted(samples)


def test_documented_reader_reads_the_wire_form() -> None:
    batch = TelemetryBatch(
        VIN, 7, "p", (Sample("Vehicle.Speed", 1.5, 10.0), Sample("Vehicle.Speed", 1.6, 11.0))
    )
    doc = json.loads(zlib.decompress(encode_telemetry(batch)))

    assert doc["s"]["Vehicle.Speed"] == [[0, 100], [10.0, 11.0]]
    assert doc["t0"] == 1500


def test_compact_for_a_second_of_a_10hz_signal() -> None:
    samples = tuple(
        Sample("Vehicle.Speed", 1_764_201_600 + i / 10, 50 + i / 100) for i in range(10)
    )
    payload = encode_telemetry(TelemetryBatch(VIN, 1, "3f9a1c2b7d4e", samples))

    assert len(payload) < 160


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01garbage", "neither JSON nor zlib"),
        (zlib.compress(b"[1, 2]"), "JSON object"),
        (b'{"v": 2}', "schema version"),
        (b'{"v": 1, "vin": "SHORT"}', "invalid VIN"),
        (b'{"v": 1, "vin": "PITSTOPDEMO000001", "seq": -1}', "negative"),
        (
            b'{"v":1,"vin":"PITSTOPDEMO000001","seq":1,"profile":"p","t0":0,"s":{"a":[[1],[NaN]]}}',
            "NaN",
        ),
        (
            b'{"v":1,"vin":"PITSTOPDEMO000001","seq":1,"profile":"p","t0":0,"s":{"a":[[1,2],[3]]}}',
            "2 deltas but 1 values",
        ),
        (
            b'{"v":1,"vin":"PITSTOPDEMO000001","seq":1,"profile":"p","t0":0,"s":{"a":[[1],["x"]]}}',
            "not a finite number",
        ),
    ],
)
def test_bad_telemetry_names_the_problem(payload: bytes, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        decode_telemetry(payload)


def test_zip_bomb_is_refused() -> None:
    with pytest.raises(CodecError, match="inflates beyond"):
        decode_telemetry(zlib.compress(b"{" + b" " * (17 * 1024 * 1024) + b"}"))


def test_nan_cannot_be_encoded() -> None:
    batch = TelemetryBatch(VIN, 1, "p", (Sample("a", 1.0, math.nan),))
    with pytest.raises(CodecError):
        encode_telemetry(batch)


def test_control_messages_round_trip() -> None:
    assert decode_ack(encode_ack(Ack(VIN, (1, 2, 3)))) == Ack(VIN, (1, 2, 3))
    status = Status(VIN, "online", "0.1.0", "abc", 5, {"spool_depth": 3})
    assert decode_status(encode_status(status)) == status
    event = Event(VIN, "spool_overflow", 9, {"dropped": 4})
    assert decode_event(encode_event(event)) == event


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_codec_error(payload: bytes) -> None:
    for decode in (decode_telemetry, decode_ack, decode_status, decode_event):
        with contextlib.suppress(CodecError):
            decode(payload)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"v":1,"vin":"PITSTOPDEMO000001","seq":1,"profile":"p","t0":1'
        + b"0" * 400
        + b',"s":{"a":[[1],[2]]}}',
        b'{"v":1,"vin":"PITSTOPDEMO000001","seq":1,"profile":"p","t0":1,"s":{"a":[[1],[1'
        + b"0" * 5000
        + b"]]}}",
        b'{"v":1,"vin":"PITSTOPDEMO000001","seq":1,"profile":"p","t0":1,"s":{"a":[[1],[1'
        + b"0" * 400
        + b"]]}}",
    ],
    ids=["huge-t0", "integer-too-long-to-parse", "integer-too-large-for-float"],
)
def test_huge_numbers_are_codec_errors(payload: bytes) -> None:
    with pytest.raises(CodecError):
        decode_telemetry(payload)


def test_samples_of_one_signal_in_one_millisecond_travel_in_order() -> None:
    samples = (
        Sample("S", 1.0101, 3.0),
        Sample("S", 1.0104, 1.0),  # the same millisecond: a delta of 0, in the order of time
        Sample("S", 1.0103, 2.0),
    )
    payload = encode_telemetry(TelemetryBatch(VIN, 1, "p", samples))
    assert json.loads(zlib.decompress(payload))["s"]["S"] == [[0, 0, 0], [3.0, 2.0, 1.0]]
    assert decode_telemetry(payload).samples == (
        Sample("S", 1.01, 3.0),
        Sample("S", 1.01, 2.0),
        Sample("S", 1.01, 1.0),
    )


def test_at_most_max_samples_per_ms_of_one_signal_share_a_millisecond() -> None:
    def doc(deltas: list[int]) -> bytes:
        series = {"S": [deltas, [1.0] * len(deltas)]}
        return zlib.compress(json.dumps({"v": 1, "vin": VIN, "seq": 1, "profile": "p",
                                         "t0": 5, "s": series}).encode())  # fmt: skip

    assert len(decode_telemetry(doc([0] * MAX_SAMPLES_PER_MS + [1])).samples) == 1001
    with pytest.raises(CodecError, match="1001 samples at 5 ms"):
        decode_telemetry(doc([0] * (MAX_SAMPLES_PER_MS + 1)))
    with pytest.raises(CodecError, match="1001 samples at 6 ms"):  # back in time, then again
        decode_telemetry(doc([1, -1, 1] + [0] * (MAX_SAMPLES_PER_MS - 1)))


def test_an_ack_names_the_refused_seqs_with_their_reasons() -> None:
    ack = Ack(VIN, (41,), {42: "VIN 'X' differs", 43: "sample at 1989 is before 1990"})
    payload = encode_ack(ack)
    assert json.loads(payload)["rejected"] == {"42": "VIN 'X' differs", "43": ack.rejected[43]}
    assert decode_ack(payload) == ack
    # nothing refused: the first form of the ack, byte for byte
    assert encode_ack(Ack(VIN, (1,))) == b'{"v":1,"vin":"%s","seqs":[1]}' % VIN.encode()


def test_an_old_ack_without_rejected_still_decodes() -> None:
    old = json.dumps({"v": 1, "vin": VIN, "seqs": [5, 6]}).encode()
    assert decode_ack(old) == Ack(VIN, (5, 6), {})


@pytest.mark.parametrize(
    "rejected", [[], {"x": "r"}, {"-1": "r"}, {"4": 5}, {"٤": "r"}, "42"], ids=repr
)
def test_a_malformed_rejected_field_is_a_codec_error(rejected: object) -> None:
    payload = json.dumps({"v": 1, "vin": VIN, "seqs": [], "rejected": rejected}).encode()
    with pytest.raises(CodecError, match="rejected"):
        decode_ack(payload)


def test_peek_seq_reads_what_it_can() -> None:
    good = encode_telemetry(TelemetryBatch(VIN, 9, "p", ()))
    assert peek_seq(good) == 9
    assert peek_seq(json.dumps({"v": 1, "seq": 4, "vin": "nonsense"}).encode()) == 4
    for bad in (b"", b"\x78\x9c junk", b'{"v": 1}', b'{"v": 1, "seq": -3}', b'{"v":1,"seq":"7"}'):
        assert peek_seq(bad) is None


def test_peek_seq_reads_the_seq_of_a_batch_refused_for_nan() -> None:
    doc = f'{{"v": 1, "vin": "{VIN}", "seq": 6, "t0": 0, "s": {{"a": [[0], [NaN]]}}}}'
    assert peek_seq(doc.encode()) == 6
    assert peek_seq(zlib.compress(doc.encode())) == 6
