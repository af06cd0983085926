"""ISO 14229 ReadDTCInformation (service 0x19) payloads.

- 0x02 reportDTCByStatusMask: ``59 02 <availability mask> (<DTC hi mid lo> <status>)*``
- 0x04 reportDTCSnapshotRecordByDTCNumber: ``59 04 <DTC> <status> (<record> <n> (<DID> <data>)*n)*``
- 0x06 reportDTCExtDataRecordByDTCNumber: ``59 06 <DTC> <status> (<record> <data>)*``

A snapshot DID's or an extended record's length is defined by the ECU, not by the standard: the
lengths come from tables (OBD DIDs 0xF4xx follow the mode 01 PID lengths); data of unknown length
is kept raw, as hex, under ``"raw"``, never guessed into values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gateway.diag.errors import MalformedResponseError
from gateway.diag.obd import PIDS, check_response
from pitstop.dtc import Dtc, Protocol, code_from_bytes, code_to_bytes, describe, uds_statuses

SERVICE = 0x19
BY_STATUS_MASK, SNAPSHOT_BY_DTC, EXT_DATA_BY_DTC = 0x02, 0x04, 0x06
SUPPORTED = (BY_STATUS_MASK, SNAPSHOT_BY_DTC, EXT_DATA_BY_DTC)
DID_LENGTHS: Mapping[int, int] = {0xF400 + pid: p.length for pid, p in PIDS.items()}
EXT_RECORD_LENGTHS: Mapping[int, int] = {0x01: 1, 0x02: 1}  # occurrence, aging counter
OCCURRENCE_RECORD = 0x01


def dtc_bytes(code: str, ftb: int) -> bytes:
    return code_to_bytes(code) + bytes([ftb])


def request(subfunction: int, *args: int) -> bytes:
    return bytes([SERVICE, subfunction, *args])


def decode_by_status_mask(payload: bytes, ecu: int, ts: float) -> tuple[Dtc, ...]:
    """Parse a 59 02 response into codes with their status bytes."""
    _check(payload, BY_STATUS_MASK, 3)
    body = payload[3:]
    if len(body) % 4:
        raise MalformedResponseError(f"59 02: {len(body)} bytes of records, not a multiple of 4")
    codes = []
    for i in range(0, len(body), 4):
        hi, mid, ftb, status = body[i : i + 4]
        code = code_from_bytes(hi, mid)
        codes.append(
            Dtc(
                code,
                Protocol.UDS,
                ecu,
                uds_statuses(status),
                describe(code),
                uds_status=status,
                ftb=ftb,
                first_seen=ts,
                last_seen=ts,
            )
        )
    return tuple(codes)


def decode_snapshots(payload: bytes) -> dict[str, Any]:
    """Parse a 59 04 response into ``{record: {"0xDID": hex data} | {"raw": hex}}``."""
    _check(payload, SNAPSHOT_BY_DTC, 6)
    body, out = payload[6:], {}
    i = 0
    while i < len(body):
        if i + 2 > len(body):
            raise MalformedResponseError("59 04: snapshot record header truncated")
        record, count = body[i], body[i + 1]
        i += 2
        values: dict[str, str] = {}
        for _ in range(count):
            if i + 2 > len(body):
                raise MalformedResponseError(f"59 04: record {record} truncated")
            did = (body[i] << 8) | body[i + 1]
            length = DID_LENGTHS.get(did)
            if length is None:  # unknown length: keep the rest raw and stop
                values["raw"] = body[i:].hex()
                i = len(body)
                break
            if i + 2 + length > len(body):
                raise MalformedResponseError(f"59 04: DID 0x{did:04X} truncated")
            values[f"0x{did:04X}"] = body[i + 2 : i + 2 + length].hex()
            i += 2 + length
        out[str(record)] = values
    return out


def decode_ext_data(payload: bytes) -> tuple[dict[str, str], int | None]:
    """Parse a 59 06 response into ``({record: hex}, occurrence count or None)``."""
    _check(payload, EXT_DATA_BY_DTC, 6)
    body, out = payload[6:], {}
    i = 0
    while i < len(body):
        record = body[i]
        length = EXT_RECORD_LENGTHS.get(record)
        if length is None:
            out["raw"] = body[i:].hex()
            break
        if i + 1 + length > len(body):
            raise MalformedResponseError(f"59 06: record 0x{record:02X} truncated")
        out[f"0x{record:02X}"] = body[i + 1 : i + 1 + length].hex()
        i += 1 + length
    occurrence = out.get(f"0x{OCCURRENCE_RECORD:02X}")
    return out, int(occurrence, 16) if occurrence is not None else None


def with_details(dtc: Dtc, snapshots: Mapping[str, Any], ext: Mapping[str, str]) -> Dtc:
    snapshot = {**dict(dtc.snapshot)}
    if snapshots:
        snapshot["snapshots"] = dict(snapshots)
    if ext:
        snapshot["extended"] = dict(ext)
    occurrence = ext.get(f"0x{OCCURRENCE_RECORD:02X}")
    count = int(occurrence, 16) if occurrence is not None else dtc.occurrences
    return replace(dtc, snapshot=snapshot, occurrences=count)


def _check(payload: bytes, subfunction: int, minimum: int) -> None:
    check_response(SERVICE, payload)
    if len(payload) < 2 or payload[1] != subfunction:
        raise MalformedResponseError(f"response is not for sub-function 0x{subfunction:02X}")
    if len(payload) < minimum:
        raise MalformedResponseError(f"59 {subfunction:02X}: {len(payload)} bytes is truncated")
