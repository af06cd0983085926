"""SAE J1979 (OBD-II over CAN) payloads: mode 01 PIDs and the DTC modes 03, 07 and 0A.

Responses are the ISO-TP payloads (service byte first). Over CAN a DTC response carries a count
byte: ``43 <n> <hi lo> * n``. Encoders are here too, for the simulator and for requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gateway.diag.errors import MalformedResponseError, NegativeResponseError
from pitstop.dtc import Dtc, DtcStatus, Protocol, code_from_bytes, code_to_bytes, describe

FUNCTIONAL_11 = 0x7DF  # functional request id, 11-bit
FUNCTIONAL_29 = 0x18DB33F1

DTC_MODES: Mapping[int, DtcStatus] = {
    0x03: DtcStatus.CONFIRMED,  # stored
    0x07: DtcStatus.PENDING,
    0x0A: DtcStatus.PERMANENT,
}


@dataclass(frozen=True, slots=True)
class Pid:
    name: str
    unit: str
    length: int
    convert: Callable[[bytes], float]


def _u16(d: bytes) -> int:
    return (d[0] << 8) | d[1]


def _trim(d: bytes) -> float:
    return d[0] / 1.28 - 100


PIDS: Mapping[int, Pid] = {
    0x01: Pid("dtc_count", "", 4, lambda d: float(d[0] & 0x7F)),
    0x04: Pid("engine_load", "%", 1, lambda d: d[0] * 100 / 255),
    0x05: Pid("coolant_temperature", "degC", 1, lambda d: float(d[0] - 40)),
    0x06: Pid("short_term_fuel_trim_bank1", "%", 1, _trim),
    0x07: Pid("long_term_fuel_trim_bank1", "%", 1, _trim),
    0x08: Pid("short_term_fuel_trim_bank2", "%", 1, _trim),
    0x09: Pid("long_term_fuel_trim_bank2", "%", 1, _trim),
    0x0C: Pid("engine_speed", "rpm", 2, lambda d: _u16(d) / 4),
    0x0D: Pid("vehicle_speed", "km/h", 1, lambda d: float(d[0])),
    0x0F: Pid("intake_air_temperature", "degC", 1, lambda d: float(d[0] - 40)),
    0x10: Pid("maf_air_flow_rate", "g/s", 2, lambda d: _u16(d) / 100),
    0x11: Pid("throttle_position", "%", 1, lambda d: d[0] * 100 / 255),
    0x1F: Pid("run_time_since_engine_start", "s", 2, lambda d: float(_u16(d))),
    0x21: Pid("distance_with_mil_on", "km", 2, lambda d: float(_u16(d))),
    0x2F: Pid("fuel_level", "%", 1, lambda d: d[0] * 100 / 255),
    0x31: Pid("distance_since_codes_cleared", "km", 2, lambda d: float(_u16(d))),
    0x42: Pid("control_module_voltage", "V", 2, lambda d: _u16(d) / 1000),
    0x46: Pid("ambient_air_temperature", "degC", 1, lambda d: float(d[0] - 40)),
    0x5B: Pid("hybrid_battery_remaining", "%", 1, lambda d: d[0] * 100 / 255),
    0xA6: Pid("odometer", "km", 4, lambda d: int.from_bytes(d[:4], "big") / 10),
}
STANDARD_SET = (0x01, 0x05, 0x0C, 0x0D, 0x06, 0x07, 0x42, 0x2F)
SUPPORT_PIDS = (0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0)
# ISO 15765-4, 11-bit: ECU n (0..7) answers on 0x7E8+n and is asked physically on 0x7E0+n
RESPONDERS_11 = tuple((0x7E0 + n, 0x7E8 + n) for n in range(8))


def check_response(request_service: int, payload: bytes) -> None:
    """Raise ``NegativeResponseError`` for 7F, ``MalformedResponseError`` for a wrong service."""
    if not payload:
        raise MalformedResponseError("empty response")
    if payload[0] == 0x7F:
        if len(payload) < 3:
            raise MalformedResponseError(f"negative response truncated: {payload.hex()}")
        raise NegativeResponseError(payload[1], payload[2])
    if payload[0] != request_service + 0x40:
        raise MalformedResponseError(
            f"response 0x{payload[0]:02X} does not answer service 0x{request_service:02X}"
        )


def decode_dtcs(mode: int, payload: bytes, ecu: int, ts: float) -> tuple[Dtc, ...]:
    """Parse a mode 03/07/0A response into codes with the mode's status."""
    if mode not in DTC_MODES:
        raise MalformedResponseError(f"mode 0x{mode:02X} does not report trouble codes")
    check_response(mode, payload)
    if len(payload) < 2:
        raise MalformedResponseError(f"mode 0x{mode:02X} response has no count byte")
    count = payload[1]
    if len(payload) < 2 + 2 * count:
        raise MalformedResponseError(
            f"mode 0x{mode:02X}: count byte says {count} codes, {len(payload) - 2} bytes follow"
        )
    status = frozenset({DTC_MODES[mode]})
    codes = []
    for i in range(count):
        hi, lo = payload[2 + 2 * i], payload[3 + 2 * i]
        if hi == lo == 0:
            continue  # padding, never a code
        code = code_from_bytes(hi, lo)
        codes.append(
            Dtc(code, Protocol.OBD, ecu, status, describe(code), first_seen=ts, last_seen=ts)
        )
    return tuple(codes)


def encode_dtcs(mode: int, codes: list[str]) -> bytes:
    return bytes([mode + 0x40, len(codes)]) + b"".join(code_to_bytes(c) for c in codes)


def decode_pid(payload: bytes) -> tuple[int, float | tuple[bool, int] | frozenset[int]]:
    """Parse a mode 01 response for one PID: (pid, value).

    Support PIDs (00, 20, ...) give the set of supported PIDs; PID 01 gives (MIL on, DTC count).
    """
    check_response(0x01, payload)
    if len(payload) < 2:
        raise MalformedResponseError("mode 01 response has no PID")
    pid, data = payload[1], payload[2:]
    if pid in SUPPORT_PIDS:
        if len(data) < 4:
            raise MalformedResponseError(f"PID 0x{pid:02X}: {len(data)} bytes, expected 4")
        bits = int.from_bytes(data[:4], "big")
        return pid, frozenset(pid + i for i in range(1, 33) if bits & (1 << (32 - i)))
    spec = PIDS.get(pid)
    if spec is None:
        raise MalformedResponseError(f"PID 0x{pid:02X} is not one this gateway decodes")
    if len(data) < spec.length:
        raise MalformedResponseError(f"PID 0x{pid:02X}: {len(data)} bytes, expected {spec.length}")
    if pid == 0x01:
        return pid, (bool(data[0] & 0x80), data[0] & 0x7F)
    return pid, spec.convert(data)


def encode_supported(base: int, pids: set[int]) -> bytes:
    bits = sum(1 << (32 - (p - base)) for p in pids if base < p <= base + 32)
    return bytes([0x41, base]) + bits.to_bytes(4, "big")
