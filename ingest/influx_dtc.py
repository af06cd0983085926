"""Trouble-code history on InfluxDB: measurement ``pitstop_dtc``.

One point per report: tags ``vin`` and ``source`` (``all`` when the report covers every
source), field ``report`` (the report's JSON wire form, ``pitstop.dtc``) and ``codes`` (how many),
time = the report's ``ts`` in milliseconds. (vin, source, ts) identifies a report, as on SQLite.
"""

from __future__ import annotations

from ingest import influx_proto as proto
from ingest.errors import StoreError
from ingest.influx_http import InfluxHttp
from pitstop.dtc import DtcReport, decode_dtc_report, encode_dtc_report
from pitstop.errors import CodecError

DTC = "pitstop_dtc"
ALL_SOURCES = "all"


def write_dtc_report(http: InfluxHttp, report: DtcReport) -> bool:
    """Write the report unless (vin, source, ts) is stored already; True if it was new."""
    ms = round(report.ts * 1000)
    source = report.source or ALL_SOURCES
    where = (
        f"WHERE vin = {proto.literal(report.vin)} AND source = {proto.literal(source)} "
        f"AND time = {ms}ms"
    )
    if any(rows for _t, _c, rows in http.query([f"SELECT count(codes) FROM {DTC} {where}"])[0]):
        return False
    fields: list[tuple[str, object]] = [
        ("report", encode_dtc_report(report).decode()),
        ("codes", len(report.codes)),
    ]
    prefix = f"{DTC},vin={proto.key(report.vin)},source={proto.key(source)}"
    http.write([proto.fields_line(prefix, fields, ms)])
    return True


def dtc_history(http: InfluxHttp, where: str, limit: int) -> list[DtcReport]:
    """The reports matching ``where`` (an InfluxQL WHERE clause), oldest first."""
    sql = f"SELECT report FROM {DTC} {where} ORDER BY time ASC LIMIT {int(limit)}"
    rows = [row for _t, _c, rows in http.query([sql])[0] for row in rows]
    try:
        return [decode_dtc_report(str(row[1]).encode()) for row in rows]
    except CodecError as err:
        raise StoreError(f"a stored DTC report does not decode: {err}") from err
