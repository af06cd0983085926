"""What the simulated ECU answers: a pure function of (request, faults, PIDs) -> response.

OBD-II modes 01 (with supported-PID bitmaps), 03, 07 and 0A; UDS ReadDTCInformation 0x19 with
sub-functions 0x02, 0x04 and 0x06. Anything else gets a negative response with the right NRC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.diag import obd, uds

NRC_SERVICE_NOT_SUPPORTED = 0x11
NRC_SUBFUNCTION_NOT_SUPPORTED = 0x12
NRC_BAD_LENGTH = 0x13
NRC_OUT_OF_RANGE = 0x31
CONFIRMED, PENDING, TEST_FAILED = 0x08, 0x04, 0x01


@dataclass(frozen=True, slots=True)
class SimFault:
    """One stored trouble code. ``status`` is the UDS status byte the ECU reports for it."""

    code: str
    status: int = CONFIRMED | TEST_FAILED
    ftb: int = 0
    permanent: bool = False
    occurrences: int = 1
    snapshot: Mapping[int, bytes] = field(default_factory=dict)  # DID -> data


DEFAULT_PIDS: Mapping[int, bytes] = {
    0x05: bytes([90 + 40]),  # coolant 90 degC
    0x0C: (3000 * 4).to_bytes(2, "big"),  # 3000 rpm
    0x0D: bytes([50]),  # 50 km/h
    0x06: bytes([128]),  # 0 % fuel trim
    0x07: bytes([130]),
    0x42: (12600).to_bytes(2, "big"),  # 12.6 V
    0x2F: bytes([128]),
    0x04: bytes([102]),  # 40 % load
    0x0F: bytes([25 + 40]),  # intake 25 degC
    0x10: (1250).to_bytes(2, "big"),  # 12.5 g/s
    0x11: bytes([51]),  # 20 % throttle
    0x1F: (600).to_bytes(2, "big"),  # 600 s since start
    0x31: (1234).to_bytes(2, "big"),  # 1234 km since the codes were cleared
}
# A second ECU (a transmission controller): speed too (the engine answers it first), and the
# odometer (PID 0xA6, behind the 0x20..0xA0 bitmaps)
TRANSMISSION_PIDS: Mapping[int, bytes] = {
    0x0D: bytes([51]),
    0xA6: (123_456_7).to_bytes(4, "big"),  # 123456.7 km
}


def respond(request: bytes, faults: Mapping[str, SimFault], pids: Mapping[int, bytes]) -> bytes:
    if not request:
        return _negative(0x00, NRC_BAD_LENGTH)
    service = request[0]
    if service == 0x01:
        return _mode01(request, faults, pids)
    if service in obd.DTC_MODES:
        return obd.encode_dtcs(service, _obd_codes(service, faults))
    if service == uds.SERVICE:
        return _read_dtc_information(request, faults)
    return _negative(service, NRC_SERVICE_NOT_SUPPORTED)


def _obd_codes(mode: int, faults: Mapping[str, SimFault]) -> list[str]:
    def shown(f: SimFault) -> bool:
        if mode == 0x03:
            return bool(f.status & CONFIRMED)
        if mode == 0x07:
            return bool(f.status & PENDING)
        return f.permanent

    return [f.code for f in faults.values() if shown(f)]


def _mode01(request: bytes, faults: Mapping[str, SimFault], pids: Mapping[int, bytes]) -> bytes:
    if len(request) != 2:
        return _negative(0x01, NRC_BAD_LENGTH)
    pid = request[1]
    supported = set(pids) | {0x01} | {b for b in obd.SUPPORT_PIDS if any(p > b for p in pids)}
    if pid in obd.SUPPORT_PIDS and (pid == 0 or pid in supported):
        return obd.encode_supported(pid, supported)
    if pid == 0x01:
        confirmed = len(_obd_codes(0x03, faults))
        return bytes([0x41, 0x01, (0x80 if confirmed else 0) | min(confirmed, 0x7F), 0, 0, 0])
    if pid in pids:
        return bytes([0x41, pid]) + pids[pid]
    return _negative(0x01, NRC_OUT_OF_RANGE)


def _read_dtc_information(request: bytes, faults: Mapping[str, SimFault]) -> bytes:
    if len(request) < 2:
        return _negative(uds.SERVICE, NRC_BAD_LENGTH)
    sub = request[1]
    if sub == uds.BY_STATUS_MASK:
        if len(request) != 3:
            return _negative(uds.SERVICE, NRC_BAD_LENGTH)
        records = b"".join(
            uds.dtc_bytes(f.code, f.ftb) + bytes([f.status])
            for f in faults.values()
            if f.status & request[2]
        )
        return bytes([0x59, sub, 0xFF]) + records
    if sub not in (uds.SNAPSHOT_BY_DTC, uds.EXT_DATA_BY_DTC):
        return _negative(uds.SERVICE, NRC_SUBFUNCTION_NOT_SUPPORTED)
    if len(request) != 6:
        return _negative(uds.SERVICE, NRC_BAD_LENGTH)
    fault = next((f for f in faults.values() if uds.dtc_bytes(f.code, f.ftb) == request[2:5]), None)
    if fault is None:
        return _negative(uds.SERVICE, NRC_OUT_OF_RANGE)
    head = bytes([0x59, sub]) + request[2:5] + bytes([fault.status])
    if sub == uds.SNAPSHOT_BY_DTC:
        if not fault.snapshot:
            return head
        dids = b"".join(did.to_bytes(2, "big") + data for did, data in fault.snapshot.items())
        return head + bytes([0x01, len(fault.snapshot)]) + dids
    return head + bytes([0x01, min(fault.occurrences, 0xFF), 0x02, 0x00])


def _negative(service: int, nrc: int) -> bytes:
    return bytes([0x7F, service, nrc])
