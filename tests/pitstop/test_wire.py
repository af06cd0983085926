"""The framing every payload shares refuses what is not exactly a payload of schema 1."""

from __future__ import annotations

import json
import zlib

import pytest

from pitstop.codec import TelemetryBatch, decode_telemetry, encode_telemetry, peek_seq
from pitstop.errors import CodecError
from pitstop.messages import decode_ack
from pitstop.wire import loads

VIN = "WPITSTOPTEST00001"


def test_a_truncated_zlib_stream_is_refused() -> None:
    payload = encode_telemetry(TelemetryBatch(VIN, 3, "p", ()))
    with pytest.raises(CodecError, match="truncated"):
        decode_telemetry(payload[:-4])  # the adler-32 checksum cut off: JSON still whole


def test_bytes_after_the_zlib_stream_are_refused() -> None:
    payload = encode_telemetry(TelemetryBatch(VIN, 3, "p", ()))
    with pytest.raises(CodecError, match="after the end"):
        decode_telemetry(payload + b"junk")


@pytest.mark.parametrize("version", [True, 1.0, "1", None, 2])
def test_the_schema_version_is_the_integer_1(version: object) -> None:
    doc = json.dumps({"v": version, "vin": VIN, "seqs": []}).encode()
    with pytest.raises(CodecError, match="schema version"):
        loads(doc)
    with pytest.raises(CodecError):
        decode_ack(doc)
    assert peek_seq(zlib.compress(json.dumps({"v": version, "seq": 4}).encode())) is None
