"""A vehicle's trouble-code history, as the API shows it: the stored reports folded per code."""

from __future__ import annotations

from dataclasses import dataclass

from api.schemas import DtcHistory, TroubleCode
from api.timerange import TimeRange
from ingest.store import TelemetryStore
from pitstop.dtc import Dtc, DtcReport, describe, source_name

MAX_REPORTS = 5_000


@dataclass
class _Seen:
    """One code across reports: the latest report's view of it, and the span it was seen."""

    dtc: Dtc
    first: float
    last: float
    reports: int = 1


def history(telemetry: TelemetryStore, vin: str, span: TimeRange) -> DtcHistory:
    """Every code the vehicle reported in ``span``, latest first (the store read once)."""
    reports = telemetry.dtc_history(vin, span.start, span.end, limit=MAX_REPORTS + 1)
    return fold(vin, reports[:MAX_REPORTS], truncated=len(reports) > MAX_REPORTS)


def fold(vin: str, reports: list[DtcReport], *, truncated: bool = False) -> DtcHistory:
    """Pure: reports (oldest first) -> one entry per (protocol, ECU, code, failure type)."""
    seen: dict[tuple[str, int, str, int | None], _Seen] = {}
    for report in reports:
        for dtc in report.codes:
            first = dtc.first_seen if dtc.first_seen is not None else report.ts
            last = dtc.last_seen if dtc.last_seen is not None else report.ts
            entry = seen.get(dtc.key)
            if entry is None:
                seen[dtc.key] = _Seen(dtc, first, max(last, report.ts))
            else:
                entry.dtc = dtc
                entry.first = min(entry.first, first)
                entry.last = max(entry.last, last, report.ts)
                entry.reports += 1
    present = _present(reports)
    codes = [_code(entry, entry.dtc.key in present) for entry in seen.values()]
    codes.sort(key=lambda c: (not c.present, -c.last_seen, c.code))
    lamps = dict(reports[-1].lamps) if reports else {}
    return DtcHistory(vin=vin, reports=len(reports), truncated=truncated, lamps=lamps, codes=codes)


def _present(reports: list[DtcReport]) -> set[tuple[str, int, str, int | None]]:
    """The codes the latest report of each source still holds (a report of all sources,
    ``source`` None, replaces what came before it)."""
    latest: dict[str | None, DtcReport] = {}
    for report in reports:
        if report.source is None:
            latest.clear()
        latest[report.source] = report
    return {dtc.key for report in latest.values() for dtc in report.codes}


def _code(entry: _Seen, present: bool) -> TroubleCode:
    dtc = entry.dtc
    return TroubleCode(
        code=dtc.code,
        protocol=dtc.protocol.value,
        ecu=dtc.ecu,
        ecu_name=source_name(dtc.protocol, dtc.ecu),
        description=dtc.description or describe(dtc.code),
        status=sorted(s.value for s in dtc.status),
        present=present,
        first_seen=entry.first,
        last_seen=entry.last,
        reports=entry.reports,
    )
