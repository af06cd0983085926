"""The one trouble-code model (OBD-II, UDS and J1939) and its wire codec.

A ``Dtc`` is one code read from one ECU over one protocol; a ``DtcReport`` is the full set of
codes one read found, published on ``pitstop/v1/{vin}/dtc`` when the set changes and as a
periodic heartbeat. The gateway builds them, ingest stores them, rules match patterns over them
and the API shows them; all read this module only.

Codes: OBD and UDS codes are SAE J2012 strings, ``P0301`` (system P/C/B/U, then four hex
digits); a UDS code also keeps its failure-type byte (``ftb``, the third DTC byte). A J1939 code
is written ``SPN110-FMI0`` and also carries ``spn`` and ``fmi`` as numbers.

DTC report, schema 1 (``pitstop/v1/{vin}/dtc``), plain JSON::

    {"v": 1, "vin": "WPITSTOPDEMO00001", "ts": 1764201600123, "seq": 7,
     "reason": "changed", "source": null, "lamps": {"mil": true},
     "codes": [
       {"code": "P0301", "protocol": "uds", "ecu": 2024,
        "status": ["active", "confirmed", "pending"], "uds_status": 13, "ftb": 0,
        "occurrences": 3, "first_seen": 1764200000000, "last_seen": 1764201600000,
        "snapshot": {"snapshots": {"1": {"0xF40C": "2ee0"}}, "extended": {"0x01": "03"}},
        "description": "Cylinder 1 misfire"},
       {"code": "SPN110-FMI0", "protocol": "j1939", "ecu": 0, "status": ["active"],
        "spn": 110, "fmi": 0, "occurrences": 1, "description": "..."}]}

- ``ts``, ``first_seen``, ``last_seen``: milliseconds since the Unix epoch (UTC).
- ``seq``: optional per-vehicle sequence number (``null`` when the sender has none).
- ``inst`` (optional): the spool instance id the ``seq`` belongs to, as in telemetry
  (``pitstop.codec``); absent for the legacy instance.
- ``reason``: ``changed`` | ``heartbeat`` | ``request`` (an on-demand read) | ``scan`` (a log).
- ``source``: ``null`` when the report holds every ECU's codes, else the one source it covers,
  written ``"{protocol}:{ecu hex}"`` such as ``"j1939:0x00"``.
- ``ecu``: the responding CAN identifier (OBD, UDS) or the J1939 source address.
- ``status``: sorted subset of ``pending``, ``confirmed``, ``permanent``, ``active``,
  ``previously_active``; ``uds_status`` is the raw UDS status byte when the code came over UDS.
- ``lamps`` (optional): ``mil``, ``red_stop``, ``amber_warning``, ``protect`` -> bool, when known.
- ``snapshot`` (UDS): ``snapshots`` is record number -> ``{"0xDID": hex data}`` (``{"raw": hex}``
  when the DID's length is unknown), ``extended`` is ``{"0xRR": hex}`` per extended data record.
- Optional keys of a code are left out when unknown. An empty ``codes`` list means "read, and no
  trouble code", which is different from no report at all.

Reading it::

    doc = json.loads(payload)
    for c in doc["codes"]:
        print(c["code"], c["status"], c["description"])
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pitstop.dtc_text import J1939_CODE as _J1939
from pitstop.dtc_text import J2012_CODE as _J2012
from pitstop.dtc_text import describe as describe  # noqa: PLC0414 (re-exported for mypy)
from pitstop.errors import CodecError
from pitstop.wire import (
    SCHEMA_VERSION,
    check_instance,
    dumps,
    loads,
    read_instance,
    read_int,
    read_str,
    read_vin,
)


class Protocol(StrEnum):
    OBD = "obd"
    UDS = "uds"
    J1939 = "j1939"


class DtcStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PERMANENT = "permanent"
    ACTIVE = "active"
    PREVIOUSLY_ACTIVE = "previously_active"


REASONS = ("changed", "heartbeat", "request", "scan")
LAMPS = ("mil", "red_stop", "amber_warning", "protect")

_SYSTEMS = "PCBU"


@dataclass(frozen=True, slots=True)
class Dtc:
    """One trouble code from one ECU over one protocol."""

    code: str  # "P0301" (OBD, UDS) or "SPN110-FMI0" (J1939)
    protocol: Protocol
    ecu: int  # responding CAN id (OBD/UDS) or J1939 source address
    status: frozenset[DtcStatus]
    description: str = ""
    uds_status: int | None = None  # raw UDS status byte (ISO 14229-1 D.2)
    ftb: int | None = None  # UDS failure-type byte
    spn: int | None = None
    fmi: int | None = None
    occurrences: int | None = None
    first_seen: float | None = None  # seconds since the epoch
    last_seen: float | None = None
    snapshot: Mapping[str, Any] = field(default_factory=dict, hash=False)  # JSON-ready

    @property
    def key(self) -> tuple[str, int, str, int | None]:
        """What identifies the code within a report: protocol, ECU, code, failure type."""
        return (self.protocol.value, self.ecu, self.code, self.ftb)


@dataclass(frozen=True, slots=True)
class DtcReport:
    """The full set of trouble codes one read found (one source, or all when ``source`` is None)."""

    vin: str
    ts: float  # seconds since the epoch
    codes: tuple[Dtc, ...]
    seq: int | None = None
    reason: str = "changed"
    source: str | None = None
    lamps: Mapping[str, bool] = field(default_factory=dict, hash=False)
    instance: str = ""  # the spool instance id of ``seq`` ('' for the legacy instance)


# --- codes ----------------------------------------------------------------------------------


def code_from_bytes(high: int, low: int) -> str:
    """The J2012 string of a two-byte OBD/UDS code: ``0x03, 0x01`` -> ``"P0301"``."""
    return f"{_SYSTEMS[high >> 6]}{(high >> 4) & 0x3}{high & 0xF:X}{low:02X}"


def code_to_bytes(code: str) -> bytes:
    """The two bytes of a J2012 code string; raise ``CodecError`` if it is not one."""
    if not _J2012.fullmatch(code):
        raise CodecError(f"{code!r} is not a J2012 trouble code like P0301")
    value = (_SYSTEMS.index(code[0]) << 14) | (int(code[1]) << 12) | int(code[2:], 16)
    return value.to_bytes(2, "big")


def j1939_code(spn: int, fmi: int) -> str:
    return f"SPN{spn}-FMI{fmi}"


def source_name(protocol: Protocol, ecu: int) -> str:
    """How a report names the one source it covers: ``"uds:0x7E8"``."""
    return f"{protocol.value}:0x{ecu:02X}"


def uds_statuses(status_byte: int) -> frozenset[DtcStatus]:
    """Map a UDS DTC status byte to the model's statuses.

    Bit 0 testFailed -> active, bit 2 pendingDTC -> pending, bit 3 confirmedDTC -> confirmed.
    A code whose test no longer fails but which is still stored is previously_active.
    """
    out: set[DtcStatus] = set()
    if status_byte & 0x01:
        out.add(DtcStatus.ACTIVE)
    if status_byte & 0x04:
        out.add(DtcStatus.PENDING)
    if status_byte & 0x08:
        out.add(DtcStatus.CONFIRMED)
    if not status_byte & 0x01 and status_byte & 0x0C:
        out.add(DtcStatus.PREVIOUSLY_ACTIVE)
    return frozenset(out)


def is_valid_code(code: str, protocol: Protocol) -> bool:
    pattern = _J1939 if protocol is Protocol.J1939 else _J2012
    return pattern.fullmatch(code) is not None


# --- wire codec -----------------------------------------------------------------------------


def encode_dtc_report(report: DtcReport) -> bytes:
    """Encode a report into its JSON wire form (see the module docstring)."""
    if report.reason not in REASONS:
        raise CodecError(f"reason must be one of {REASONS}, got {report.reason!r}")
    doc: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "vin": report.vin,
        "ts": _ms(report.ts),
        "seq": report.seq,
        "reason": report.reason,
        "source": report.source,
        "codes": [_encode_dtc(d) for d in report.codes],
    }
    if report.lamps:
        doc["lamps"] = dict(report.lamps)
    if report.instance:
        doc["inst"] = check_instance(report.instance)
    return dumps(doc)


def decode_dtc_report(payload: bytes) -> DtcReport:
    """Decode a DTC report; raise ``CodecError`` naming what is wrong."""
    doc = loads(payload)
    seq = doc.get("seq")
    if seq is not None and (type(seq) is not int or seq < 0):
        raise CodecError("field 'seq' must be a non-negative integer or null")
    reason = read_str(doc, "reason")
    if reason not in REASONS:
        raise CodecError(f"field 'reason' must be one of {REASONS}, got {reason!r}")
    source = doc.get("source")
    if source is not None and not isinstance(source, str):
        raise CodecError("field 'source' must be a string or null")
    codes = doc.get("codes")
    if not isinstance(codes, list):
        raise CodecError("field 'codes' must be an array")
    lamps = doc.get("lamps", {})
    if not isinstance(lamps, dict) or not all(
        k in LAMPS and type(v) is bool for k, v in lamps.items()
    ):
        raise CodecError(f"field 'lamps' must map some of {LAMPS} to true/false")
    return DtcReport(
        vin=read_vin(doc),
        ts=_time(doc, "ts"),
        codes=tuple(_decode_dtc(c, i) for i, c in enumerate(codes)),
        seq=seq,
        reason=reason,
        source=source,
        lamps=lamps,
        instance=read_instance(doc),
    )


_OPTIONAL_INTS = ("uds_status", "ftb", "spn", "fmi", "occurrences")


def _encode_dtc(dtc: Dtc) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": dtc.code,
        "protocol": dtc.protocol.value,
        "ecu": dtc.ecu,
        "status": sorted(s.value for s in dtc.status),
        "description": dtc.description,
    }
    for key in _OPTIONAL_INTS:
        value = getattr(dtc, key)
        if value is not None:
            doc[key] = value
    if dtc.first_seen is not None:
        doc["first_seen"] = _ms(dtc.first_seen)
    if dtc.last_seen is not None:
        doc["last_seen"] = _ms(dtc.last_seen)
    if dtc.snapshot:
        doc["snapshot"] = json.loads(dumps(dtc.snapshot))  # proves it is JSON-ready
    return doc


def _decode_dtc(doc: object, index: int) -> Dtc:
    if not isinstance(doc, dict):
        raise CodecError(f"codes[{index}] must be an object")
    try:
        protocol = Protocol(read_str(doc, "protocol"))
        status = frozenset(DtcStatus(s) for s in _list(doc, "status"))
    except (ValueError, TypeError) as err:
        raise CodecError(f"codes[{index}]: {err}") from err
    code = read_str(doc, "code")
    if not is_valid_code(code, protocol):
        raise CodecError(f"codes[{index}]: {code!r} is not a valid {protocol.value} code")
    ints = {k: _opt_int(doc, k, index) for k in _OPTIONAL_INTS}
    snapshot = doc.get("snapshot", {})
    if not isinstance(snapshot, dict):
        raise CodecError(f"codes[{index}]: field 'snapshot' must be an object")
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise CodecError(f"codes[{index}]: field 'description' must be a string")
    return Dtc(
        code=code,
        protocol=protocol,
        ecu=_nonneg(read_int(doc, "ecu"), "ecu", index),
        status=status,
        description=description,
        first_seen=_time(doc, "first_seen") if "first_seen" in doc else None,
        last_seen=_time(doc, "last_seen") if "last_seen" in doc else None,
        snapshot=snapshot,
        **ints,
    )


def _list(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list):
        raise CodecError(f"field {key!r} must be an array")
    return value


def _opt_int(doc: Mapping[str, Any], key: str, index: int) -> int | None:
    if key not in doc:
        return None
    return _nonneg(read_int(doc, key), key, index)


def _nonneg(value: int, key: str, index: int) -> int:
    if not 0 <= value < 2**32:
        raise CodecError(f"codes[{index}]: field {key!r} is out of range: {value}")
    return value


def _time(doc: Mapping[str, Any], key: str) -> float:
    ms = read_int(doc, key)
    if not 0 <= ms <= 2**53:
        raise CodecError(f"field {key!r}: timestamp {ms} ms is out of range")
    return ms / 1000


def _ms(ts: float) -> int:
    return round(ts * 1000)
