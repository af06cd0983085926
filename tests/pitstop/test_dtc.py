from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pitstop.dtc import (
    Dtc,
    DtcReport,
    DtcStatus,
    Protocol,
    code_from_bytes,
    code_to_bytes,
    decode_dtc_report,
    describe,
    encode_dtc_report,
    uds_statuses,
)
from pitstop.errors import CodecError

VIN = "WPITSTOPDEMO00001"


def report() -> DtcReport:
    misfire = Dtc(
        "P0301",
        Protocol.UDS,
        0x7E8,
        uds_statuses(0x0D),
        describe("P0301"),
        uds_status=0x0D,
        ftb=0,
        occurrences=3,
        first_seen=1764200000.0,
        last_seen=1764201600.5,
        snapshot={"1": {"0x0105": "5a"}},
    )
    coolant = Dtc(
        "SPN110-FMI0", Protocol.J1939, 0x00, frozenset({DtcStatus.ACTIVE}), spn=110, fmi=0
    )
    return DtcReport(VIN, 1764201600.123, (misfire, coolant), seq=7, lamps={"mil": True})


def test_round_trip_and_documented_shape() -> None:
    payload = encode_dtc_report(report())
    assert decode_dtc_report(payload) == report()
    doc = json.loads(payload)
    assert doc["v"] == 1
    assert doc["ts"] == 1764201600123
    assert doc["source"] is None
    assert doc["codes"][0]["status"] == ["active", "confirmed", "pending"]
    assert "spn" not in doc["codes"][0]
    assert doc["codes"][1]["spn"] == 110


def test_values_are_hashable_despite_their_mappings() -> None:
    assert len({report(), report()}) == 1
    assert len(set(report().codes)) == 2


def test_empty_report_means_no_trouble_code() -> None:
    empty = DtcReport(VIN, 1.0, (), reason="heartbeat", source="j1939:0x00")
    assert decode_dtc_report(encode_dtc_report(empty)) == empty


@pytest.mark.parametrize(
    ("high", "low", "code"),
    [(0x03, 0x01, "P0301"), (0x41, 0x23, "C0123"), (0x9A, 0xBC, "B1ABC"), (0xC1, 0x00, "U0100")],
)
def test_j2012_codes(high: int, low: int, code: str) -> None:
    assert code_from_bytes(high, low) == code
    assert code_to_bytes(code) == bytes([high, low])


def test_uds_status_bits() -> None:
    assert uds_statuses(0x00) == frozenset()
    assert uds_statuses(0x04) == {DtcStatus.PENDING, DtcStatus.PREVIOUSLY_ACTIVE}
    assert uds_statuses(0x09) == {DtcStatus.ACTIVE, DtcStatus.CONFIRMED}


def test_descriptions_known_and_derived() -> None:
    assert describe("P0304") == "Cylinder 4 misfire"
    assert "12 V" in describe("P0562")
    assert describe("P0442").startswith("Powertrain fault (generic)")
    assert "manufacturer-specific" in describe("B1234")
    assert describe("SPN100-FMI1").startswith("J1939 SPN 100")
    assert describe("X9999") == "Unrecognised trouble code"


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"[]",
        b'{"v":2}',
        b'{"v":1,"vin":"WPITSTOPDEMO00001","ts":1,"reason":"x","codes":[]}',
        b'{"v":1,"vin":"WPITSTOPDEMO00001","ts":1,"reason":"scan","codes":[{"code":"P03"}]}',
        b'{"v":1,"vin":"WPITSTOPDEMO00001","ts":1,"reason":"scan","codes":[{"code":"Q0301",'
        b'"protocol":"obd","ecu":1,"status":[]}]}',
        b'{"v":1,"vin":"WPITSTOPDEMO00001","ts":1,"reason":"scan","codes":[{"code":"P0301",'
        b'"protocol":"obd","ecu":1,"status":["lost"]}]}',
    ],
)
def test_bad_payloads_raise_codec_error(bad: bytes) -> None:
    with pytest.raises(CodecError):
        decode_dtc_report(bad)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_codec_error(payload: bytes) -> None:
    with contextlib.suppress(CodecError):
        decode_dtc_report(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "code",
                "protocol",
                "ecu",
                "status",
                "spn",
                "snapshot",
                "first_seen",
                "description",
                "ftb",
            ]
        ),
        json_values,
    )
)
def test_random_code_objects_raise_only_codec_error(code: dict[str, object]) -> None:
    doc = {"v": 1, "vin": VIN, "ts": 1, "reason": "scan", "codes": [code]}
    with contextlib.suppress(CodecError):
        decode_dtc_report(json.dumps(doc).encode())
