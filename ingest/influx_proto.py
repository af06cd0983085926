"""InfluxDB's two languages, pure: line protocol for writes, InfluxQL for reads.

Line protocol escaping (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/):
measurement names escape commas and spaces; tag keys, tag values and field keys escape commas,
equals signs and spaces; string field values escape double quotes and backslashes. InfluxQL
quotes identifiers in double quotes and string literals in single quotes, with backslashes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest.repeats import keys_us
from pitstop.codec import TelemetryColumns

# backslashes stay as they are in names (InfluxDB 1.x reads them literally there)
_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})
_STRING = str.maketrans({'"': r"\"", "\\": "\\\\"})
_IDENT = str.maketrans({'"': r"\"", "\\": "\\\\", "\n": r"\n"})
_LITERAL = str.maketrans({"'": r"\'", "\\": "\\\\", "\n": r"\n"})


def measurement(name: str) -> str:
    return name.translate(_MEASUREMENT)


def key(name: str) -> str:
    """A tag key, tag value or field key."""
    return name.translate(_KEY)


def string_field(value: str) -> str:
    return '"' + value.translate(_STRING) + '"'


def ident(name: str) -> str:
    """An InfluxQL identifier (measurement, tag or field name)."""
    return '"' + name.translate(_IDENT) + '"'


def literal(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.translate(_LITERAL) + "'"


TELEMETRY_PRECISION = "u"  # the time unit of ``telemetry_lines``: write them with it


def telemetry_lines(prefix: str, batch: TelemetryColumns) -> list[str]:
    """One line per sample key: ``prefix`` (measurement and tags, escaped) and the signals
    sampled at that moment as float fields, time in microseconds (``TELEMETRY_PRECISION``).

    The time is the sample's key, ``ms * 1000 + k`` (``ingest.repeats``): InfluxDB keeps one
    value per (series, field, time), so the k-th sample of a signal in one millisecond needs
    a time of its own."""
    by_time: dict[int, list[str]] = {}
    for name, series in batch.series.items():
        field = key(name) + "="
        for us, value in zip(keys_us(series.ts_ms), series.values, strict=True):
            fields = by_time.get(us)
            if fields is None:
                by_time[us] = [field + repr(value)]
            else:
                fields.append(field + repr(value))
    return [f"{prefix} {','.join(fields)} {us}" for us, fields in by_time.items()]


def fields_line(prefix: str, fields: Iterable[tuple[str, object]], ms: int) -> str:
    """A line of typed fields: str -> string, bool -> boolean, int -> integer, float."""
    parts = []
    for name, value in fields:
        if isinstance(value, str):
            text = string_field(value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = f"{value}i"
        else:
            text = repr(float(value))  # type: ignore[arg-type]
        parts.append(f"{key(name)}={text}")
    return f"{prefix} {','.join(parts)} {ms}"
