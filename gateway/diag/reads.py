"""One read of one ECU: the request sequences for OBD-II and UDS, and merging what they find.

Each function returns what it could read and counts what it could not in ``stats``; a failed
request never invents a code.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from gateway.diag import obd, uds
from gateway.diag.client import DiagClient, EcuTarget
from gateway.diag.errors import DiagError, NegativeResponseError
from pitstop.dtc import Dtc

log = logging.getLogger(__name__)

UDS_STATUS_MASK = 0xFF


def read_obd(
    client: DiagClient, target: EcuTarget, ts: float, stats: Counter[str]
) -> tuple[list[Dtc] | None, bool | None]:
    """Modes 03, 07 and 0A plus the MIL from PID 01: (codes, MIL on).

    Codes are None when no DTC mode answered (unknown, not "no code"); MIL None when unknown.
    """
    codes: list[Dtc] = []
    answered = False
    for mode in obd.DTC_MODES:
        try:
            codes += obd.decode_dtcs(
                mode, client.request(target, bytes([mode])), target.response_id, ts
            )
            answered = True
        except DiagError as err:
            _failed(stats, "obd", target, f"mode 0x{mode:02X}", err)
    mil: bool | None = None
    try:
        _, value = obd.decode_pid(client.request(target, bytes([0x01, 0x01])))
        if isinstance(value, tuple):
            mil = value[0]
    except DiagError as err:
        _failed(stats, "obd", target, "PID 01", err)
    return (codes if answered else None), mil


def read_pids(
    client: DiagClient,
    target: EcuTarget,
    stats: Counter[str],
    wanted: Iterable[int] = obd.STANDARD_SET,
) -> dict[str, float]:
    """Discover the supported PIDs, then read those of ``wanted`` the ECU supports."""
    supported: set[int] = set()
    for base in obd.SUPPORT_PIDS:
        if base and base not in supported:
            break
        try:
            _, bits = obd.decode_pid(client.request(target, bytes([0x01, base])))
        except DiagError as err:
            _failed(stats, "obd", target, f"PID 0x{base:02X}", err)
            break
        if isinstance(bits, frozenset):
            supported |= bits
    values: dict[str, float] = {}
    for pid in wanted:
        if pid not in supported or pid == 0x01:
            continue
        try:
            _, value = obd.decode_pid(client.request(target, bytes([0x01, pid])))
        except DiagError as err:
            _failed(stats, "obd", target, f"PID 0x{pid:02X}", err)
            continue
        if isinstance(value, float):
            values[obd.PIDS[pid].name] = value
    return values


def read_uds(
    client: DiagClient, target: EcuTarget, ts: float, stats: Counter[str]
) -> list[Dtc] | None:
    """19 02 for the codes, then 19 04 (snapshots) and 19 06 (extended data) for each one.

    None when 19 02 got no usable answer (unknown, not "no code")."""
    try:
        response = client.request(target, uds.request(uds.BY_STATUS_MASK, UDS_STATUS_MASK))
        codes = uds.decode_by_status_mask(response, target.response_id, ts)
    except DiagError as err:
        _failed(stats, "uds", target, "19 02", err)
        return None
    return [_uds_details(client, target, dtc, stats) for dtc in codes]


def _uds_details(client: DiagClient, target: EcuTarget, dtc: Dtc, stats: Counter[str]) -> Dtc:
    number = uds.dtc_bytes(dtc.code, dtc.ftb or 0)
    snapshots: dict[str, object] = {}
    ext: dict[str, str] = {}
    try:
        response = client.request(target, uds.request(uds.SNAPSHOT_BY_DTC, *number, 0xFF))
        snapshots = dict(uds.decode_snapshots(response))
    except DiagError as err:
        _failed(stats, "uds", target, f"19 04 {dtc.code}", err)
    try:
        response = client.request(target, uds.request(uds.EXT_DATA_BY_DTC, *number, 0xFF))
        ext, _ = uds.decode_ext_data(response)
    except DiagError as err:
        _failed(stats, "uds", target, f"19 06 {dtc.code}", err)
    return uds.with_details(dtc, snapshots, ext)


def merge(codes: Iterable[Dtc]) -> tuple[Dtc, ...]:
    """One entry per (protocol, ECU, code, failure type), statuses united, in a stable order."""
    merged: dict[tuple[str, int, str, int | None], Dtc] = {}
    for dtc in codes:
        old = merged.get(dtc.key)
        merged[dtc.key] = dtc if old is None else replace(old, status=old.status | dtc.status)
    return tuple(merged[k] for k in sorted(merged, key=lambda k: (k[0], k[1], k[2], k[3] or 0)))


def _failed(
    stats: Counter[str], protocol: str, target: EcuTarget, what: str, err: DiagError
) -> None:
    kind = "negative_responses" if isinstance(err, NegativeResponseError) else "failures"
    stats[f"{protocol}_{kind}"] += 1
    log.warning(
        "%s read of 0x%X (%s): %s failed: %s",
        protocol.upper(),
        target.response_id,
        target.name,
        what,
        err,
    )
