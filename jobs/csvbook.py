"""Service-book CSV files: ``parse_csv`` reads another tracker's export (or pitstop's own) into
entries, ``export_csv`` writes a book. Pure: text in, values out.

The columns are found by ``jobs.csvmap``. Each value is read so (a problem names row and
column; the whole file is refused when any row has one, so a file imports entirely or not at
all):

- dates: ISO 8601 (``2024-01-15``, a time after it is dropped), ``15.01.2024`` (day first),
  ``1/15/2024`` or ``15/1/2024``: the order of a slashed date is taken from the file (a first
  part above 12 means day first, a second above 12 month first) or ``date_order``; a file whose
  slashed dates all fit both ways is read month first (LubeLogger's en-US export) unless told;
- odometer in km, or miles when the header says so (``Odometer (mi)``) or ``unit`` is ``mi``;
- money as written by spreadsheets and trackers: ``$1,234.50``, ``1.234,50 €``, ``120``;
  the currency from a ``Currency`` column, else from the symbol (``€ £ $ ¥``), else none;
- kind from a ``Type`` column (service, maintenance, repair, inspection, MOT, tyres...), else
  guessed from the work done (``Tyre change`` -> tyre_change), else ``default_kind``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from jobs.csvmap import KM_PER_MILE, ColumnMap, Unit, detect
from jobs.errors import CsvImportError, CsvProblem
from jobs.model import ServiceEntry, ServiceKind, ServiceRecord

MAX_ROWS = 200_000
EXPORT_HEADER = (
    "date",
    "odometer_km",
    "kind",
    "work",
    "workshop",
    "parts",
    "labour_hours",
    "cost",
    "currency",
    "notes",
    "rule_id",
    "source",
)

_KINDS: Mapping[str, ServiceKind] = {
    **dict.fromkeys(("service", "maintenance", "servicerecord", "oil"), ServiceKind.SERVICE),
    **dict.fromkeys(("repair", "repairrecord", "collision", "expense"), ServiceKind.REPAIR),
    **dict.fromkeys(("inspection", "mot", "tuv", "tüv", "hu"), ServiceKind.INSPECTION),
    **dict.fromkeys(
        ("tyrechange", "tyre_change", "tyres", "tires", "tirechange", "tyre", "tire"),
        ServiceKind.TYRE_CHANGE,
    ),
}
_GUESS = (
    (re.compile(r"tyre|tire|reifen", re.IGNORECASE), ServiceKind.TYRE_CHANGE),
    (
        re.compile(r"inspe[ck]tion|\bmot\b|t[üu]v|hauptuntersuchung", re.IGNORECASE),
        ServiceKind.INSPECTION,
    ),
    (re.compile(r"repair|replace|fix", re.IGNORECASE), ServiceKind.REPAIR),
)
_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD", "¥": "JPY"}
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    entries: tuple[ServiceEntry, ...]
    columns: ColumnMap


def parse_csv(
    text: str,
    *,
    mapping: Mapping[str, str] | None = None,
    unit: Unit | None = None,
    date_order: str | None = None,
    default_kind: ServiceKind = ServiceKind.SERVICE,
    not_after: date | None = None,
) -> ParsedCsv:
    """The entries of one CSV file; ``CsvImportError`` naming every bad row and column.

    ``date_order`` is ``"dmy"`` or ``"mdy"`` for slashed dates (default: from the file); a day
    after ``not_after`` (today, where the caller knows it) is a problem too."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), _dialect(text)))
    if not rows:
        raise CsvImportError((CsvProblem(1, None, "the file is empty"),))
    if len(rows) - 1 > MAX_ROWS:
        raise CsvImportError((CsvProblem(MAX_ROWS + 2, None, f"more than {MAX_ROWS} rows"),))
    columns = detect(rows[0], mapping, unit)
    body = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    order = date_order or _date_order(columns.value(row, "date") for _, row in body)
    entries: list[ServiceEntry] = []
    problems: list[CsvProblem] = []
    for line, row in body:
        entry = _entry(row, line, columns, order, default_kind, problems)
        if entry is not None and not_after is not None and entry.done_on > not_after.isoformat():
            index = columns.columns["date"]
            problems.append(CsvProblem(line, columns.header[index], f"{entry.done_on} is ahead"))
        elif entry is not None:
            entries.append(entry)
    if problems:
        raise CsvImportError(tuple(problems))
    return ParsedCsv(tuple(entries), columns)


