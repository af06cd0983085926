"""Which column of a maintenance tracker's CSV export holds which field of a service record.

``detect(header)`` matches each header against ``ALIASES`` (case, spaces and punctuation
ignored) and reads the distance unit from it ("Odometer (mi)", "Miles" -> miles). The headers
it knows, from the exports of common trackers:

- LubeLogger's service-, repair- and tax-record export: ``Date,Odometer,Description,Notes,Cost``
  (and ``Tags``); its ``Cost`` is formatted as money (``$1,234.50``), its ``Date`` in the
  exporting culture's short date (``1/15/2024`` en-US).
- Road Trip's expense/service rows: ``Type,Date,Odometer,Description,Total Price``.
- Fuelly, Drivvo and Simply Auto style service logs: ``Service Date``, ``Mileage``,
  ``Service Type`` / ``Services``, ``Price`` / ``Amount`` / ``Total Cost``, ``Shop`` / ``Place``
  / ``Garage``, ``Comment(s)`` (headers differ between their versions and languages; what is
  not recognised can be named with an explicit mapping).
- pitstop's own export (``jobs.csvbook.export_csv``), so a book moves between vehicles.

An explicit mapping (field -> header, e.g. ``{"date": "Datum", "odometer": "Km-Stand"}``) takes
precedence over the detection, column by column. Only ``date`` is required.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jobs.errors import CsvImportError, CsvProblem


class Unit(StrEnum):
    KM = "km"
    MI = "mi"


KM_PER_MILE = 1.609344

FIELDS = (
    "date",
    "odometer",
    "kind",
    "work",
    "workshop",
    "parts",
    "labour_hours",
    "cost",
    "currency",
    "notes",
    "tags",
    "rule_id",
)

ALIASES: Mapping[str, str] = {
    **dict.fromkeys(("date", "servicedate", "day", "datum", "when", "donedate"), "date"),
    **dict.fromkeys(
        (
            "odometer",
            "odometerkm",
            "odometermi",
            "mileage",
            "odo",
            "km",
            "kilometers",
            "kilometres",
            "miles",
            "odometerreading",
            "kmstand",
        ),
        "odometer",
    ),
    **dict.fromkeys(("type", "kind", "category", "recordtype"), "kind"),
    **dict.fromkeys(
        ("description", "work", "workdone", "service", "services", "servicetype", "title"),
        "work",
    ),
    **dict.fromkeys(
        ("workshop", "shop", "garage", "place", "vendor", "provider", "serviceprovider"),
        "workshop",
    ),
    **dict.fromkeys(("parts", "part", "partnumber", "partsused"), "parts"),
    **dict.fromkeys(("labour", "labor", "labourhours", "laborhours", "hours"), "labour_hours"),
    **dict.fromkeys(("cost", "price", "totalprice", "totalcost", "amount", "total"), "cost"),
    "currency": "currency",
    **dict.fromkeys(("notes", "note", "comment", "comments", "remarks"), "notes"),
    "tags": "tags",
    **dict.fromkeys(("rule", "ruleid"), "rule_id"),
}

_UNIT_SUFFIX = re.compile(r"[(\[].*?[)\]]")
_MILES = re.compile(r"\b(mi|miles?)\b|\(mi\)", re.IGNORECASE)


def normalised(header: str) -> str:
    """``"Odometer (km)"`` -> ``"odometerkm"``: what ``ALIASES`` is keyed by."""
    return re.sub(r"[^0-9a-z]", "", header.casefold())


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """field -> column index in the file, the distance unit, and the columns left unread."""

    columns: Mapping[str, int]
    unit: Unit
    ignored: tuple[str, ...]
    header: tuple[str, ...] = ()

    def value(self, row: Sequence[str], name: str) -> str:
        index = self.columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""


def detect(
    header: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    unit: Unit | None = None,
) -> ColumnMap:
    """The column map of a file with this header; ``CsvImportError`` (row 1) when the date
    column is missing or an explicit mapping names a field or column that is not there."""
    names = [h.strip().lstrip("\ufeff") for h in header]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        bare = normalised(_UNIT_SUFFIX.sub("", name))  # "Mileage (mi)" -> "mileage"
        field = ALIASES.get(normalised(name)) or ALIASES.get(bare)
        if field is not None and field not in columns:
            columns[field] = index
    problems = _apply(mapping or {}, names, columns)
    if "date" not in columns:
        problems.append(CsvProblem(1, None, "no date column (name it with a mapping: date=...)"))
    if problems:
        raise CsvImportError(tuple(problems))
    if unit is None:
        odometer = columns.get("odometer")
        unit = Unit.MI if odometer is not None and _MILES.search(names[odometer]) else Unit.KM
    used = set(columns.values())
    ignored = tuple(n for i, n in enumerate(names) if i not in used)
    return ColumnMap(columns, unit, ignored, tuple(names))


def _apply(
    mapping: Mapping[str, str], names: list[str], columns: dict[str, int]
) -> list[CsvProblem]:
    problems: list[CsvProblem] = []
    for field, column in mapping.items():
        if field not in FIELDS:
            known = ", ".join(FIELDS)
            problems.append(CsvProblem(1, column, f"unknown field {field!r} (one of {known})"))
        elif column not in names:
            problems.append(CsvProblem(1, column, f"the file has no column {column!r}"))
        else:
            columns[field] = names.index(column)
    return problems
