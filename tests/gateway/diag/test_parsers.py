from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.diag import j1939dm, obd, uds
from gateway.diag.errors import DiagError, MalformedResponseError, NegativeResponseError
from pitstop.dtc import DtcStatus


def test_obd_mode03_with_count_byte() -> None:
    codes = obd.decode_dtcs(0x03, bytes.fromhex("4302030101430000"), 0x7E8, 1.0)
    assert [c.code for c in codes] == ["P0301", "P0143"]
    assert all(c.status == {DtcStatus.CONFIRMED} for c in codes)


def test_obd_no_code_and_pending_and_permanent() -> None:
    assert obd.decode_dtcs(0x07, bytes([0x47, 0x00]), 0x7E8, 1.0) == ()
    (code,) = obd.decode_dtcs(0x0A, bytes.fromhex("4A01C100"), 0x7E8, 1.0)
    assert code.code == "U0100"
    assert code.status == {DtcStatus.PERMANENT}


@pytest.mark.parametrize("payload", ["4303030101", "43", "", "4701", "7F03", "4102"])
def test_obd_bad_responses(payload: str) -> None:
    with pytest.raises(MalformedResponseError):
        obd.decode_dtcs(0x03, bytes.fromhex(payload), 0x7E8, 1.0)


def test_negative_response_names_the_nrc() -> None:
    with pytest.raises(NegativeResponseError, match="service not supported") as info:
        obd.decode_dtcs(0x0A, bytes.fromhex("7F0A11"), 0x7E8, 1.0)
    assert info.value.nrc == 0x11


def test_mode01_pids() -> None:
    assert obd.decode_pid(bytes.fromhex("410C2EE0")) == (0x0C, 3000.0)
    assert obd.decode_pid(bytes.fromhex("410183000000")) == (
        0x01,
        (True, 3),
    )
    assert obd.decode_pid(obd.encode_supported(0x00, {0x01, 0x0C, 0x20})) == (
        0x00,
        frozenset({0x01, 0x0C, 0x20}),
    )
    with pytest.raises(MalformedResponseError):
        obd.decode_pid(bytes.fromhex("410C2E"))


def test_uds_status_mask_response() -> None:
    payload = bytes.fromhex("5902FF03010009C1000004")
    a, b = uds.decode_by_status_mask(payload, 0x7E8, 1.0)
    assert (a.code, a.ftb, a.uds_status) == ("P0301", 0, 0x09)
    assert a.status == {DtcStatus.ACTIVE, DtcStatus.CONFIRMED}
    assert b.code == "U0100"
    assert DtcStatus.PENDING in b.status
    with pytest.raises(MalformedResponseError):
        uds.decode_by_status_mask(payload[:-1], 0x7E8, 1.0)


def test_uds_snapshot_and_extended_data() -> None:
    snap = bytes.fromhex("5904 03010009 0102 F40C2EE0 F40582")
    assert uds.decode_snapshots(snap) == {"1": {"0xF40C": "2ee0", "0xF405": "82"}}
    unknown = bytes.fromhex("5904 03010009 0101 1234ABCD")
    assert uds.decode_snapshots(unknown) == {"1": {"raw": "1234abcd"}}
    assert uds.decode_ext_data(bytes.fromhex("5906 03010009 0105 0200")) == (
        {"0x01": "05", "0x02": "00"},
        5,
    )
    with pytest.raises(MalformedResponseError):
        uds.decode_snapshots(bytes.fromhex("5904 03010009 0101 F40C2E"))


def test_dm1_no_fault_from_the_real_truck_frame() -> None:
    lamps, codes = j1939dm.decode_dm(0xFECA, bytes.fromhex("F3FF00000000FFFF"), 0x2F, 1.0)
    assert codes == ()
    assert lamps == {"amber_warning": False}


def test_dm1_round_trip_several_codes() -> None:
    payload = j1939dm.encode_dm([(110, 0, 3), (524287, 31, 1)], lamps=0x44)
    lamps, codes = j1939dm.decode_dm(0xFECA, payload, 0x00, 1.0)
    assert lamps == {"mil": True, "red_stop": False, "amber_warning": True, "protect": False}
    assert [(c.code, c.spn, c.fmi, c.occurrences) for c in codes] == [
        ("SPN110-FMI0", 110, 0, 3),
        ("SPN524287-FMI31", 524287, 31, 1),
    ]
    _, dm2 = j1939dm.decode_dm(0xFECB, payload, 0x00, 1.0)
    assert dm2[0].status == {DtcStatus.PREVIOUSLY_ACTIVE}


PARSERS: list[Callable[[bytes], object]] = [
    lambda b: obd.decode_dtcs(0x03, b, 0x7E8, 0.0),
    lambda b: obd.decode_dtcs(0x07, b, 0x7E8, 0.0),
    obd.decode_pid,
    lambda b: uds.decode_by_status_mask(b, 0x7E8, 0.0),
    uds.decode_snapshots,
    uds.decode_ext_data,
    lambda b: j1939dm.decode_dm(0xFECA, b, 0, 0.0),
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(range(len(PARSERS))),
    st.binary(max_size=64),
    st.sampled_from([b"", b"\x43", b"\x41", b"\x59\x02", b"\x59\x04", b"\x59\x06", b"\x7f"]),
)
def test_random_bytes_raise_only_diag_errors(index: int, tail: bytes, head: bytes) -> None:
    with contextlib.suppress(DiagError):
        PARSERS[index](head + tail)