def _dialect(text: str) -> type[csv.Dialect]:
    """Excel's CSV with the delimiter the header uses most: ``,``, ``;`` (Excel in Europe) or
    a tab."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _date_order(values: Iterable[str]) -> str:
    for value in values:
        match = _SLASHED.match(value.split(" ")[0])
        if match and "/" in value:
            if int(match.group(1)) > 12:
                return "dmy"
            if int(match.group(2)) > 12:
                return "mdy"
    return "mdy"


def _entry(  # noqa: PLR0917 - one row and where it goes
    row: Sequence[str],
    line: int,
    columns: ColumnMap,
    order: str,
    default_kind: ServiceKind,
    problems: list[CsvProblem],
) -> ServiceEntry | None:
    def column(name: str) -> str | None:
        index = columns.columns.get(name)
        return None if index is None else _header_name(columns, index)

    def fail(name: str, message: str) -> None:
        problems.append(CsvProblem(line, column(name), message))

    value = columns.value
    before = len(problems)

    def number(name: str, what: str) -> float | None:
        try:
            return _number(value(row, name), grouped=name == "odometer")
        except ValueError:
            fail(name, f"{value(row, name)!r} is not {what}")
            return None

    day = _day(value(row, "date"), order)
    if day is None:
        fail("date", f"{value(row, 'date')!r} is not a date (2024-01-15, 15.01.2024, 1/15/2024)")
    odometer = number("odometer", "a distance")
    if odometer is not None and odometer < 0:
        fail("odometer", f"{value(row, 'odometer')!r} is negative")
    cost_text = value(row, "cost")
    cost = number("cost", "an amount of money")
    labour = number("labour_hours", "a number of hours")
    work = value(row, "work")
    kind = _kind(value(row, "kind"), work, default_kind)
    if kind is None:
        fail("kind", f"{value(row, 'kind')!r} is not service, repair, inspection or tyre change")
    if len(problems) > before or day is None or kind is None:
        return None
    km = odometer
    if km is not None and columns.unit is Unit.MI:
        km = round(km * KM_PER_MILE, 1)
    notes = " ".join(p for p in (value(row, "notes"), value(row, "tags")) if p)
    return ServiceEntry(
        kind=kind,
        done_on=day.isoformat(),
        odometer_km=km,
        workshop=value(row, "workshop"),
        work=work,
        parts=tuple(p.strip() for p in re.split(r"[;|]", value(row, "parts")) if p.strip()),
        labour_hours=labour,
        cost=cost,
        currency=(value(row, "currency") or _currency(cost_text))[:3].upper(),
        notes=notes,
        rule_id=value(row, "rule_id") or None,
    )


def _header_name(columns: ColumnMap, index: int) -> str:
    return columns.header[index] if index < len(columns.header) else str(index + 1)


def _day(text: str, order: str) -> date | None:
    text = text.strip().split("T")[0].split(" ")[0]
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _SLASHED.match(text)
    if match is None:
        return None
    first, second, year = (int(g) for g in match.groups())
    day, month = (first, second) if "." in text or order == "dmy" else (second, first)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _number(text: str, *, grouped: bool = False) -> float | None:
    """A number as written with currency signs and separators; None if empty; ValueError if
    it is not a number. ``grouped``: a lone dot before three digits groups thousands
    (``45.210`` km, as odometers are written in Germany)."""
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if not cleaned:
        if text.strip():
            raise ValueError(text)
        return None
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    elif grouped and re.fullmatch(r"-?\d{1,3}(\.\d{3})+", cleaned):
        cleaned = cleaned.replace(".", "")
    elif "," in cleaned:
        whole, _, part = cleaned.rpartition(",")
        cleaned = f"{whole.replace(',', '')}.{part}" if len(part) != 3 else cleaned.replace(",", "")
    return float(cleaned)


def _currency(text: str) -> str:
    return next((code for symbol, code in _SYMBOLS.items() if symbol in text), "")


def _kind(text: str, work: str, default: ServiceKind) -> ServiceKind | None:
    if text:
        return _KINDS.get(re.sub(r"[^0-9a-zü_]", "", text.casefold()))
    for pattern, kind in _GUESS:
        if pattern.search(work):
            return kind
    return default


def export_csv(records: Iterable[ServiceRecord]) -> str:
    """A book as CSV (``EXPORT_HEADER``), oldest first; ``parse_csv`` reads it back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for record in sorted(records, key=lambda r: (r.entry.done_on, r.entry.odometer_km or 0, r.id)):
        e = record.entry
        writer.writerow(
            [
                e.done_on,
                "" if e.odometer_km is None else f"{e.odometer_km:g}",
                e.kind.value,
                _safe(e.work),
                _safe(e.workshop),
                "; ".join(_safe(p) for p in e.parts),
                "" if e.labour_hours is None else f"{e.labour_hours:g}",
                "" if e.cost is None else f"{e.cost:.2f}",
                e.currency,
                _safe(e.notes),
                e.rule_id or "",
                record.source.value,
            ]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection: = + - @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


__all__ = ["EXPORT_HEADER", "ParsedCsv", "Unit", "export_csv", "parse_csv"]
