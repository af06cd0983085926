"""Time in the API: ``from``/``to`` in, epoch seconds out.

Requests may give an instant as epoch seconds (``1764201600`` or ``1764201600.5``) or as
ISO 8601 (``2025-11-27T00:00:00Z``, ``2025-11-27T01:00:00+01:00``; without an offset it is
UTC). Responses always give epoch seconds (UTC) as numbers. Pure functions: the clock is a
parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Query

from api.errors import InvalidInputError

DEFAULT_SPAN_S = 3600.0
MAX_SPAN_S = 31 * 86400.0

#: What ``from``/``to`` accept, for the OpenAPI document: epoch seconds or ISO 8601 (a date,
#: or a date and time with optional seconds, fraction and offset).
INSTANT_PATTERN = (
    r"^(-?[0-9]{1,12}(\.[0-9]{1,9})?"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?)$"
)
INSTANT_HELP = (
    "Epoch seconds (e.g. 1764201600.5) or ISO 8601 (e.g. 2025-11-27T00:00:00Z; "
    "without an offset the time is taken as UTC)."
)


def instant_query(alias: str, description: str) -> Any:
    """The ``Query`` of a time parameter: its formats (``INSTANT_PATTERN``) in the OpenAPI
    document; ``parse_instant`` checks them with a message that says why."""
    return Query(
        alias=alias,
        description=f"{description} {INSTANT_HELP}",
        json_schema_extra={"pattern": INSTANT_PATTERN},
        examples=["2025-11-27T00:00:00Z", "1764201600"],
    )


@dataclass(frozen=True, slots=True)
class TimeRange:
    """``start <= ts < end``, in epoch seconds."""

    start: float
    end: float


def parse_instant(text: str, field: str) -> float:
    """Epoch seconds from epoch seconds or ISO 8601; else ``InvalidInputError`` naming ``field``."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = _parse_iso(text, field)
    if not math.isfinite(seconds):
        raise InvalidInputError(("query", field), f"'{field}' must be a finite time", text)
    return seconds


def resolve_range(
    start: str | None,
    end: str | None,
    now: float,
    default_span_s: float = DEFAULT_SPAN_S,
    max_span_s: float = MAX_SPAN_S,
) -> TimeRange:
    """The range a request asks for: ``to`` defaults to now, ``from`` to an hour before ``to``."""
    stop = now if end is None else parse_instant(end, "to")
    begin = stop - default_span_s if start is None else parse_instant(start, "from")
    if begin >= stop:
        raise InvalidInputError(("query", "from"), "'from' must be earlier than 'to'", start)
    if stop - begin > max_span_s:
        days = max_span_s / 86400
        message = (
            f"the range from 'from' to 'to' is {(stop - begin) / 86400:.1f} days long; "
            f"ask for at most {days:g} days at a time"
        )
        raise InvalidInputError(("query", "from"), message, start)
    return TimeRange(begin, stop)


def _parse_iso(text: str, field: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError) as err:
        message = f"'{field}' is neither epoch seconds nor an ISO 8601 time: {text!r}"
        raise InvalidInputError(("query", field), message, text) from err
