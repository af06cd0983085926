from __future__ import annotations

import pytest

from api.errors import InvalidInputError
from api.timerange import MAX_SPAN_S, TimeRange, parse_instant, resolve_range

NOW = 1_764_201_600.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1764201600", NOW),
        ("1764201600.25", NOW + 0.25),
        ("2025-11-27T00:00:00Z", NOW),
        ("2025-11-27T00:00:00", NOW),  # no offset: UTC
        ("2025-11-27T01:00:00+01:00", NOW),
        ("2025-11-27", NOW),
    ],
)
def test_instants_in_either_form(text: str, seconds: float) -> None:
    assert parse_instant(text, "from") == seconds


@pytest.mark.parametrize("text", ["", "soon", "inf", "-inf", "nan", "2025-13-01", "10000-01-01"])
def test_unusable_instants_name_their_field(text: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_instant(text, "to")
    assert caught.value.location == ("query", "to")


def test_range_defaults_to_the_last_hour() -> None:
    assert resolve_range(None, None, now=NOW) == TimeRange(NOW - 3600, NOW)
    assert resolve_range(None, str(NOW - 60), now=NOW) == TimeRange(NOW - 3660, NOW - 60)
    assert resolve_range(str(NOW - 60), None, now=NOW) == TimeRange(NOW - 60, NOW)


def test_range_must_be_forward_and_at_most_31_days() -> None:
    assert resolve_range(str(NOW - MAX_SPAN_S), None, now=NOW).start == NOW - MAX_SPAN_S
    with pytest.raises(InvalidInputError, match="at most 31 days"):
        resolve_range(str(NOW - MAX_SPAN_S - 1), None, now=NOW)
    with pytest.raises(InvalidInputError, match="earlier than 'to'"):
        resolve_range(str(NOW), str(NOW), now=NOW)
